"""One policy schema: every surface derives its fields from ``Policy``, so a new field touches the schema
and the checker only. Each test walks every field of the schema; a field a surface forgot fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jwtlens.cli import build_parser
from jwtlens.config import Settings
from jwtlens.core import sign
from jwtlens.core.policy import POLICY_FIELDS, InvalidPolicy, Policy, RuleOp, parse_policy
from jwtlens.web.forms import Form
from jwtlens.web.policyform import fields_from_policy, policy_from_form

from tests.makers import future
from tests.servers import local_client
from tests.web.pages import form

#: a valid value of each form kind, as the policy's JSON form holds it
SAMPLES: dict[str, Any] = {
    "lines": ["https://idp.example/a", "https://idp.example/b"],
    "words": ["sub", "realm.roles"],
    "text": "at+jwt",
    "number": 30.0,
    "time": 1_767_225_600.0,
    "flag": True,
    "rules": [{"claim": "roles", "op": RuleOp.contains.value, "value": "admin"}],
}
#: a value of the wrong shape for each form kind; the core names the field
WRONG: dict[str, Any] = {
    "lines": {"an": "object"},
    "words": 17,
    "text": ["two", "values"],
    "number": "soon",
    "time": "yesterday-ish",
    "flag": "perhaps",
    "rules": [{"claim": "roles", "op": "resembles", "value": "x"}],
}
NAMES = sorted(POLICY_FIELDS)


def test_every_form_kind_has_samples() -> None:
    assert {field.form for field in POLICY_FIELDS.values()} <= SAMPLES.keys() == WRONG.keys()


@pytest.mark.parametrize("name", NAMES)
def test_the_core_accepts_each_field_and_names_it_when_wrong(name: str) -> None:
    field = POLICY_FIELDS[name]
    assert isinstance(parse_policy({name: SAMPLES[field.form]}), Policy)
    wrong = parse_policy({name: WRONG[field.form]})
    assert isinstance(wrong, InvalidPolicy)
    assert [p.field for p in wrong.problems] == [name]


@pytest.mark.parametrize("name", NAMES)
def test_the_page_form_round_trips_each_field(name: str) -> None:
    field = POLICY_FIELDS[name]
    policy = {name: SAMPLES[field.form]}
    fields = fields_from_policy(policy)
    assert list(fields) == [field.form_name]
    back = parse_policy(policy_from_form(Form({k: [v] for k, v in form(**fields).items()})))
    assert isinstance(back, Policy)
    assert back == parse_policy(policy)


def test_the_page_renders_one_control_per_field() -> None:
    with local_client(Settings()) as client:
        html = client.get("/").text
    controls = set(re.findall(r'name="(policy_[a-z_]+)"', html))
    assert controls == {field.form_name for field in POLICY_FIELDS.values()}


@pytest.mark.parametrize("name", NAMES)
def test_the_cli_has_a_flag_for_each_field(name: str) -> None:
    field = POLICY_FIELDS[name]
    flag = "--rule" if field.form == "rules" else field.flag
    value = SAMPLES[field.form]
    if field.form == "flag":
        argv = [flag]
    elif field.form == "rules":
        argv = [flag, "roles contains admin"]
    elif isinstance(value, list):
        argv = [flag, str(value[0])]
    else:
        argv = [flag, str(value)]
    args = build_parser(serving=False, command="verify").parse_args(["verify", "TOKEN", "--key", "k", *argv])
    assert getattr(args, f"policy_{name}") not in (None, False, [])


def _objects(node: Any) -> Any:
    """Every JSON schema object with properties, however deep ($defs, anyOf, inline)."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


@pytest.mark.parametrize("request_model", ["VerifyRequest", "ProfileBody"])
def test_the_openapi_policy_lists_every_field_with_its_description(request_model: str) -> None:
    with local_client(Settings()) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"][request_model]
    (policy,) = [o for o in _objects(schema) if set(o["properties"]) == set(POLICY_FIELDS)]
    for name, field in POLICY_FIELDS.items():
        assert policy["properties"][name]["description"] == field.description


@pytest.mark.parametrize("name", NAMES)
def test_a_profile_stores_each_public_field_and_never_a_secret_one(name: str, tmp_path) -> None:
    field = POLICY_FIELDS[name]
    with local_client(Settings(db_path=tmp_path / "profiles.sqlite3")) as client:
        saved = client.put("/api/profiles/p", json={"policy": {name: SAMPLES[field.form]}})
        assert saved.status_code == 200
        stored = client.get("/api/profiles/p").json()["profile"]["policy"]
    if field.secret:
        assert stored == {}
    else:
        assert parse_policy(stored) == parse_policy({name: SAMPLES[field.form]})


@pytest.mark.parametrize("name", NAMES)
def test_a_wrong_value_fails_closed_in_the_api_naming_its_field(name: str, secret: str) -> None:
    token = sign({"alg": "HS256"}, {"sub": "x", "exp": future()}, secret).token
    policy = {name: WRONG[POLICY_FIELDS[name].form]}
    with local_client(Settings()) as client:
        body = client.post("/api/verify", json={"token": token, "key": secret, "policy": policy}).json()
    assert body["signature"]["valid"] is True and body["verified"] is False
    assert body["verdict"]["status"] is None
    assert [p["field"] for p in body["verdict"]["policy_problems"]] == [name]


#: what a user can type into a page field that the schema refuses (free text fields take any text)
TYPED_WRONG = {"number": "soon", "time": "yesterday-ish", "rules": "roles resembles x"}


@pytest.mark.parametrize("name", [n for n in NAMES if POLICY_FIELDS[n].form in TYPED_WRONG])
def test_a_wrong_value_typed_in_the_page_fails_closed_beside_its_field(name: str, secret: str) -> None:
    field = POLICY_FIELDS[name]
    token = sign({"alg": "HS256"}, {"sub": "x", "exp": future()}, secret).token
    fields = form(token=token, key=secret, **{field.form_name: TYPED_WRONG[field.form]})
    with local_client(Settings()) as client:
        html = client.post("/fragments/settings", data=fields).text
    assert "Signature verified" in html and "Policy invalid" in html
    error = re.search(rf'<p id="{field.form_name.replace("_", "-")}-error"[^>]*>([^<]+)</p>', html)
    assert error is not None
    assert error.group(1).startswith("rule 1: " if field.form == "rules" else field.label)
