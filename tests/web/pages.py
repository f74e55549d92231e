"""Reading the page's HTML fragments in tests: the form htmx posts, and the parts a test looks at."""

from __future__ import annotations

import re
from html import unescape


def form(**fields: str) -> dict[str, str]:
    base = {"mode": "verify", "key": "", "secret_encoding": "utf8", "sign_key": "", "sign_secret_encoding": "utf8"}
    return {**base, **fields}


def oob_ids(html: str) -> list[str]:
    return re.findall(r'<\w+ id="([\w-]+)"[^>]*hx-swap-oob="true"', html)


def textarea(html: str, element_id: str) -> str:
    match = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert match, f"no textarea #{element_id}"
    return unescape(match.group(1))


def token_layer(html: str) -> str:
    match = re.search(r'<div id="token-layer"[^>]*>(.*?)</div>', html, re.DOTALL)
    assert match, "no #token-layer"
    return match.group(1)
