"""htmx endpoints: each returns out-of-band fragments for every pane the edit changes."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ..core import ALGORITHMS, SUPPORTED, InputError
from ..core.compare import compare_tokens
from ..core.extract import extract_token
from ..core.jsonparse import parse_json
from ..core.jwe import encrypt_jwe
from ..core.keytools import convert_key, generate_key
from . import profiles
from .deps import IssuerCacheDep, SettingsDep, StoreDep
from .forms import Form, read_form
from .keysource import fetch_keys
from .limits import off_loop
from .policyform import fields_from_policy, policy_from_form
from .render import render, templates
from .view import (
    DebuggerView,
    Env,
    Options,
    view_for_edit,
    view_for_example,
    view_for_settings,
    view_for_token,
    view_with_options,
)

router = APIRouter(prefix="/fragments", include_in_schema=False)


def _panes(request: Request, view: DebuggerView, skip: tuple[str, ...], form: Form | None = None) -> HTMLResponse:
    if "editors" in skip and form is not None and form.has("header_json"):
        # the editors keep what was typed; their coloured layers must hold that very text
        view = replace(view, header_json=form.get("header_json"), payload_json=form.get("payload_json"))
    return templates.TemplateResponse(
        request, "_panes.html", {"view": view, "oob": True, "skip": skip, "algorithms": ALGORITHMS}
    )


def debugger(request: Request, view: DebuggerView, env: Env, note: str | None = None, **extra: Any) -> HTMLResponse:
    """The whole three-pane form, for answers that replace it (examples, profiles, fetched keys).

    Rendered in a worker thread (``_debugger_off_loop``): it reads the store and may echo a large token.
    """
    context = {
        "view": view,
        "algorithms": ALGORITHMS,
        "profiles": [p.name for p in env.store.profiles()],
        "profile_note": note,
        **extra,
    }
    return templates.TemplateResponse(request, "_debugger.html", context)


async def _debugger_off_loop(
    request: Request, view: DebuggerView, env: Env, note: str | None = None, **extra: Any
) -> HTMLResponse:
    return await off_loop(request, debugger, request, view, env, note, **extra)


def _edited(request: Request, view: DebuggerView, token_changed: bool, form: Form, policy: bool = True) -> HTMLResponse:
    """Every pane but the editors; the token box too when the token was rebuilt or re-signed.

    A JWE's editors are read-only and show the plaintext: they follow every change (key after token).
    """
    if view.edit_error is not None:
        return _panes(request, view, ("token", "encoded", "editors", "decoded", "verify"), form)
    skip = (() if view.jwe is not None else ("editors",)) + (() if policy else ("policy",))
    return _panes(request, view, skip if token_changed else ("token", *skip), form)


# Each keystroke route hands the view and its rendering to one worker thread: one hand-off per request,
# and a large token rendered away from the event loop.


def _token_answer(request: Request, form: Form, env: Env) -> HTMLResponse:
    return _panes(request, view_for_token(form, env), skip=("token", "policy"))


def _edit_answer(request: Request, form: Form, env: Env) -> HTMLResponse:
    return _edited(request, view_for_edit(form, env), token_changed=True, form=form, policy=False)


def _settings_answer(
    request: Request, form: Form, env: Env, *, record_jti: bool = False, clear_replay: bool = False
) -> HTMLResponse:
    if clear_replay:
        env.store.clear_replay()
    view = view_for_settings(form, env, record_jti=record_jti)
    return _edited(request, view, token_changed=view.sign_note is not None, form=form)


@router.post("/token", response_class=HTMLResponse)
async def token_changed(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    return await off_loop(request, _token_answer, request, form, Env(settings, store))


@router.post("/edit", response_class=HTMLResponse)
async def editors_changed(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    return await off_loop(request, _edit_answer, request, form, Env(settings, store))


@router.post("/settings", response_class=HTMLResponse)
async def settings_changed(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    return await off_loop(request, _settings_answer, request, form, Env(settings, store))


@router.post("/record", response_class=HTMLResponse)
async def verify_and_record(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    """The explicit 'verify and record jti' button: the one place the page writes the replay log."""
    form = await read_form(request)
    return await off_loop(request, _settings_answer, request, form, Env(settings, store), record_jti=True)


@router.post("/replay/clear", response_class=HTMLResponse)
async def clear_replay(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    return await off_loop(request, _settings_answer, request, form, Env(settings, store), clear_replay=True)


@router.post("/example", response_class=HTMLResponse)
async def load_example(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    env = Env(settings, store)
    view = await off_loop(request, view_for_example, form.get("example_alg", "HS256"), env)
    return await _debugger_off_loop(request, view, env)


def _profile_options(data: dict[str, Any], current: Options) -> Options:
    algorithms = data.get("algorithms")
    return replace(
        current,
        mode="verify",
        key=data.get("key") or "",
        secret_encoding=data.get("secret_encoding") or "utf8",
        algorithms=tuple(a for a in algorithms if a in SUPPORTED) if isinstance(algorithms, list) else SUPPORTED,
        policy_fields=fields_from_policy(data.get("policy") or {}),
    )


@router.post("/profile/load", response_class=HTMLResponse)
async def load_profile(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    env = Env(settings, store)
    current = Options.from_form(form)
    saved = await off_loop(request, store.profile, form.get("profile_name"))
    if saved is None:
        view = await off_loop(request, view_with_options, form.get("token"), current, env)
        return await _debugger_off_loop(request, view, env, "Choose a saved profile to load")
    view = await off_loop(request, view_with_options, form.get("token"), _profile_options(saved.data, current), env)
    note = f"Loaded profile '{saved.name}'" + ("" if saved.data.get("key") else " (it has no stored key)")
    return await _debugger_off_loop(request, view, env, note, selected_profile=saved.name)


def _profile_body(form: Form) -> profiles.ProfileBody:
    policy = policy_from_form(form)
    algorithms = [a for a in form.all("algorithms") if a in SUPPORTED] if form.has("algorithms_present") else None
    return profiles.ProfileBody.model_validate(
        {
            "policy": policy,
            "key": form.get("key") or None,
            "secret_encoding": form.get("secret_encoding", "utf8"),
            "algorithms": algorithms if algorithms != list(SUPPORTED) else None,
            "store_secret": form.get("profile_store_secret") == "on",
        }
    )


@router.post("/profile/save", response_class=HTMLResponse)
async def save_profile(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    env = Env(settings, store)
    view = await off_loop(request, view_for_settings, form, env)
    try:
        body = _profile_body(form)
        saved = await off_loop(
            request, profiles.save, store, form.get("profile_save_name"), body, settings.max_key_bytes
        )
    except InputError as exc:
        return await _debugger_off_loop(request, view, env, f"Not saved: {exc.problem.message}")
    note = f"Saved profile '{saved['name']}'" + (f". {saved['note']}" if saved["note"] else "")
    return await _debugger_off_loop(request, view, env, note, selected_profile=saved["name"])


@router.post("/profile/delete", response_class=HTMLResponse)
async def delete_profile(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    env = Env(settings, store)
    name = form.get("profile_name")
    deleted = await off_loop(request, store.delete_profile, name)
    note = f"Deleted profile '{name}'" if deleted else "Choose a saved profile to delete"
    return await _debugger_off_loop(request, await off_loop(request, view_for_settings, form, env), env, note)


@router.post("/profile/import", response_class=HTMLResponse)
async def import_profiles(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    form = await read_form(request)
    env = Env(settings, store)
    view = await off_loop(request, view_for_settings, form, env)
    try:
        # parse_json: a deep or huge-integer paste is a message, not a RecursionError.
        document = parse_json(form.get("profile_import") or "null", "import").value
        if not isinstance(document, dict):
            raise InputError("import_format", "Paste the JSON of a jwtlens profile export", "body")
        body = profiles.ImportBody.model_validate(document)
        done = await off_loop(request, profiles.import_profiles, body, store, settings)
    except ValueError:
        note = "Not imported: the text is not a jwtlens profile export (JSON)"
    except InputError as exc:
        note = f"Not imported: {exc.problem.message}"
    else:
        note = f"Imported {done['imported']} profile(s): {', '.join(done['names'])}"
    return await _debugger_off_loop(request, view, env, note)


@router.post("/compare", response_class=HTMLResponse)
async def compare(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    comparison, problem = None, None
    if form.get("compare_token").strip():
        try:
            comparison = await off_loop(
                request,
                compare_tokens,
                form.get("token"),
                form.get("compare_token"),
                max_token=settings.max_token_bytes,
            )
        except InputError as exc:
            problem = exc.problem
    return await render(request, "_compare.html", {"comparison": comparison, "problem": problem})


@router.post("/fetch-keys", response_class=HTMLResponse)
async def fetch_issuer_keys(
    request: Request, settings: SettingsDep, store: StoreDep, cache: IssuerCacheDep
) -> HTMLResponse:
    """The 'Fetch keys' and 'Refresh' buttons: the only way the page makes jwtlens reach out."""
    form = await read_form(request)
    env = Env(settings, store)
    url = form.get("issuer_url").strip()
    kind = "jwks_url" if form.get("issuer_kind") == "jwks_url" else "issuer"
    try:
        # Blocking I/O, bounded by the fetch timeout: run it off the event loop.
        source = await run_in_threadpool(fetch_keys, settings, cache, refresh=form.get("refresh") == "1", **{kind: url})
    except InputError as exc:
        view = await off_loop(request, view_for_settings, form, env)
        return await _debugger_off_loop(request, view, env, issuer_error=exc.problem, issuer_url=url, issuer_kind=kind)
    options = replace(Options.from_form(form), mode="verify", key=source.jwks_text)
    view = await off_loop(request, view_with_options, form.get("token"), options, env)
    return await _debugger_off_loop(request, view, env, fetched=source, issuer_url=url, issuer_kind=kind)


@dataclass(frozen=True)
class _KeyOutput:
    label: str
    text: str
    filename: str
    #: the key boxes it may go into: "verify" (public keys, secrets), "sign" (private keys, secrets)
    uses: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return min(12, self.text.count("\n") + 2)


def _json_text(value: object) -> str:
    return json.dumps(value, indent=2)


@router.post("/keygen", response_class=HTMLResponse)
async def keygen(request: Request) -> HTMLResponse:
    form = await read_form(request)
    kty, _, param = form.get("kind", "EC:P-256").partition(":")
    context: dict[str, Any] = {}
    try:
        size = int(param) if param.isdigit() else None
        crv, kid = None if size else param or None, form.get("kid").strip() or None
        key = await off_loop(request, generate_key, kty, size=size, crv=crv, kid=kid)
    except InputError as exc:
        return await render(request, "_keys_result.html", {"keys_problem": exc.problem})
    # ECDH keys (X25519, X448) encrypt rather than sign: no key box takes them.
    signs = kty != "OKP" or param.startswith("Ed")
    sign, verify = ("sign",) if signs else (), ("verify",) if signs else ()
    outputs = [
        _KeyOutput("Private key (PEM, PKCS#8)", key.private_pem or "", "private.pem", sign),
        _KeyOutput("Public key (PEM, SPKI)", key.public_pem or "", "public.pem", verify),
        _KeyOutput(
            "Private JWK" if key.kty != "oct" else "Secret as a JWK",
            _json_text(key.private_jwk),
            "private.jwk.json",
            ("verify", "sign") if key.kty == "oct" else sign,
        ),
        _KeyOutput("Public JWK", _json_text(key.public_jwk) if key.public_jwk else "", "public.jwk.json", verify),
        _KeyOutput("Public JWKS", _json_text(key.jwks) if key.public_jwk else "", "jwks.json", verify),
    ]
    context = {"key_outputs": [o for o in outputs if o.text], "thumbprint": key.thumbprint}
    return await render(request, "_keys_result.html", context)


@router.post("/convert", response_class=HTMLResponse)
async def convert(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    to: Literal["jwk", "pem"] = "pem" if form.get("to") == "pem" else "jwk"
    try:
        result = await off_loop(
            request,
            convert_key,
            form.get("key"),
            to=to,
            private=False if form.get("public_only") == "on" else None,
            max_key=settings.max_key_bytes,
        )
    except InputError as exc:
        return await render(request, "_keys_result.html", {"keys_problem": exc.problem})
    if to == "pem" and len(result.keys) > 1:
        # one PEM per key of a JWKS, each named by its kid and thumbprint
        outputs = [
            _KeyOutput(f"Key {n} as PEM: kid {k.kid}, thumbprint {k.thumbprint} ({k.description})", k.pem, f"{n}.pem")
            for n, k in enumerate(result.keys, 1)
            if k.pem
        ]
    else:
        name = "key.pem" if to == "pem" else "key.jwk.json"
        outputs = [_KeyOutput(f"{result.label} as {to.upper()}", result.output, name)]
    if result.jwks.get("keys"):
        outputs.append(_KeyOutput("Public JWKS", _json_text(result.jwks), "jwks.json"))
    context = {"key_outputs": outputs, "thumbprint": result.thumbprint}
    return await render(request, "_keys_result.html", context)


@router.post("/encrypt", response_class=HTMLResponse)
async def encrypt(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    header = {"alg": form.get("encrypt_alg"), "enc": form.get("encrypt_enc"), "cty": "JWT"}
    context: dict[str, Any] = {}
    try:
        token = (await off_loop(request, extract_token, form.get("token"))).token
        if not token:
            raise InputError("token_empty", "There is no token in the Encoded pane to encrypt", "token")
        key_text = form.get("encrypt_key")
        context["jwe"] = await off_loop(request, encrypt_jwe, header, token, key_text, max_key=settings.max_key_bytes)
    except InputError as exc:
        context["problem"] = exc.problem
    return await render(request, "_encrypt_result.html", context)
