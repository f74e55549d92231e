"""Command line: ``jwtlens serve|decode|verify|sign|keygen`` (bare ``jwtlens`` serves; so does ``python -m app``).

Exit codes for scripts and CI: 0 valid, 1 invalid (a token that does not verify, a refused key),
2 usage error (argparse's own code, and unreadable files).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__

__all__ = ["build_parser", "main"]

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or unreadable files: exit code 2."""


# -- output ----------------------------------------------------------------------


class Painter:
    """ANSI colours on a terminal, plain text elsewhere (and whenever NO_COLOR is set)."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty() and "NO_COLOR" not in os.environ

    def __call__(self, text: str, style: str) -> str:
        return f"\033[{_CODES[style]}m{text}\033[0m" if self.enabled else text


_CODES = {"ok": "32", "bad": "31", "warn": "33", "dim": "2", "bold": "1", "info": "36"}
_SEVERITY_STYLE = {"danger": "bad", "warning": "warn", "info": "info"}
_STATUS_STYLE = {"pass": "ok", "fail": "bad", "warn": "warn", "skip": "dim"}


def _print_findings(findings: list[dict[str, Any]], paint: Painter, out: TextIO) -> None:
    if findings:
        print(paint("Findings", "bold"), file=out)
    for finding in findings:
        print(
            f"  {paint(finding['severity'].upper(), _SEVERITY_STYLE[finding['severity']])} {finding['message']}",
            file=out,
        )
        if finding.get("hint"):
            print(f"    {paint(finding['hint'], 'dim')}", file=out)


def _print_decoded(data: dict[str, Any], paint: Painter, out: TextIO) -> None:
    print(paint("Header", "bold"), file=out)
    print(json.dumps(data["header"], indent=2, ensure_ascii=False), file=out)
    print(paint("Payload", "bold"), file=out)
    payload = data["payload"]
    print(json.dumps(payload, indent=2, ensure_ascii=False) if payload is not None else data["payload_text"], file=out)
    for claim in data.get("claims", []):
        if "time" in claim:
            print(f"  {claim['name']}: {claim['time']['iso']} ({claim['time']['relative']})", file=out)


# -- input -----------------------------------------------------------------------


def _read_value(value: str | None, what: str) -> str | None:
    """``VALUE`` as given, ``@path`` read from a file, ``@-`` from stdin."""
    if value is None or not value.startswith("@"):
        return value
    source = value[1:]
    try:
        return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the {what} from {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the {what} file {source} is not UTF-8 text") from None


def _read_bytes(value: str | None, what: str) -> bytes | None:
    """Like _read_value, but the bytes as they are (detached content need not be text)."""
    if value is None or not value.startswith("@"):
        return None if value is None else value.encode("utf-8", "surrogateescape")
    source = value[1:]
    try:
        return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} from {source}: {exc.strerror}") from None


def _read_token(arg: str | None) -> str:
    if arg is None or arg == "-":
        if sys.stdin.isatty():
            raise UsageError("give a token as an argument or pipe it on stdin")
        return sys.stdin.read()
    return _read_value(arg, "token") or ""


def _json_arg(value: str | None, what: str) -> Any:
    text = _read_value(value, what)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"the {what} is not valid JSON: {exc}") from None


# -- commands ----------------------------------------------------------------------


def _cmd_decode(args: argparse.Namespace, out: TextIO) -> int:
    from .core import decode
    from .core.tokens import token_kind
    from .present import decode_json

    token = _read_token(args.token)
    if token_kind(token) == "JWE":
        from .core.jwe import decode_jwe
        from .present import jwe_header_json

        jwe = jwe_header_json(decode_jwe(token))
        if args.json:
            print(json.dumps(jwe, indent=2, ensure_ascii=False), file=out)
        else:
            paint = Painter(out)
            print(paint("JWE protected header (the rest needs the key: jwtlens decrypt --key ...)", "bold"), file=out)
            print(json.dumps(jwe["header"], indent=2, ensure_ascii=False), file=out)
            _print_findings(jwe["findings"], paint, out)
        return EXIT_VALID
    data = decode_json(decode(token))
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    else:
        paint = Painter(out)
        _print_decoded(data, paint, out)
        _print_findings(data["findings"], paint, out)
    return EXIT_VALID


def _policy(args: argparse.Namespace) -> dict[str, Any]:
    """--policy JSON, then each policy flag over it; validated by the core like the API's policy."""
    from .core.policy import POLICY_FIELDS, rule_from_text

    policy: dict[str, Any] = _json_arg(args.policy, "policy") or {}
    if not isinstance(policy, dict):
        raise UsageError("the policy must be a JSON object")
    for name, field in POLICY_FIELDS.items():
        value = getattr(args, f"policy_{name}")
        if value is None or value is False or value == []:
            continue
        policy[name] = [rule_from_text(line) for line in value] if field.form == "rules" else value
    return policy


def _valid_policy(data: dict[str, Any]) -> Any:
    """The policy, or a usage error naming each field that is wrong (exit 2: the command line is at fault)."""
    from .core import parse_policy
    from .core.policy import InvalidPolicy

    policy = parse_policy(data)
    if isinstance(policy, InvalidPolicy):
        raise UsageError(f"policy invalid: {policy.message}")
    return policy


def _add_policy_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per field of the policy schema: lists repeat, flags switch on."""
    from .core.policy import POLICY_FIELDS

    group = parser.add_argument_group("validation policy (the API's 'policy'; flags override --policy)")
    for name, field in POLICY_FIELDS.items():
        dest = f"policy_{name}"
        if field.form == "flag":
            group.add_argument(field.flag, dest=dest, action="store_true", help=field.description)
        elif field.form in ("lines", "words", "rules"):
            flag = "--rule" if field.form == "rules" else field.flag
            extra = " ('claim op value', e.g. 'roles contains admin')" if field.form == "rules" else ""
            group.add_argument(flag, dest=dest, action="append", help=f"{field.description}{extra} (repeatable)")
        else:
            group.add_argument(field.flag, dest=dest, metavar=name.upper(), help=field.description)


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    """verify and decrypt: one inspection of any token, rendered like the API's answer."""
    from .core import InputError
    from .core.inspect import KeyText, inspect
    from .present import inspection_json

    key_text = _read_value(args.key, "key")
    if key_text is None and not args.use_x5c:
        raise UsageError("give the key with --key (a value, @file or @- for stdin), or --use-x5c")
    inner_text = _read_value(args.inner_key, "inner key")
    result = inspect(
        _read_token(args.token),
        KeyText(key_text, args.secret_encoding, args.key_kind) if key_text is not None else None,
        inner_key=KeyText(inner_text, args.inner_secret_encoding) if inner_text is not None else None,
        algorithms=args.alg or None,
        policy=_valid_policy(_policy(args)),
        allow_weak_keys=args.allow_weak_keys,
        payload=_read_bytes(args.payload, "detached content"),
        trust_anchors=_read_value(args.trust_anchors, "trust anchors"),
        use_x5c=args.use_x5c,
    )
    if result.key_problem is not None:
        raise InputError.of(result.key_problem)
    data = inspection_json(result)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    else:
        _print_inspection(data, Painter(out), out)
    return EXIT_VALID if result.verified else EXIT_INVALID


def _print_verified(data: dict[str, Any], paint: Painter, out: TextIO) -> None:
    signature = data["signature"]
    for entry in data.get("signatures", []):
        unprotected = f" (unprotected: {', '.join(entry['header'])})" if entry["header"] else ""
        label = paint("VALID" if entry["valid"] else "INVALID", "ok" if entry["valid"] else "bad")
        print(f"  signature {entry['index']} {label} {entry['alg']}{unprotected}: {entry['message']}", file=out)
    if "signatures" not in data:
        print(paint(signature["message"], "ok" if signature["valid"] else "bad"), file=out)
    chain = data.get("x5c")
    if chain is not None:
        subjects = " <- ".join(c["subject"] for c in chain["certificates"])
        print(f"  x5c {subjects}: {chain['reason']}", file=out)
    _print_checks(data["claims"], paint, out)


def _print_checks(checks: list[dict[str, Any]], paint: Painter, out: TextIO) -> None:
    for claim in checks:
        label = paint(claim["status"].upper(), _STATUS_STYLE[claim["status"]])
        print(f"  {label} {claim['name']}: {claim['message']}", file=out)


def _print_inspection(data: dict[str, Any], paint: Painter, out: TextIO) -> None:
    if data["type"] == "JWS":
        _print_verified(data, paint, out)
    else:
        jwe = data["jwe"]
        print(paint(f"JWE (alg {jwe['alg']}, enc {jwe['enc']})", "bold"), file=out)
        if "ok" in data:
            print(paint(data["message"], "ok" if data["ok"] else "bad"), file=out)
        if data.get("plaintext") is not None and "nested" not in data:
            print(paint("Plaintext", "bold"), file=out)
            payload = data.get("payload")
            print(json.dumps(payload, indent=2, ensure_ascii=False) if payload else data["plaintext"], file=out)
        if "nested" in data:
            print(paint("Nested signed token", "bold"), file=out)
            _print_verified(data["nested"], paint, out)
        _print_checks(data.get("claims", []), paint, out)
    verdict = data["verdict"]
    shown = "policy invalid" if verdict["status"] is None else verdict["status"]
    print(paint(f"{shown}: {verdict['reason']}", "ok" if data["verified"] else "bad"), file=out)
    _print_findings(data["findings"], paint, out)


def _cmd_sign(args: argparse.Namespace, out: TextIO) -> int:
    from .core import InputError, sign
    from .core.sign import SETTABLE_TIMES, read_times, stamp_times
    from .present import sign_json

    header = _json_arg(args.header, "header")
    if not isinstance(header, dict):
        raise UsageError('--header must be a JSON object, e.g. \'{"alg": "HS256"}\'')
    payload = _json_arg(args.payload, "payload") if args.payload is not None else {}
    if not isinstance(payload, (dict, str)):
        raise UsageError("--payload must be a JSON object (or a JSON string)")
    if args.iat is not None and args.no_iat:
        raise UsageError("--iat and --no-iat contradict each other")
    try:
        times = read_times({name: getattr(args, name) for name in SETTABLE_TIMES}, named=lambda name: f"--{name}")
        payload = stamp_times(payload, times, add_iat=not args.no_iat)
    except InputError as exc:  # a time that cannot be read, or set on a payload that holds no claims
        raise UsageError(exc.problem.message) from None
    if args.kid is not None:
        header = {**header, "kid": args.kid}
    key = _read_value(args.key, "key")
    if key is None and str(header.get("alg", "")).lower() != "none":
        raise UsageError("give the signing key with --key (a value, @file or @- for stdin)")
    if args.serialization != "compact" or args.signer:
        return _sign_serialized(args, header, payload, key, out)
    result = sign(header, payload, key, secret_encoding=args.secret_encoding, allow_none=args.allow_none)
    answer = sign_json(result)
    _warn(answer["findings"], "sign")
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False), file=out)
    else:
        print(result.token, file=out)
    return EXIT_VALID


def _warn(findings: list[dict[str, Any]], command: str) -> None:
    """Warnings and dangers about what was just made, on stderr: the output itself stays clean for pipes."""
    for finding in findings:
        if finding["severity"] in ("warning", "danger"):
            print(f"jwtlens {command}: {finding['severity']}: {finding['message']}", file=sys.stderr)


def _sign_serialized(
    args: argparse.Namespace, header: dict[str, Any], payload: dict[str, Any] | str, key: str | None, out: TextIO
) -> int:
    """--serialization flattened|general: --header/--key sign first, each --signer HEADER KEY adds one."""
    from .core.sign_json import sign_serialized
    from .present import serialized_json

    if args.serialization == "compact":
        raise UsageError("--signer needs --serialization general")
    headers, keys = [header], [key]
    for extra_header, extra_key in args.signer or []:
        parsed = _json_arg(extra_header, "signer header")
        if not isinstance(parsed, dict):
            raise UsageError("each --signer header must be a JSON object")
        headers.append(parsed)
        keys.append(_read_value(extra_key, "signer key"))
    result = sign_serialized(
        headers, payload, keys, args.serialization, secret_encoding=args.secret_encoding, detached=args.detached
    )
    answer = serialized_json(result)
    _warn(answer["findings"], "sign")
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False), file=out)
    else:
        print(result.token, file=out)
    return EXIT_VALID


def _cmd_keygen(args: argparse.Namespace, out: TextIO) -> int:
    from .core import InputError
    from .core.keytools import generate_key
    from .present import generated_json

    try:
        key = generate_key(args.kty, size=args.size, crv=args.crv, kid=args.kid, alg=args.alg)
    except InputError as exc:  # an impossible combination of options: the command line is at fault
        raise UsageError(exc.problem.message) from None
    if args.json:
        print(json.dumps(generated_json(key), indent=2), file=out)
    elif args.format == "jwk":
        print(json.dumps(key.private_jwk, indent=2), file=out)
    else:
        print(key.private_pem or json.dumps(key.private_jwk, indent=2), file=out, end="")
        if key.public_pem:
            print(key.public_pem, file=out, end="")
    return EXIT_VALID


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    import logging
    import threading
    import webbrowser

    from pydantic import ValidationError

    from .config import Settings, settings_problem

    # Only what was given on the command line overrides JWTLENS_HOST / JWTLENS_PORT.
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in ("host", "port") if getattr(args, name) is not None
    }
    if args.no_auth:
        overrides["no_auth"] = True
    if args.allowed_host:
        overrides["allowed_hosts"] = args.allowed_host
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise UsageError(settings_problem(exc)) from None

    import uvicorn

    from .main import access_token_for, create_app

    token = access_token_for(settings)
    configured = settings.access_token is not None and bool(settings.access_token.get_secret_value())
    host_text = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host_text}:{settings.port}/"
    print(f"jwtlens {__version__}: serving on {url}", file=out, flush=True)
    if not settings.loopback:
        if token is None:
            print(
                "WARNING: bound to a network address WITHOUT an access token (--no-auth): anyone who can reach "
                "this port can use jwtlens and read what is pasted into it.",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(
                "WARNING: bound to a network address; every visitor needs the access token. Open once:\n"
                # A configured token is never printed (logs outlive terminals); a generated one is shown this once.
                f"  {url}?access_token={'<JWTLENS_ACCESS_TOKEN>' if configured else token}\n"
                "API clients send 'Authorization: Bearer <token>'. Host names other than localhost must be listed "
                "in JWTLENS_ALLOWED_HOSTS.",
                file=sys.stderr,
                flush=True,
            )
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        create_app(settings, access_token=token),
        host=settings.host,
        port=settings.port,
        access_log=False,  # ours logs method, path and status; uvicorn's would log query strings
        log_level="warning",
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return EXIT_VALID


# -- parser ----------------------------------------------------------------------


def _serve_defaults() -> dict[str, Any]:
    """The declared defaults, not Settings(): a bad JWTLENS_* variable must not break --help."""
    from .config import Settings

    return {name: field.default for name, field in Settings.model_fields.items()}


def _add_key(parser: argparse.ArgumentParser, *, required: bool) -> None:
    from .core.keys import SECRET_ENCODINGS

    parser.add_argument("--key", required=required, help="secret, PEM, JWK or JWKS; @file reads a file, @- stdin")
    parser.add_argument(
        "--secret-encoding", default="utf8", choices=list(SECRET_ENCODINGS), help="HMAC secret encoding"
    )


def build_parser(*, serving: bool = True, command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``command``, only that command's parser is built.

    ``jwtlens decode`` then never loads the policy schema (for verify's flags) or the key readers;
    ``serving=False`` leaves serve's settings unimported.
    """
    defaults = _serve_defaults() if serving else {"host": "127.0.0.1", "port": 8000}
    parser = argparse.ArgumentParser(prog="jwtlens", description="A local JWT debugger.")
    parser.add_argument("--version", action="version", version=f"jwtlens {__version__}")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="serve the debugger (the default command)")
    serve.add_argument(
        "--host",
        help=f"address to bind (default {defaults['host']}, or JWTLENS_HOST: loopback, so only this machine can "
        "reach it)",
    )
    serve.add_argument("--port", type=int, help=f"port (default {defaults['port']}, or JWTLENS_PORT)")
    serve.add_argument("--open", action="store_true", help="open the page in a browser once serving")
    serve.add_argument("--no-auth", action="store_true", help="serve a network address without an access token")
    serve.add_argument("--allowed-host", action="append", help="a host name the server answers to (repeatable)")

    decode = commands.add_parser("decode", help="decode a token without a key")
    decode.add_argument("token", nargs="?", help="the token, @file, or - / nothing for stdin")
    decode.add_argument("--json", action="store_true", help="print the API's JSON")

    for name, help_ in (
        ("verify", "verify a JWS (or a JWE holding one) and its claims; exit 0 only when verified"),
        ("decrypt", "decrypt a JWE and verify a signed token inside it; exit 0 only when verified"),
    ):
        if command not in (None, name):
            continue
        from .core.keys import KEY_KINDS, SECRET_ENCODINGS

        inspecting = commands.add_parser(name, help=help_)
        inspecting.add_argument("token", nargs="?", help="the token, @file, or - / nothing for stdin")
        _add_key(inspecting, required=False)
        inspecting.add_argument(
            "--key-kind",
            default="auto",
            choices=list(KEY_KINDS),
            help="what the key is: auto (read it), secret (HMAC) or public; never overrides a key-confusion refusal",
        )
        inspecting.add_argument("--inner-key", help="JWE holding a signed token: the inner token's key (default --key)")
        inspecting.add_argument(
            "--inner-secret-encoding", default="utf8", choices=list(SECRET_ENCODINGS), help="the inner key's encoding"
        )
        inspecting.add_argument("--alg", action="append", help="allowed algorithm (repeatable; default all)")
        inspecting.add_argument(
            "--allow-weak-keys",
            action="store_true",
            help="testing only: accept keys RFC 7518 forbids",
        )
        inspecting.add_argument("--policy", help="a policy as JSON (the API's 'policy'), or @file")
        inspecting.add_argument(
            "--payload", help="the detached content (RFC 7515 App. F, RFC 7797): a value, @file (bytes) or @-"
        )
        inspecting.add_argument("--trust-anchors", help="CA certificates (PEM, @file) an x5c chain must validate to")
        inspecting.add_argument(
            "--use-x5c", action="store_true", help="verify with the x5c leaf key, only when its chain validates"
        )
        _add_policy_flags(inspecting)
        inspecting.add_argument("--json", action="store_true", help="print the API's JSON")

    if command in (None, "sign"):
        sign = commands.add_parser("sign", help="sign a header and payload")
        sign.add_argument("--header", required=True, help='header JSON or @file, e.g. \'{"alg": "HS256"}\'')
        sign.add_argument("--payload", help="payload JSON or @file (default {})")
        _add_key(sign, required=False)
        sign.add_argument("--allow-none", action="store_true", help="allow alg none (an unsigned token), on purpose")
        from .core.timefmt import TIME_SPELLINGS as when

        sign.add_argument("--exp", metavar="TIME", help=f"set exp: {when}")
        sign.add_argument("--nbf", metavar="TIME", help=f"set nbf: {when}")
        sign.add_argument("--iat", metavar="TIME", help=f"set iat (default now, unless the payload has one): {when}")
        sign.add_argument("--no-iat", action="store_true", help="leave iat out unless the payload has one")
        sign.add_argument("--kid", help="set the header's kid")
        sign.add_argument(
            "--serialization",
            choices=["compact", "flattened", "general"],
            default="compact",
            help="compact (default), or JSON: flattened (one signature) or general (RFC 7515 §7.2)",
        )
        sign.add_argument(
            "--signer",
            nargs=2,
            action="append",
            metavar=("HEADER", "KEY"),
            help="general only: one more signature, its header JSON and key (values or @file; repeatable)",
        )
        sign.add_argument("--detached", action="store_true", help="JSON serializations: leave the payload out")
        sign.add_argument("--json", action="store_true", help="print the API's JSON")

    keygen = commands.add_parser("keygen", help="generate a key")
    keygen.add_argument("--kty", default="EC", choices=["RSA", "EC", "OKP", "oct", "AKP"], help="key type (default EC)")
    keygen.add_argument("--size", type=int, help="RSA: 2048, 3072, 4096; oct: 128, 192, 256, 384, 512 (bits)")
    keygen.add_argument("--crv", help="EC: P-256, P-384, P-521, secp256k1; OKP: Ed25519, Ed448, X25519, X448")
    keygen.add_argument("--alg", help="AKP: ML-DSA-44, ML-DSA-65 (default) or ML-DSA-87")
    keygen.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    keygen.add_argument("--format", choices=["pem", "jwk"], default="pem", help="output form (default pem)")
    keygen.add_argument("--json", action="store_true", help="print every form as JSON")
    return parser


_COMMANDS = {
    "serve": _serve,
    "decode": _cmd_decode,
    "verify": _cmd_verify,
    "decrypt": _cmd_verify,
    "sign": _cmd_sign,
    "keygen": _cmd_keygen,
}


def _time_values_attached(args: list[str]) -> list[str]:
    """``--nbf -30m`` as ``--nbf=-30m``: argparse would take the value for an option of its own.

    After a time option (one per core.sign.SETTABLE_TIMES), an argument with a single leading minus is its value
    (sign has no short options besides -h); ``--`` ends the options, and what follows it is left alone.
    """
    from .core.sign import SETTABLE_TIMES

    time_options = {f"--{name}" for name in SETTABLE_TIMES}
    joined: list[str] = []
    index = 0
    while index < len(args):
        current = args[index]
        if current == "--":
            return joined + args[index:]
        following = args[index + 1] if index + 1 < len(args) else ""
        if current in time_options and following[:1] == "-" and following[:2] != "--" and following != "-h":
            joined.append(f"{current}={following}")
            index += 2
            continue
        joined.append(current)
        index += 1
    return joined


def main(argv: Sequence[str] | None = None) -> int:
    from .core import InputError

    args = list(sys.argv[1:] if argv is None else argv)
    # Bare `jwtlens` (or `jwtlens --port 9000`) means `jwtlens serve ...`.
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        args = ["serve", *args]
    command = args[0] if args[0] in _COMMANDS else None
    if command == "sign":
        args = _time_values_attached(args)
    parsed = build_parser(serving=args[0] == "serve", command=command).parse_args(args)
    if argv is None and parsed.command != "serve" and hasattr(signal, "SIGPIPE"):
        # A reader that stops early (jwtlens decode ... | head) ends us quietly, as it ends any Unix tool.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        return _COMMANDS[parsed.command](parsed, sys.stdout)
    except UsageError as exc:
        print(f"jwtlens {parsed.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        where = f" ({exc.problem.segment})" if exc.problem.segment else ""
        print(f"jwtlens {parsed.command}: {exc.problem.message}{where}", file=sys.stderr)
        return EXIT_INVALID
