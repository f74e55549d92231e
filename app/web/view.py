"""The debugger's state as the templates see it, built from a form post by calling the core."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from app.config import Settings
from app.core import SUPPORTED, InputError, Policy, Problem, VerifyResult, policy_from_dict, verify
from app.core.claims import ClaimInfo, describe_claims
from app.core.examples import make_example
from app.core.findings import Finding, sort_findings
from app.core.jsonparse import parse_json
from app.core.jwe import DecodedJWE, DecryptResult, decode_jwe, decrypt_jwe
from app.core.sign import encode_unsigned, sign
from app.core.timefmt import as_numeric_date, in_calendar, iso
from app.store import ReplayLog, Store

from .forms import Form
from .policyform import FIELDS, policy_from_form

__all__ = [
    "DebuggerView",
    "Env",
    "Options",
    "Timeline",
    "view_for_edit",
    "view_for_example",
    "view_for_settings",
    "view_for_token",
]


@dataclass(frozen=True)
class Env:
    """What a view needs besides the form: limits and the SQLite store."""

    settings: Settings
    store: Store


@dataclass(frozen=True)
class Options:
    mode: str = "verify"
    key: str = ""
    secret_encoding: str = "utf8"
    algorithms: tuple[str, ...] = SUPPORTED
    sign_key: str = ""
    sign_secret_encoding: str = "utf8"
    allow_none: bool = False
    #: the key for a nested JWT's inner signed token (empty: the verify key)
    inner_key: str = ""
    #: the policy fields as typed, to render them back
    policy_fields: dict[str, str] = field(default_factory=dict)
    #: record a verified jti now (the "verify and record" button), not on every keystroke
    record_jti: bool = False

    @classmethod
    def from_form(cls, form: Form, **overrides: Any) -> Options:
        chosen = tuple(a for a in form.all("algorithms") if a in SUPPORTED)
        values: dict[str, Any] = {
            "mode": "sign" if form.get("mode") == "sign" else "verify",
            "key": form.get("key"),
            "secret_encoding": form.get("secret_encoding", "utf8"),
            "algorithms": chosen if form.has("algorithms_present") else SUPPORTED,
            "sign_key": form.get("sign_key"),
            "sign_secret_encoding": form.get("sign_secret_encoding", "utf8"),
            "allow_none": form.get("allow_none") == "on",
            "inner_key": form.get("inner_key"),
            "policy_fields": {name: form.get(name) for name in FIELDS if form.get(name)},
        }
        values.update(overrides)
        return cls(**values)

    def field(self, name: str) -> str:
        return self.policy_fields.get(name, "")


@dataclass(frozen=True)
class Marker:
    name: str
    x: float  # 0..1000 on the axis
    label: str


@dataclass(frozen=True)
class Timeline:
    """iat, nbf, exp and now on one axis, with the valid window and the leeway bands."""

    markers: tuple[Marker, ...]
    valid: tuple[float, float] | None
    bands: tuple[tuple[float, float], ...]
    now_inside: bool


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
    policy_error: Problem | None = None
    #: what sign mode did with the last edit, shown in the Verify pane
    sign_note: str | None = None
    sign_ok: bool = False
    #: a five-segment token: its keyless decode, and the decryption when a key was given
    jwe: DecodedJWE | None = None
    decrypted: DecryptResult | None = None
    now: float = 0.0
    leeway: float = 0.0
    replay_count: int | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The JWE's own findings (if any) with the signed token's, most severe first."""
        found = list(self.result.findings) if self.result else []
        if self.decrypted is not None:
            found += self.decrypted.findings
        elif self.jwe is not None:
            found += self.jwe.findings
        return sort_findings(found)

    @property
    def claim_infos(self) -> tuple[ClaimInfo, ...]:
        if self.result is not None:
            return self.result.claim_infos
        if self.decrypted is not None and self.decrypted.payload is not None:
            return describe_claims(self.decrypted.payload, self.now)
        return ()

    @property
    def key_is_public(self) -> bool:
        """Whether the verify key may go into a share link: public keys only, never a secret."""
        key_input = self.result.key_input if self.result else None
        return key_input is not None and all(not k.private and k.kty != "oct" for k in key_input.keys)

    @property
    def claim_status(self) -> dict[str, Any]:
        if self.result is None:
            return {}
        return {c.name: c for c in self.result.claims}

    @property
    def timeline(self) -> Timeline | None:
        if self.result is None or not self.result.token.payload:
            return None
        return build_timeline(self.result.token.payload, self.now, self.leeway)


def build_timeline(payload: dict[str, Any], now: float, leeway: float) -> Timeline | None:
    times = {n: as_numeric_date(payload.get(n)) for n in ("iat", "nbf", "exp")}
    # Drawn within the calendar: exp 1e308 would make the axis infinite and every position NaN.
    known = {n: in_calendar(t) for n, t in times.items() if t is not None}
    if not known:
        return None
    points = [*known.values(), now]
    low, high = min(points) - leeway, max(points) + leeway
    span = max(high - low, 1.0)
    low, high = low - span * 0.08, high + span * 0.08

    def x(ts: float) -> float:
        return round(1000 * (ts - low) / (high - low), 1)

    markers = [Marker(n, x(t), f"{n} {iso(times[n] or t)}") for n, t in known.items()]
    markers.append(Marker("now", x(now), f"now {iso(now)}"))
    markers.sort(key=lambda m: m.x)  # labels alternate above and below the axis in this order
    start = known.get("nbf", known.get("iat"))
    end = known.get("exp")
    valid = (x(start if start is not None else low), x(end if end is not None else high))
    bands = []
    if leeway and "exp" in known:
        bands.append((x(known["exp"]), x(known["exp"] + leeway)))
    if leeway and "nbf" in known:
        bands.append((x(known["nbf"] - leeway), x(known["nbf"])))
    inside = (start is None or now + leeway >= start) and (end is None or now < end + leeway)
    return Timeline(tuple(markers), valid, tuple(bands), inside)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class _NoRecord(ReplayLog):
    """Looks jti values up without recording: every keystroke re-verifies the same token."""

    def record(self, issuer: str, jti: str, exp: float | None, now: float) -> None:
        return None


def _policy(options: Options, env: Env) -> Policy:
    form = Form({name: [value] for name, value in options.policy_fields.items()})
    data = policy_from_form(form)
    guard: ReplayLog | None = None
    if data.pop("replay", False):
        guard = ReplayLog(env.store) if options.record_jti else _NoRecord(env.store)
    return policy_from_dict(data, guard)


def _verify_view(token: str, options: Options, env: Env, **extra: Any) -> DebuggerView:
    """Decode and verify ``token`` with the key the mode calls for."""
    signing = options.mode == "sign"
    key_text = options.sign_key if signing else options.key
    encoding = options.sign_secret_encoding if signing else options.secret_encoding
    settings = env.settings
    policy_error = None
    try:
        policy = _policy(options, env)
    except InputError as exc:
        policy, policy_error = Policy(), exc.problem
    now = time.time() if policy.now is None else policy.now
    replay_count = env.store.replay_count(now) if policy.replay is not None else None
    base = DebuggerView(
        token=token,
        options=options,
        policy_error=policy_error,
        now=now,
        leeway=policy.leeway,
        replay_count=replay_count,
        **extra,
    )
    if not token.strip():
        return base
    policy = replace(policy, now=now)
    max_token, max_key = settings.max_token_bytes, settings.max_key_bytes
    try:
        result = verify(
            token,
            key_text or None,
            secret_encoding=encoding,
            algorithms=options.algorithms,
            policy=policy,
            max_token=max_token,
            max_key=max_key,
            long_lifetime=settings.long_lifetime_seconds,
        )
    except InputError as exc:
        if exc.problem.code == "token_is_jwe":  # decode_token found five segments: the JWE path takes over
            return _jwe_view(token, options, env, base, policy, key_text or None, encoding)
        if exc.problem.segment not in ("key", "secret_encoding"):
            return replace(base, token_error=exc.problem)
        try:
            result = verify(token, None, algorithms=options.algorithms, policy=policy, max_token=max_token)
        except InputError as token_exc:
            return replace(base, token_error=token_exc.problem)
        return replace(base, result=result, key_error=exc.problem)
    if policy.replay is not None and options.record_jti:
        base = replace(base, replay_count=env.store.replay_count(now))
    return replace(base, result=result)


def _jwe_view(
    token: str, options: Options, env: Env, base: DebuggerView, policy: Policy, key_text: str | None, encoding: str
) -> DebuggerView:
    """A JWE: its header without a key; with one, the plaintext, and a nested signed token verified in place."""
    settings = env.settings
    try:
        jwe = decode_jwe(token, max_size=settings.max_token_bytes)
    except InputError as exc:
        return replace(base, token_error=exc.problem)
    view = replace(base, jwe=jwe, header_json=_pretty(jwe.header), payload_json="")
    if key_text is None:
        return view
    try:
        decrypted = decrypt_jwe(
            token, key_text, secret_encoding=encoding, max_size=settings.max_token_bytes, max_key=settings.max_key_bytes
        )
    except InputError as exc:
        return replace(view, key_error=exc.problem)
    view = replace(view, decrypted=decrypted, payload_json=decrypted.plaintext or "")
    if not decrypted.ok or decrypted.nested_kind != "jws" or decrypted.nested_token is None:
        return view
    inner_key = options.inner_key or key_text
    try:
        inner = verify(
            decrypted.nested_token,
            inner_key,
            secret_encoding=encoding if not options.inner_key else "utf8",
            algorithms=options.algorithms,
            policy=policy,
            max_token=settings.max_token_bytes,
            max_key=settings.max_key_bytes,
            long_lifetime=settings.long_lifetime_seconds,
        )
    except InputError as exc:
        return replace(view, key_error=exc.problem)
    return replace(view, result=inner)


def _with_editors(view: DebuggerView) -> DebuggerView:
    if view.result is None or view.jwe is not None:
        return view
    token = view.result.token
    payload_json = _pretty(token.payload) if token.payload is not None else token.payload_text
    return replace(view, header_json=_pretty(token.header), payload_json=payload_json)


def view_for_token(form: Form, env: Env, **overrides: Any) -> DebuggerView:
    """The token was pasted or typed: decode it, fill the editors, verify."""
    return _with_editors(_verify_view(form.get("token"), Options.from_form(form, **overrides), env))


def _parse_editor(text: str, where: str) -> Any:
    parsed = parse_json(text, where)
    if parsed.duplicates:
        dup = parsed.duplicates[0]
        raise InputError("duplicate_key", f"The {where} JSON has '{dup.key}' more than once; keep one", where)
    return parsed.value


def _rebuild(form: Form, options: Options, env: Env) -> DebuggerView:
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
                    max_key=env.settings.max_key_bytes,
                ).token
                signed = True
                note = f"Re-signed with the key in the Signing key box ({header.get('alg')})"
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
    view = _verify_view(token, options, env, **editors)
    return replace(view, sign_note=note, sign_ok=signed)


def view_for_edit(form: Form, env: Env) -> DebuggerView:
    return _rebuild(form, Options.from_form(form), env)


def view_for_settings(form: Form, env: Env, **overrides: Any) -> DebuggerView:
    """Key, algorithms, policy or mode changed. In sign mode with a key, the editors are re-signed."""
    options = Options.from_form(form, **overrides)
    # Switching to sign mode re-signs nothing: only an edit, or a new signing key, does.
    switching = form.get("changed") == "mode"
    if options.mode == "sign" and options.sign_key and form.get("header_json").strip() and not switching:
        return _rebuild(form, options, env)
    return _with_editors(_verify_view(form.get("token"), options, env))


def view_for_example(alg: str, env: Env) -> DebuggerView:
    example = make_example(alg)
    options = Options(key=example.verify_key, sign_key=example.signing_key)
    return _with_editors(_verify_view(example.token, options, env))


def view_with_options(token: str, options: Options, env: Env) -> DebuggerView:
    """The whole debugger for ``token`` under ``options`` (a loaded profile)."""
    return _with_editors(_verify_view(token, options, env))
