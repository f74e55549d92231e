"""One request to an OAuth endpoint (token, introspection, userinfo) under the same rules as a JWKS fetch.

Same SSRF checks, pinned addresses, deadline, size cap and CA bundle as ``fetch_document``; but a 4xx
answer is the provider's word (returned, not raised), and a redirect is refused rather than followed,
because following it would re-send the client's credentials to a URL nobody configured.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from ..core.errors import InputError
from .errors import UpstreamFailed, shown_url
from .policy import FetchPolicy
from .rules import check_url
from .transport import (
    FETCHING,
    REQUEST_HEADERS,
    PinnedBackend,
    PinnedTransport,
    Resolver,
    network_errors,
    parse_object,
    read_capped,
    resolve_checked,
    resolve_host,
    tls_for,
)

__all__ = ["Exchanged", "exchange"]


@dataclass(frozen=True)
class Exchanged:
    """What an endpoint answered: its status, its body as text, and the JSON object when it sent one."""

    url: str
    status: int
    content_type: str
    text: str
    value: dict[str, Any] | None


def exchange(
    url_text: str,
    policy: FetchPolicy,
    *,
    segment: str,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    resolver: Resolver = resolve_host,
) -> Exchanged:
    """POST ``form`` (or GET without one) to ``url_text``; 2xx and 4xx answers are returned, others raise."""
    quiet = FETCHING.set(True)
    try:
        return _exchange(url_text, policy, segment, form, headers or {}, resolver)
    finally:
        FETCHING.reset(quiet)


def _exchange(
    url_text: str,
    policy: FetchPolicy,
    segment: str,
    form: dict[str, str] | None,
    extra_headers: dict[str, str],
    resolver: Resolver,
) -> Exchanged:
    deadline = time.monotonic() + policy.total_timeout
    target = check_url(url_text, policy, segment)
    backend = PinnedBackend(deadline)
    timeout = httpx.Timeout(policy.total_timeout, connect=policy.connect_timeout)
    request = httpx.Request(
        "GET" if form is None else "POST",
        target,
        headers={**REQUEST_HEADERS, **extra_headers},
        data=form,
        extensions={"timeout": timeout.as_dict()},
    )
    where = shown_url(target)
    with PinnedTransport(backend, tls_for(policy, segment)) as transport:
        backend.pins[target.raw_host.decode("ascii").lower()] = resolve_checked(
            target, policy, resolver, deadline, segment
        )
        with network_errors(target, policy, deadline, segment):
            response = transport.handle_request(request)
            try:
                status = response.status_code
                if 300 <= status < 400:
                    raise UpstreamFailed(
                        "fetch_redirects",
                        f"{where} answered HTTP {status} (a redirect); jwtlens does not re-send credentials "
                        "to another URL: configure the endpoint's final URL",
                        segment,
                    )
                if not (200 <= status < 300 or 400 <= status < 500):
                    raise UpstreamFailed(
                        "fetch_status", f"{where} answered HTTP {status} {response.reason_phrase}".rstrip(), segment
                    )
                body = read_capped(response, target, policy, segment)
                content_type = response.headers.get("content-type", "")
            finally:
                response.close()
    value: dict[str, Any] | None = None
    text = body.decode("utf-8", "replace")
    if "json" in content_type.lower() or body.lstrip()[:1] == b"{":
        try:
            value, text = parse_object(body, content_type, str(target), segment)
        except InputError:
            if 200 <= status < 300:
                raise
    return Exchanged(str(target), status, content_type, text, value)
