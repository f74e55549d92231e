"""The page's fragments with a JSON-serialized JWS and detached content (in-process, no browser)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
RFC = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text("utf-8"))


def form(**fields: str) -> dict[str, str]:
    return {
        "mode": "verify",
        "key": "",
        "secret_encoding": "utf8",
        "sign_key": "",
        "sign_secret_encoding": "utf8",
        **fields,
    }


def _signatures_table(html: str) -> str:
    match = re.search(r'<table id="signatures".*?</table>', html, re.DOTALL)
    assert match, "no signatures table"
    return unescape(match.group(0))


def test_general_json_lists_each_signature_with_its_unprotected_header(client):
    ec = {**RFC["rfc7515"]["A3_public"], "kid": "e9bc097a-ce51-4036-9562-d2ade882db0d"}
    html = client.post("/fragments/token", data=form(token=RFC["rfc7515"]["A6_general"], key=json.dumps(ec))).text
    table = _signatures_table(html)
    assert "General JSON serialization: 2 signatures" in table
    assert '{"kid": "2010-12-29"}' in table and "unprotected" in table
    assert table.count("attempt-verified") == 1 and table.count("attempt-bad_signature") == 1


def test_compact_token_has_no_signatures_table(client):
    case = RFC["rfc7797"]
    html = client.post("/fragments/token", data=form(token=case["s4_1_compact"], key=json.dumps(case["key"]))).text
    assert 'id="signatures"' not in html and 'id="signature-status"' in html


def test_detached_content_box_verifies_rfc7797(client):
    case = RFC["rfc7797"]
    fields = form(token=case["s4_2_detached"], key=json.dumps(case["key"]))
    without = client.post("/fragments/token", data=fields).text
    assert "sig-invalid" in without
    html = client.post("/fragments/settings", data={**fields, "detached_payload": case["payload"]}).text
    assert "Signature verified" in html
    assert 'name="detached_payload"' in client.get("/").text
