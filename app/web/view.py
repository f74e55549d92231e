"""The debugger's state as the templates see it, built from a form post by calling the core."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup

from ..config import Settings
from ..core import SUPPORTED, InputError, InvalidPolicy, Policy, Problem, Verdict, VerifyResult, parse_policy
from ..core.claims import ClaimInfo, describe_claims
from ..core.dpop import DpopRequest
from ..core.examples import make_example
from ..core.findings import Finding
from ..core.inspect import Inspection, KeyText, inspect
from ..core.jsonparse import parse_json
from ..core.jwe import DecodedJWE, DecryptResult
from ..core.sign import encode_unsigned, sign
from ..core.timefmt import as_numeric_date, in_calendar, iso
from ..store import ReplayLog, Store
from .forms import Form
from .highlight import LineMark, error_position, json_layer, marks_for, token_layer
from .policyform import FORM_FIELDS, policy_from_form

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


_PROOF_FIELDS = ("kb_aud", "kb_nonce", "holder_key", "dpop_proof", "dpop_htu", "dpop_nonce")


@dataclass(frozen=True)
class Options:
    mode: str = "verify"
    key: str = ""
    secret_encoding: str = "utf8"
    key_kind: str = "auto"
    algorithms: tuple[str, ...] = SUPPORTED
    sign_key: str = ""
    sign_secret_encoding: str = "utf8"
    allow_none: bool = False
    #: the key for a nested JWT's inner signed token (empty: the verify key), with its own encoding
    inner_key: str = ""
    inner_secret_encoding: str = "utf8"
    #: accept keys the RFCs forbid (short HMAC secrets, small RSA keys): testing only
    allow_weak_keys: bool = False
    #: the verify key came from a share link (someone else chose it)
    key_from_link: bool = False
    #: the policy fields as typed, to render them back
    policy_fields: dict[str, str] = field(default_factory=dict)
    #: record a verified jti now (the "verify and record" button), not on every keystroke
    record_jti: bool = False
    #: SD-JWT key binding: what the KB-JWT must say, and the holder's key (else cnf.jwk)
    kb_aud: str = ""
    kb_nonce: str = ""
    holder_key: str = ""
    #: a DPoP proof sent with the token, and the request it came with
    dpop_proof: str = ""
    dpop_htm: str = "GET"
    dpop_htu: str = ""
    dpop_nonce: str = ""
    #: a JWS's detached content (RFC 7515 App. F, RFC 7797), as typed
    detached_payload: str = ""

    @classmethod
    def from_form(cls, form: Form, **overrides: Any) -> Options:
        chosen = tuple(a for a in form.all("algorithms") if a in SUPPORTED)
        values: dict[str, Any] = {
            "mode": "sign" if form.get("mode") == "sign" else "verify",
            "key": form.get("key"),
            "secret_encoding": form.get("secret_encoding", "utf8"),
            "key_kind": form.get("key_kind", "auto"),
            "algorithms": chosen if form.has("algorithms_present") else SUPPORTED,
            "sign_key": form.get("sign_key"),
            "sign_secret_encoding": form.get("sign_secret_encoding", "utf8"),
            "allow_none": form.get("allow_none") == "on",
            "inner_key": form.get("inner_key"),
            "inner_secret_encoding": form.get("inner_secret_encoding", "utf8"),
            "allow_weak_keys": form.get("allow_weak_keys") == "on",
            "key_from_link": form.get("key_from_link") == "1" and bool(form.get("key")),
            "policy_fields": {name: form.get(name) for name in FORM_FIELDS if form.get(name)},
            **{name: form.get(name) for name in _PROOF_FIELDS},
            "dpop_htm": form.get("dpop_htm") or "GET",
            "detached_payload": form.get("detached_payload"),
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
    #: where its name is written: 0 above the axis, 1 below, 2 higher above, 3 lower below
    row: int = 0

    @property
    def text_x(self) -> float:
        """The name's centre, kept inside the axis."""
        half = _label_width(self.name) / 2
        return min(max(self.x, half), 1000 - half)


_CHAR_WIDTH = 16.0  # of a 26-unit monospace label on the 1000-unit axis


def _label_width(name: str) -> float:
    return len(name) * _CHAR_WIDTH + 14


def _place_labels(markers: list[Marker]) -> list[Marker]:
    """Each label in the first row where it clears the label before it: labels never overlap."""
    ends = [-1e9] * 4
    placed = []
    for marker in markers:
        width = _label_width(marker.name)
        start = min(max(marker.x, width / 2), 1000 - width / 2) - width / 2
        row = next((r for r in range(4) if start >= ends[r]), min(range(4), key=lambda r: ends[r]))
        ends[row] = start + width
        placed.append(replace(marker, row=row))
    return placed


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
    #: why the policy cannot be applied, per field (the verdict is then "policy invalid")
    policy_invalid: InvalidPolicy | None = None
    #: what sign mode did with the last edit, shown in the Verify pane
    sign_note: str | None = None
    sign_ok: bool = False
    #: sign mode could not re-sign with the signing key: that refusal is the one message shown
    sign_refused: bool = False
    #: the core's one result for the token (JWS, JWE or nested): the verdict comes from here
    inspection: Inspection | None = None
    #: a five-segment token: its keyless decode, and the decryption when a key was given
    jwe: DecodedJWE | None = None
    decrypted: DecryptResult | None = None
    now: float = 0.0
    leeway: float = 0.0
    replay_count: int | None = None
    #: the secret verifies only under another encoding (the Secret encoding select), or None

    @property
    def policy_problems(self) -> dict[str, str]:
        """Form field name -> message, to show each next to its field."""
        if self.policy_invalid is None:
            return {}
        found: dict[str, str] = {}
        for problem in self.policy_invalid.problems:
            name = f"policy_{problem.field}"
            found[name] = f"{found[name]}; {problem.message}" if name in found else problem.message
        return found

    @property
    def policy_other_problems(self) -> str:
        """Problems with no field of their own (an unknown member of a loaded profile's policy)."""
        return "; ".join(m for name, m in self.policy_problems.items() if name not in FORM_FIELDS)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The JWE's own findings (if any) with the signed token's, most severe first."""
        return self.inspection.findings if self.inspection is not None else ()

    @property
    def verdict(self) -> Verdict | None:
        return self.inspection.verdict if self.inspection is not None else None

    @property
    def claim_infos(self) -> tuple[ClaimInfo, ...]:
        if self.result is not None:
            return self.result.claim_infos
        if self.decrypted is not None and self.decrypted.payload is not None:
            return describe_claims(self.decrypted.payload, self.now)
        return ()

    @property
    def claim_status(self) -> dict[str, Any]:
        if self.result is not None:
            return {c.name: c for c in self.result.claims}
        if self.inspection is not None:
            return {c.name: c for c in self.inspection.jwe_claims}
        return {}

    @property
    def claims_payload(self) -> dict[str, Any] | None:
        """The claims set on screen: the signed token's, or a decrypted JWE's JSON plaintext."""
        if self.result is not None:
            return self.result.token.payload
        return self.decrypted.payload if self.decrypted is not None else None

    @property
    def timeline(self) -> Timeline | None:
        payload = self.claims_payload
        return build_timeline(payload, self.now, self.leeway) if payload else None

    @property
    def token_layer(self) -> Markup:
        """The token box's text coloured by part (JWS: 3 parts, JWE: 5), flagged parts underlined."""
        if self.jwe is not None:
            segments = [seg.text for seg in self.jwe.segments]
            flagged = [f.segment or "" for f in self.findings if f.severity != "info"]
            return token_layer(self.token, segments, _JWE_PARTS, flagged)
        if self.result is not None:
            flagged = [f.segment or "" for f in self.result.findings if f.severity != "info"]
            return token_layer(self.token, [seg.text for seg in self.result.token.segments], _JWS_PARTS, flagged)
        return token_layer(self.token, (), ())

    def _error_at(self, where: str) -> tuple[int, int] | None:
        error = self.edit_error
        return error_position(error.message) if error is not None and error.segment == where else None

    @property
    def header_marks(self) -> tuple[LineMark, ...]:
        return self._edit_error_marks("header")

    @property
    def payload_marks(self) -> tuple[LineMark, ...]:
        """Each claim check and custom rule on the line of its claim, and a JSON error on its line."""
        if self.edit_error is not None:
            return self._edit_error_marks("payload")
        checks = {c.name: (c.status, c.message) for c in self.claim_status.values() if not c.rule}
        rules: dict[str, tuple[str, str, str]] = {}
        policy = self.inspection.policy if self.inspection is not None else None
        if isinstance(policy, Policy) and self.claims_payload is not None:
            by_label = {r.label: r.claim for r in policy.rules}
            for c in self.claim_status.values():
                claim = by_label.get(c.name)
                if c.rule and claim is not None:
                    top = claim if claim in self.claims_payload else claim.split(".", 1)[0]
                    rules[c.name] = (top, c.status, c.message)
        return marks_for(self.payload_json, checks, rules)

    def _edit_error_marks(self, where: str) -> tuple[LineMark, ...]:
        at = self._error_at(where)
        if at is None or self.edit_error is None:
            return ()
        return (LineMark(at[0], "error", f"line {at[0] + 1}, column {at[1] + 1}", self.edit_error.message),)

    @property
    def header_layer(self) -> Markup:
        return json_layer(self.header_json, self.header_marks, self._error_at("header"))

    @property
    def payload_layer(self) -> Markup:
        return json_layer(self.payload_json, self.payload_marks, self._error_at("payload"))

    @property
    def encoding_hint(self) -> Finding | None:
        """The core's word on a secret that verifies once base64-decoded, shown beside the key box."""
        return next((f for f in self.findings if f.code == "secret_encoding"), None)

    @property
    def truncated_hint(self) -> str | None:
        """The core's word on a signature of the wrong length, shown beside the token box."""
        return next((f.message for f in self.findings if f.code == "signature_length"), None)

    @property
    def token_iss(self) -> str:
        """The token's iss when it is an http(s) URL: the issuer box starts with it."""
        iss = (self.claims_payload or {}).get("iss")
        return iss if isinstance(iss, str) and iss.startswith(("https://", "http://")) and len(iss) < 2048 else ""


_JWS_PARTS = ("header", "payload", "signature")
_JWE_PARTS = ("header", "encrypted_key", "iv", "ciphertext", "tag")


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
    markers.sort(key=lambda m: m.x)
    markers = _place_labels(markers)
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


def _policy(options: Options) -> Policy | InvalidPolicy:
    form = Form({name: [value] for name, value in options.policy_fields.items()})
    return parse_policy(policy_from_form(form))


def _verify_view(
    token: str, options: Options, env: Env, *, signed_with: tuple[str, str] | None = None, **extra: Any
) -> DebuggerView:
    """Decode and verify ``token`` with the Verify key, or with the signing key that just re-signed it."""
    key_text, encoding = signed_with or (options.key, options.secret_encoding)
    kind = "auto" if signed_with else options.key_kind
    settings = env.settings
    policy = _policy(options)
    applied = policy if isinstance(policy, Policy) else Policy()
    now = time.time() if applied.now is None else applied.now
    replay = ReplayLog(env.store) if applied.replay else None
    base = DebuggerView(
        token=token,
        options=options,
        policy_invalid=policy if isinstance(policy, InvalidPolicy) else None,
        now=now,
        leeway=applied.leeway_seconds,
        replay_count=env.store.replay_count() if replay is not None else None,
        **extra,
    )
    if not token.strip():
        return base
    key = KeyText(key_text, encoding, kind) if key_text else None
    inner = KeyText(options.inner_key, options.inner_secret_encoding) if options.inner_key and not signed_with else None
    try:
        inspection = inspect(
            token,
            key,
            inner_key=inner,
            algorithms=options.algorithms,
            policy=policy,
            replay=replay,
            record_jti=options.record_jti,
            allow_weak_keys=options.allow_weak_keys,
            max_token=settings.max_token_bytes,
            max_key=settings.max_key_bytes,
            long_lifetime=settings.long_lifetime_seconds,
            holder_key=KeyText(options.holder_key, key_kind="public") if options.holder_key else None,
            kb_aud=options.kb_aud or None,
            kb_nonce=options.kb_nonce or None,
            dpop=_dpop_request(options),
            payload=options.detached_payload.encode("utf-8", "surrogatepass") if options.detached_payload else None,
        )
    except InputError as exc:
        return replace(base, token_error=exc.problem)
    if replay is not None and options.record_jti:
        base = replace(base, replay_count=env.store.replay_count())
    view = replace(
        base,
        inspection=inspection,
        result=inspection.signed,
        jwe=inspection.jwe,
        decrypted=inspection.decrypted,
        key_error=inspection.key_problem,
    )
    if inspection.jwe is not None:
        plaintext = inspection.decrypted.plaintext if inspection.decrypted is not None else None
        view = replace(view, header_json=_pretty(inspection.jwe.header), payload_json=_pretty_text(plaintext or ""))
    return view


def _dpop_request(options: Options) -> DpopRequest | None:
    if not options.dpop_proof.strip():
        return None
    return DpopRequest(options.dpop_proof, options.dpop_htm, options.dpop_htu, nonce=options.dpop_nonce or None)


def _pretty_text(text: str) -> str:
    """A JSON plaintext pretty-printed; anything else as it is."""
    if text.lstrip()[:1] not in ("{", "["):
        return text
    try:
        return _pretty(parse_json(text, "payload").value)
    except InputError:
        return text


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
    signed = refused = False
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
                note = f"Re-signed with the signing key ({header.get('alg')}); checked below with that key"
            except InputError as exc:
                if exc.problem.segment == "payload":
                    raise
                note = f"Not re-signed: {exc.problem.message}. The token keeps its old signature"
                refused = True
                token = encode_unsigned(header, payload, old_signature)
        else:
            if options.mode == "sign":
                note = "Not re-signed: enter a signing key. The token keeps its old signature, so it is invalid"
            token = encode_unsigned(header, payload, old_signature)
    except InputError as exc:
        return DebuggerView(token=form.get("token"), options=options, edit_error=exc.problem, **editors)
    signed_with = (options.sign_key, options.sign_secret_encoding) if signed else None
    view = _verify_view(token, options, env, signed_with=signed_with, **editors)
    return replace(view, sign_note=note, sign_ok=signed, sign_refused=refused)


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
