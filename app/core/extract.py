"""Finding the token in whatever was pasted: a header, a cookie, a curl command, a URL, a HAR file, JSON.

Every scan here is linear in the paste: runs of token characters are found with a regex that cannot
backtrack, and the token's shape is then checked on the run's dot-separated segments in Python.
A backtracking pattern such as ``ey[...]+\\.`` tried at every "ey" of 1 MB of "eyey..." is quadratic.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from .errors import InputError
from .jsonparse import MAX_DEPTH, MAX_INT_DIGITS, nesting_depth

__all__ = ["Extracted", "extract_token", "find_token", "is_token", "unwrap"]

_TOKEN_KEYS = ("id_token", "access_token", "token", "jwt", "refresh_token", "assertion", "client_assertion")
_HEADER = re.compile(r"^\s*(authorization|cookie|set-cookie)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_CURL = re.compile(r"^\s*curl\s", re.IGNORECASE)
_URL = re.compile(r"^\s*https?://\S+\s*$", re.IGNORECASE)
# Text made only of token characters is the token itself, however malformed: never trimmed to fit.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.]+")
# A whole run of token characters holding at least two dots (possessive, anchored at the run's start: linear).
_DOTTED_RUN = re.compile(r"(?<![A-Za-z0-9_\-+/=.])[A-Za-z0-9_\-+/=]*+\.[A-Za-z0-9_\-+/=]*+\.[A-Za-z0-9_\-+/=.]*+")
# The first segment is base64url (it starts like a JSON object, "ey"); later ones may be base64 too.
_NOT_FIRST_SEGMENT = re.compile(r"[+/]")
# Where a token can start: the last block of base64url characters of a segment (after its last '+', '/' or
# '=', before any '=' padding) when it holds an "ey" with a character after it. Tried only where a block
# begins and possessive, so linear however the run is built.
_TAIL = re.compile(r"(?:(?<=[.+/=])|^)(?=[A-Za-z0-9_-]*?ey[A-Za-z0-9_=-])[A-Za-z0-9_-]*+=*+(?=\.|\Z)")
# In free text (a log line) a token must stand alone between spaces, quotes or "key=" / "key:".
_OPENERS = frozenset(" \t\r\n\f\v\"'=:([<")
_CLOSERS = frozenset(" \t\r\n\f\v\"',;)]>")
_URL_WORD_END = re.compile(r"[\s'\"]")
_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_SPACE = re.compile(r"\s")
_SPACES = re.compile(r"\s++")
# What a sloppy paste may carry before the token: a name and = or : (token=, jwt:, id_token = ...).
_NAME_BEFORE = re.compile(r"(?:token|jwt|id_token|access_token)\s*+[=:]\s*+", re.IGNORECASE)
#: the source named when a sloppy paste was tidied into a token
TIDIED = "the text, with its quotes, spaces, line breaks or token= prefix set aside"


@dataclass(frozen=True)
class Extracted:
    token: str
    #: where it was found, in words: "the Authorization header", "the URL's query (id_token)"...
    source: str | None
    #: it travelled in a URL query string, which leaks into logs and Referer headers
    in_query: bool = False


def _span(segments: list[str], index: int, start: int) -> int | None:
    """Segments a token starting at ``segments[index][start:]`` spans (3 or 5), or None if none starts there."""
    first = segments[index][start:]
    if not first.startswith("ey") or len(first) < 3 or _NOT_FIRST_SEGMENT.search(first):
        return None
    left = len(segments) - index
    return 5 if left >= 5 else 3 if left >= 3 else None


def _in_run(run: str) -> tuple[int, int] | None:
    """The leftmost token inside one run of token characters, as (start, end) offsets.

    A token starts at the first "ey" of a segment's last base64url block (``_TAIL``): one regex search,
    then the dots are counted once, never a Python step per segment.
    """
    if "ey" not in run:
        return None
    found = _TAIL.search(run)
    if found is None:
        return None
    segments = run.count(".") + 1
    left = segments - run.count(".", 0, found.start())
    if left < 3:
        return None
    end = found.end()  # the dot that ends the first segment, or the run's end
    for _ in range((5 if left >= 5 else 3) - 1):
        end = run.find(".", end + 1)
    return found.start() + found.group().find("ey"), len(run) if end == -1 else end


def find_token(text: str) -> str | None:
    """The first compact JWS or JWE (three or five dotted parts starting with "ey") anywhere in ``text``."""
    if "ey" not in text:
        return None
    for run in _DOTTED_RUN.finditer(text):
        found = _in_run(run.group())
        if found is not None:
            return run.group()[found[0] : found[1]]
    return None


def is_token(text: str) -> bool:
    """``text`` is exactly one compact JWS or JWE."""
    if not text.startswith("ey") or text.count(".") not in (2, 4) or not _TOKEN_CHARS.fullmatch(text):
        return False
    segments = text.split(".")
    return len(segments) in (3, 5) and _span(segments, 0, 0) == len(segments)


def _delimited(text: str) -> list[str]:
    """Tokens standing alone in free text: between spaces, quotes, brackets or after 'key=' / 'key:'."""
    found = []
    for run in _DOTTED_RUN.finditer(text):
        if "ey" not in run.group():
            continue
        before = text[run.start() - 1] if run.start() else " "
        after = text[run.end()] if run.end() < len(text) else " "
        if after not in _CLOSERS:
            continue
        value = run.group()
        # The token starts the run (after an opener) or follows a '=' inside it ("id_token=ey...").
        starts = [0] if before in _OPENERS else []
        starts += [i + 1 for i in _equals_before_token(value)]
        for start in starts:
            if is_token(value[start:]):
                found.append(value[start:])
                break
    return found


def _equals_before_token(value: str) -> list[int]:
    # Only a '=' in the third or fifth segment from the end can begin a token ending at the run's end.
    segments = value.split(".")
    positions = []
    for count in (5, 3):
        if len(segments) >= count:
            index = len(segments) - count
            offset = sum(len(s) + 1 for s in segments[:index])
            cut = segments[index].rfind("=", 0, max(len(segments[index].rstrip("=")), 0))
            if cut >= 0:
                positions.append(offset + cut)
    return positions


def _from_url(text: str) -> Extracted | None:
    parts = urlsplit(text.strip())
    for where, raw, in_query in (("query", parts.query, True), ("fragment", parts.fragment, False)):
        for pair in raw.split("&"):
            if pair.count(".") + pair.count("%") < 2:
                continue  # parsing 100,000 pairs that cannot hold a token would cost a second
            for name, value in parse_qsl(pair, keep_blank_values=True):
                if is_token(value.strip()):
                    return Extracted(value.strip(), f"the URL's {where} ({name})", in_query)
    token = find_token(text)
    if token:
        before = text[: text.find(token)]
        return Extracted(token, "the URL", "?" in before and "#" not in before)
    return None


def _from_json(value: object, path: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """Depth-first: the first string that is a token, preferring well-known key names."""
    if isinstance(value, dict):
        for key in _TOKEN_KEYS:
            found = value.get(key)
            if isinstance(found, str) and is_token(found.strip()):
                return found.strip(), ".".join((*path, key))
        for key, item in value.items():
            # The path is built only for a hit: a document of 70,000 keys holds 70,000 misses.
            if isinstance(item, str) and (item.count(".") < 2 or "ey" not in item):
                continue
            result = _from_json(item, (*path, str(key)))
            if result:
                return result
    elif isinstance(value, list):
        for index, item in enumerate(value[:1000]):
            result = _from_json(item, (*path, str(index)))
            if result:
                return result
    elif isinstance(value, str):
        text = value.strip()
        token = find_token(text) if len(text) < 100_000 else text if is_token(text) else None
        if token:
            return token, ".".join(path)
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
                token = find_token(str(header.get("value", "")))
                if token:
                    return Extracted(token, f"a HAR request's {header['name']} header")
        url = request.get("url")
        if isinstance(url, str):
            in_url = _from_url(url)
            if in_url:
                return Extracted(in_url.token, f"a HAR request URL ({in_url.source})", in_url.in_query)
    anywhere = _from_json(document)
    return Extracted(anywhere[0], f"the HAR file ({anywhere[1]})") if anywhere else None


def _json_document(text: str) -> object | None:
    """The pasted JSON, or None when it is not JSON; InputError when it nests too deeply to be read safely."""
    if nesting_depth(text) > MAX_DEPTH:
        # Brackets in a log line are no JSON: a token standing alone in it is still found.
        if len(_delimited(text)) == 1:
            return None
        raise InputError(
            "json_too_deep",
            f"The JSON given nests deeper than {MAX_DEPTH} levels; jwtlens does not look inside it",
            "token",
        )

    def bounded_int(spelling: str) -> int | str:
        return spelling if len(spelling) > MAX_INT_DIGITS else int(spelling)  # no token lives in a number

    try:
        return json.loads(text, parse_int=bounded_int)  # type: ignore[no-any-return]
    except ValueError:
        return None


def _in_curl_query(before: str) -> bool:
    """The text before a token in a curl command ends inside an http(s) URL's query string."""
    last = _URL_WORD_END.split(before)[-1]
    scheme = _SCHEME.search(last)
    return scheme is not None and "?" in last[scheme.end() :]


def unwrap(text: str) -> str | None:
    """The one token in a sloppy paste (quoted, broken over lines, spaced, after ``token=``), else None.

    A whole token already in the text must be part of the tidied one, and two never merge into one.
    """
    whole = find_token(text)
    if whole is not None and find_token(text[text.index(whole) + len(whole) :]) is not None:
        return None
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        stripped = stripped[1:-1].strip()
    name = _NAME_BEFORE.match(stripped)
    if name:
        stripped = stripped[name.end() :]
    candidate = _SPACES.sub("", stripped)
    return candidate if is_token(candidate) and (whole is None or whole in candidate) else None


def extract_token(text: str) -> Extracted:
    """The token inside ``text``; when nothing recognisable surrounds it, the text itself.

    A paste that holds no token as it stands but is one once tidied (quotes, line breaks and spaces,
    ``token=`` before it) yields that token; two tokens never merge into one.
    """
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith("ey") and _TOKEN_CHARS.fullmatch(stripped):
        return Extracted(stripped, None)  # the usual paste: nothing around it, nothing to tidy
    found = _extract(stripped)
    if is_token(found.token):
        return found
    tidied = unwrap(text)
    return found if tidied is None else Extracted(tidied, TIDIED)


def _extract(stripped: str) -> Extracted:
    if not stripped or _TOKEN_CHARS.fullmatch(stripped):
        return Extracted(stripped, None)
    if stripped.lower().startswith("bearer "):
        return Extracted(stripped[7:].strip(), "the 'Bearer' prefix")
    header = _HEADER.match(stripped)
    if header:
        name = header.group(1).lower()
        value = header.group(2).strip()
        label = {"authorization": "the Authorization header", "cookie": "a Cookie", "set-cookie": "a Set-Cookie"}[name]
        token = find_token(value)
        if token:
            return Extracted(token, label)
        return Extracted(value.removeprefix("Bearer ").removeprefix("bearer ").strip(), label)
    if _CURL.match(stripped):
        token = find_token(stripped)
        if token:
            in_url = _in_curl_query(stripped[: stripped.find(token)])
            return Extracted(token, "a curl command" + (" (its URL's query)" if in_url else ""), in_url)
    if _URL.match(stripped):
        found = _from_url(stripped)
        if found:
            return found
    if stripped[:1] in "{[" and len(stripped) < 5_000_000:
        document = _json_document(stripped)
        if isinstance(document, dict) and "log" in document:
            found_har = _from_har(document)
            if found_har:
                return found_har
        if document is not None:
            found_json = _from_json(document)
            if found_json:
                return Extracted(found_json[0], f"the JSON ({found_json[1] or 'top level'})")
            return Extracted(stripped, None)  # every string in it was searched already
    # A token somewhere in free text, e.g. a log line; only when exactly one is there.
    matches = _delimited(stripped) if _SPACE.search(stripped) else []
    if len(matches) == 1:
        return Extracted(matches[0], "the text around it")
    return Extracted(stripped, None)
