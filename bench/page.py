"""3. Page weight: every byte the first load of ``/`` transfers, the number of requests, other origins.

Two views of the same first load, on a fresh server:

* HTTP: ``GET /`` with ``Accept-Encoding: gzip, br``, then every subresource the HTML names (scripts,
  stylesheets, icons, images), each with the same header; bytes are counted as they cross the wire
  (status line + headers + the body as sent, compressed or not). This is the budgeted figure.
* Chromium: a fresh context loads ``/`` and waits for the network to go idle; every request it makes is
  recorded with its transfer size, so requests made by script (htmx on load) and requests to any other
  origin are seen too.

Each static response is also checked for compression (Content-Encoding) and for long-lived caching
(Cache-Control max-age of at least 30 days) behind a versioned URL (content hash in the query or name).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from .common import Budget, Section, Server, chromium, request

ACCEPT_ENCODING = "gzip, br"
BUDGET_BYTES = 60 * 1024
MIN_MAX_AGE = 30 * 24 * 3600
_VERSIONED = re.compile(r"([?&]v=[0-9a-f]{6,})|([.-][0-9a-f]{8,}\.)|(-\d+\.\d+\.\d+)")


class _Subresources(HTMLParser):
    """URLs the browser fetches while loading the document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest", "shortcut"} & set(rel):
                self.urls.append(a["href"])


def _max_age(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control)
    return int(match.group(1)) if match else 0


def _http_first_load(port: int) -> dict[str, Any]:
    origin = f"http://127.0.0.1:{port}"
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    page = request(port, "GET", "/", headers=headers)
    html = page.body
    encoding = page.headers.get("content-encoding", "identity")
    if encoding == "gzip":
        import gzip

        html = gzip.decompress(html)
    elif encoding == "br":
        import brotli  # type: ignore[import-not-found]  # only if the app ever answers br

        html = brotli.decompress(html)
    parser = _Subresources()
    parser.feed(html.decode("utf-8", "replace"))
    resources = [
        {
            "url": "/",
            "status": page.status,
            "bytes": page.header_bytes + len(page.body),
            "body_bytes": len(page.body),
            "encoding": page.headers.get("content-encoding", "identity"),
            "cache_control": page.headers.get("cache-control", ""),
        }
    ]
    foreign: list[str] = []
    for url in parser.urls:
        if url.startswith("data:"):
            continue
        absolute = urljoin(origin + "/", url)
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            foreign.append(absolute)
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        reply = request(port, "GET", path, headers=headers)
        identity = request(port, "GET", path)  # the same file uncompressed, for the ratio
        cache_control = reply.headers.get("cache-control", "")
        resources.append(
            {
                "url": path,
                "status": reply.status,
                "bytes": reply.header_bytes + len(reply.body),
                "body_bytes": len(reply.body),
                "identity_body_bytes": len(identity.body),
                "encoding": reply.headers.get("content-encoding", "identity"),
                "cache_control": cache_control,
                "long_cache": _max_age(cache_control) >= MIN_MAX_AGE,
                "versioned": bool(_VERSIONED.search(path)),
            }
        )
    return {
        "accept_encoding": ACCEPT_ENCODING,
        "requests": len(resources),
        "bytes_total": sum(r["bytes"] for r in resources),
        "resources": resources,
        "foreign_urls_in_html": foreign,
    }


def _browser_first_load(origin: str) -> dict[str, Any]:
    with chromium() as browser:
        context = browser.new_context(service_workers="block")
        page = context.new_page()
        seen: list[dict[str, Any]] = []

        def finished(req: Any) -> None:
            sizes = req.sizes()
            response = req.response()
            seen.append(
                {
                    "url": req.url,
                    "status": response.status if response else None,
                    "bytes": sizes["responseHeadersSize"] + sizes["responseBodySize"],
                    "encoding": (response.headers.get("content-encoding") if response else None) or "identity",
                }
            )

        failed: list[str] = []
        page.on("requestfinished", finished)
        page.on("requestfailed", lambda req: failed.append(req.url))
        page.goto(origin + "/", wait_until="networkidle")
        page.wait_for_timeout(300)  # anything htmx triggers on load
        context.close()
    own = urlsplit(origin)
    foreign = [r["url"] for r in seen if not r["url"].startswith("data:") and urlsplit(r["url"]).netloc != own.netloc]
    foreign += [u for u in failed if not u.startswith("data:") and urlsplit(u).netloc != own.netloc]
    return {
        "requests": len(seen) + len(failed),
        "bytes_total": sum(r["bytes"] for r in seen),
        "resources": seen,
        "failed": failed,
        "foreign_requests": foreign,
    }


def run(section: Section, quick: bool = False, browser: bool = True) -> None:
    with Server("page") as server:
        http = _http_first_load(server.port)
        seen = _browser_first_load(f"http://127.0.0.1:{server.port}") if browser else None
    statics = [r for r in http["resources"] if r["url"] != "/"]
    uncompressed = [r["url"] for r in statics if r["encoding"] == "identity"]
    uncached = [r["url"] for r in statics if not (r["long_cache"] and r["versioned"])]
    section.figures.update({"http": http, "browser": seen})
    identity_total = sum(r.get("identity_body_bytes", r["body_bytes"]) for r in statics)
    section.row(
        f"first load of / (Accept-Encoding: {ACCEPT_ENCODING})",
        f"{http['bytes_total'] / 1024:.1f} KB in {http['requests']} requests",
    )
    for r in http["resources"]:
        detail = f"{r['bytes'] / 1024:.1f} KB transferred, {r['encoding']}"
        if r["url"] != "/":
            detail += f" (file {r['identity_body_bytes'] / 1024:.1f} KB); cache-control: {r['cache_control'] or '-'}"
        section.row(f"  {r['url'].split('?')[0]}", detail)
    if seen is not None:
        section.row(
            "Chromium first load",
            f"{seen['bytes_total'] / 1024:.1f} KB in {seen['requests']} requests, "
            f"{len(seen['foreign_requests'])} to other origins",
        )
    section.row("static files uncompressed", ", ".join(u.split("?")[0] for u in uncompressed) or "none")
    section.figures["static_identity_bytes"] = identity_total
    section.budgets.append(
        Budget(
            "first load of /: bytes transferred",
            round(http["bytes_total"] / 1024, 1),
            BUDGET_BYTES / 1024,
            "<=",
            unit=" KB",
            note=f"{http['requests']} requests; Accept-Encoding: {ACCEPT_ENCODING}; 1 KB = 1024 bytes",
        )
    )
    foreign_count = len(http["foreign_urls_in_html"]) + (len(seen["foreign_requests"]) if seen else 0)
    section.budgets.append(
        Budget(
            "requests to other origins on first load",
            foreign_count,
            0,
            "<=",
            note="HTML scan" + (" + Chromium's requests" if seen else " only (no browser)"),
        )
    )
    section.budgets.append(
        Budget(
            "static files served uncompressed",
            len(uncompressed),
            0,
            "<=",
            note=", ".join(u.split("?")[0] for u in uncompressed),
        )
    )
    section.budgets.append(
        Budget(
            "static files without long-lived cache + versioned URL",
            len(uncached),
            0,
            "<=",
            note=", ".join(u.split("?")[0] for u in uncached) or f"all max-age >= {MIN_MAX_AGE // 86400} days",
        )
    )
