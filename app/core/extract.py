"""Finding the token in whatever was pasted: a header, a cookie, a curl command, a URL, a HAR file, JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Extracted", "extract_token"]

# A compact JWS or JWE: base64url runs separated by dots, the first starting like a JSON object ("ey").
_JWT = re.compile(r"ey[A-Za-z0-9_=-]+\.[A-Za-z0-9_=+/-]*\.[A-Za-z0-9_=+/-]*(?:\.[A-Za-z0-9_=+/-]*\.[A-Za-z0-9_=+/-]*)?")
_TOKEN_KEYS = ("id_token", "access_token", "token", "jwt", "refresh_token", "assertion", "client_assertion")
_HEADER = re.compile(r"^\s*(authorization|cookie|set-cookie)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_CURL = re.compile(r"^\s*curl\s", re.IGNORECASE)
_URL = re.compile(r"^\s*https?://\S+\s*$", re.IGNORECASE)
# Text made only of token characters is the token itself, however malformed: never trimmed to fit.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.]+")
# In free text (a log line) a token must stand alone between spaces, quotes or "key=" / "key:".
_DELIMITED = re.compile(r"(?:(?<=^)|(?<=[\s\"'=:(\[<]))" + _JWT.pattern + r"(?=$|[\s\"',;)\]>])")


@dataclass(frozen=True)
class Extracted:
    token: str
    #: where it was found, in words: "the Authorization header", "the URL's query (id_token)"...
    source: str | None
    #: it travelled in a URL query string, which leaks into logs and Referer headers
    in_query: bool = False


def _from_url(text: str) -> Extracted | None:
    parts = urlsplit(text.strip())
    for where, raw, in_query in (("query", parts.query, True), ("fragment", parts.fragment, False)):
        for name, value in parse_qsl(raw, keep_blank_values=True):
            if _JWT.fullmatch(value.strip()):
                return Extracted(value.strip(), f"the URL's {where} ({name})", in_query)
    match = _JWT.search(text)
    if match:
        return Extracted(match.group(), "the URL", "?" in text[: match.start()] and "#" not in text[: match.start()])
    return None


def _from_json(value: object, path: str = "") -> tuple[str, str] | None:
    """Depth-first: the first string that is a token, preferring well-known key names."""
    if isinstance(value, dict):
        for key in _TOKEN_KEYS:
            found = value.get(key)
            if isinstance(found, str) and _JWT.fullmatch(found.strip()):
                return found.strip(), f"{path}{key}"
        for key, item in value.items():
            result = _from_json(item, f"{path}{key}.")
            if result:
                return result
    elif isinstance(value, list):
        for index, item in enumerate(value[:1000]):
            result = _from_json(item, f"{path}{index}.")
            if result:
                return result
    elif isinstance(value, str):
        text = value.strip()
        if _JWT.fullmatch(text):
            return text, path.rstrip(".")
        match = _JWT.search(text)
        if match and len(text) < 100_000:
            return match.group(), path.rstrip(".")
    return None


def _from_har(document: dict[str, object]) -> Extracted | None:
    log = document.get("log")
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        return None
    for entry in entries:
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict):
            continue
        for header in request.get("headers") or []:
            if isinstance(header, dict) and str(header.get("name", "")).lower() in ("authorization", "cookie"):
                match = _JWT.search(str(header.get("value", "")))
                if match:
                    return Extracted(match.group(), f"a HAR request's {header['name']} header")
        url = request.get("url")
        if isinstance(url, str):
            in_url = _from_url(url)
            if in_url:
                return Extracted(in_url.token, f"a HAR request URL ({in_url.source})", in_url.in_query)
    anywhere = _from_json(document)
    return Extracted(anywhere[0], f"the HAR file ({anywhere[1]})") if anywhere else None


def extract_token(text: str) -> Extracted:
    """The token inside ``text``; when nothing recognisable surrounds it, the text itself."""
    stripped = text.strip().lstrip("\ufeff")
    if not stripped or _TOKEN_CHARS.fullmatch(stripped):
        return Extracted(stripped, None)
    if stripped.lower().startswith("bearer "):
        return Extracted(stripped[7:].strip(), "the 'Bearer' prefix")
    header = _HEADER.match(stripped)
    if header:
        name = header.group(1).lower()
        value = header.group(2).strip()
        label = {"authorization": "the Authorization header", "cookie": "a Cookie", "set-cookie": "a Set-Cookie"}[name]
        match = _JWT.search(value)
        if match:
            return Extracted(match.group(), label)
        return Extracted(value.removeprefix("Bearer ").removeprefix("bearer ").strip(), label)
    if _CURL.match(stripped):
        match = _JWT.search(stripped)
        if match:
            before = stripped[: match.start()]
            in_url = re.search(r"https?://[^\s'\"]*\?[^\s'\"]*$", before) is not None
            return Extracted(match.group(), "a curl command" + (" (its URL's query)" if in_url else ""), in_url)
    if _URL.match(stripped):
        found = _from_url(stripped)
        if found:
            return found
    if stripped[:1] in "{[" and len(stripped) < 5_000_000:
        try:
            document = json.loads(stripped)
        except ValueError:
            document = None
        if isinstance(document, dict) and "log" in document:
            found_har = _from_har(document)
            if found_har:
                return found_har
        if document is not None:
            found_json = _from_json(document)
            if found_json:
                return Extracted(found_json[0], f"the JSON ({found_json[1] or 'top level'})")
    # A token somewhere in free text, e.g. a log line; only when exactly one is there.
    matches = _DELIMITED.findall(stripped) if re.search(r"\s", stripped) else []
    if len(matches) == 1:
        return Extracted(matches[0], "the pasted text")
    return Extracted(stripped, None)
