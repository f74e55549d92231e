"""The debugger's state as the templates see it, built from a form post by calling the core."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from app.config import Settings
from app.core import SUPPORTED, InputError, Problem, VerifyResult, verify
from app.core.examples import make_example
from app.core.jsonparse import parse_json
from app.core.sign import encode_unsigned, sign

from .forms import Form

__all__ = ["DebuggerView", "Options", "view_for_edit", "view_for_example", "view_for_settings", "view_for_token"]


@dataclass(frozen=True)
class Options:
    mode: str = "verify"
    key: str = ""
    secret_encoding: str = "utf8"
    algorithms: tuple[str, ...] = SUPPORTED
    sign_key: str = ""
    sign_secret_encoding: str = "utf8"
    allow_none: bool = False

    @classmethod
    def from_form(cls, form: Form) -> Options:
        chosen = tuple(a for a in form.all("algorithms") if a in SUPPORTED)
        return cls(
            mode="sign" if form.get("mode") == "sign" else "verify",
            key=form.get("key"),
            secret_encoding=form.get("secret_encoding", "utf8"),
            algorithms=chosen if form.has("algorithms_present") else SUPPORTED,
            sign_key=form.get("sign_key"),
            sign_secret_encoding=form.get("sign_secret_encoding", "utf8"),
            allow_none=form.get("allow_none") == "on",
        )


@dataclass(frozen=True)
class DebuggerView:
    token: str = ""
    header_json: str = ""
    payload_json: str = ""
    options: Options = field(default_factory=Options)
    result: VerifyResult | None = None
    token_error: Problem | None = None
    edit_error: Problem | None = None
    key_error: Problem | None = None
    #: what sign mode did with the last edit, shown in the Verify pane
    sign_note: str | None = None
    sign_ok: bool = False

    @property
    def claim_status(self) -> dict[str, Any]:
        if self.result is None:
            return {}
        return {c.name: c for c in self.result.claims}


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _verify_view(token: str, options: Options, settings: Settings, **extra: Any) -> DebuggerView:
    """Decode and verify ``token`` with the key the mode calls for."""
    signing = options.mode == "sign"
    key_text = options.sign_key if signing else options.key
    encoding = options.sign_secret_encoding if signing else options.secret_encoding
    base = DebuggerView(token=token, options=options, **extra)
    if not token.strip():
        return base
    try:
        result = verify(
            token,
            key_text or None,
            secret_encoding=encoding,
            algorithms=options.algorithms,
            max_token=settings.max_token_bytes,
            max_key=settings.max_key_bytes,
        )
    except InputError as exc:
        if exc.problem.segment in ("key", "secret_encoding"):
            try:
                result = verify(token, None, algorithms=options.algorithms, max_token=settings.max_token_bytes)
            except InputError as token_exc:
                return replace(base, token_error=token_exc.problem)
            return replace(base, result=result, key_error=exc.problem)
        return replace(base, token_error=exc.problem)
    return replace(base, result=result)


def _with_editors(view: DebuggerView) -> DebuggerView:
    if view.result is None:
        return view
    token = view.result.token
    payload_json = _pretty(token.payload) if token.payload is not None else token.payload_text
    return replace(view, header_json=_pretty(token.header), payload_json=payload_json)


def view_for_token(form: Form, settings: Settings) -> DebuggerView:
    """The token was pasted or typed: decode it, fill the editors, verify."""
    return _with_editors(_verify_view(form.get("token"), Options.from_form(form), settings))


def _parse_editor(text: str, where: str) -> Any:
    parsed = parse_json(text, where)
    if parsed.duplicates:
        dup = parsed.duplicates[0]
        raise InputError("duplicate_key", f"The {where} JSON has '{dup.key}' more than once; keep one", where)
    return parsed.value


def _rebuild(form: Form, options: Options, settings: Settings) -> DebuggerView:
    """Header or payload changed: re-sign in sign mode with a key, else re-encode with the old signature."""
    header_text, payload_text = form.get("header_json"), form.get("payload_json")
    editors: dict[str, Any] = {"header_json": header_text, "payload_json": payload_text}
    try:
        header = _parse_editor(header_text, "header")
        if not isinstance(header, dict):
            raise InputError("header_not_object", "The header must be a JSON object", "header")
        stripped = payload_text.lstrip()
        payload: Any = _parse_editor(payload_text, "payload") if stripped[:1] in ("{", "[") else payload_text
        if not isinstance(payload, (dict, str)):
            payload = payload_text
    except InputError as exc:
        return DebuggerView(token=form.get("token"), options=options, edit_error=exc.problem, **editors)

    old_parts = form.get("token").strip().split(".")
    old_signature = old_parts[2] if len(old_parts) == 3 else ""
    note: str | None = None
    signed = False
    try:
        if options.mode == "sign" and options.sign_key:
            try:
                token = sign(
                    header,
                    payload,
                    options.sign_key,
                    secret_encoding=options.sign_secret_encoding,
                    allow_none=options.allow_none,
                    max_key=settings.max_key_bytes,
                ).token
                signed = True
                note = f"Re-signed with your signing key ({header.get('alg')})"
            except InputError as exc:
                if exc.problem.segment == "payload":
                    raise
                note = f"Not re-signed: {exc.problem.message}. The token keeps its old signature, so it is invalid"
                token = encode_unsigned(header, payload, old_signature)
        else:
            if options.mode == "sign":
                note = "Not re-signed: enter a signing key. The token keeps its old signature, so it is invalid"
            token = encode_unsigned(header, payload, old_signature)
    except InputError as exc:
        return DebuggerView(token=form.get("token"), options=options, edit_error=exc.problem, **editors)
    view = _verify_view(token, options, settings, **editors)
    return replace(view, sign_note=note, sign_ok=signed)


def view_for_edit(form: Form, settings: Settings) -> DebuggerView:
    return _rebuild(form, Options.from_form(form), settings)


def view_for_settings(form: Form, settings: Settings) -> DebuggerView:
    """Key, algorithms or mode changed. In sign mode with a key, the editors are re-signed."""
    options = Options.from_form(form)
    if options.mode == "sign" and options.sign_key and form.get("header_json").strip():
        return _rebuild(form, options, settings)
    return _with_editors(_verify_view(form.get("token"), options, settings))


def view_for_example(alg: str, settings: Settings) -> DebuggerView:
    example = make_example(alg)
    options = Options(key=example.verify_key, sign_key=example.signing_key)
    return _with_editors(_verify_view(example.token, options, settings))
