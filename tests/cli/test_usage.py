"""The CLI as a script uses it: sign's time and kid flags, warnings on stderr, exit codes, quiet pipes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jwtlens import cli
from jwtlens.core import sign
from jwtlens.core.sign import SETTABLE_TIMES
from jwtlens.core.weak_secrets import WEAK_SECRETS

from tests.makers import b64url, new_secret

STRONG = new_secret()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = cli.main(list(args))
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def signed_payload(capsys: pytest.CaptureFixture[str], *flags: str, payload: str = '{"sub": "cli"}') -> dict[str, Any]:
    code, out, err = run(capsys, "sign", "--header", '{"alg": "HS256"}', "--payload", payload, "--key", STRONG, *flags)
    assert code == 0, err
    token = out.strip()
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def header_of(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


# -- sign: times -------------------------------------------------------------------------------

FORMS: dict[str, tuple[str, float]] = {
    "epoch": ("1767225600", 1767225600),
    "epoch with a fraction": ("1767225600.4", 1767225600),
    "ISO 8601 Z": ("2026-01-01T00:00:00Z", 1767225600),
    "ISO 8601 offset": ("2026-01-01T02:00:00+02:00", 1767225600),
    "ISO 8601 with a space": ("2026-01-01 00:00:00Z", 1767225600),
}
RELATIVE = {"+1h": 3600, "-30m": -1800, "+2d": 172800, "+90s": 90, "+1w": 604800, "now": 0, "- 5 m": -300}


@pytest.mark.parametrize("claim", SETTABLE_TIMES)
@pytest.mark.parametrize("form", list(FORMS))
def test_each_time_claim_takes_each_absolute_form(capsys: pytest.CaptureFixture[str], claim: str, form: str) -> None:
    text, expected = FORMS[form]
    assert signed_payload(capsys, f"--{claim}", text)[claim] == expected


@pytest.mark.parametrize("claim", SETTABLE_TIMES)
@pytest.mark.parametrize("text", list(RELATIVE))
def test_each_time_claim_takes_relative_times(capsys: pytest.CaptureFixture[str], claim: str, text: str) -> None:
    before = time.time()
    for spelling in ([f"--{claim}={text}"], [f"--{claim}", text]):  # --nbf -30m: the value, not a flag
        value = signed_payload(capsys, *spelling)[claim]
        assert isinstance(value, int)
        assert before + RELATIVE[text] - 1 <= value <= time.time() + RELATIVE[text] + 1


@pytest.mark.parametrize("claim", SETTABLE_TIMES)
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tomorrow", "ISO 8601"),
        ("2026-01-01T00:00:00", "time zone"),  # no zone: whose midnight?
        ("+1y", "ISO 8601"),
        ("-1y", "ISO 8601"),  # a leading minus is still read as this flag's value, and refused by the time parser
        ("", "ISO 8601"),
        ("99999999999999", "outside the calendar"),
        ("NaN", "ISO 8601"),
    ],
)
def test_a_time_that_cannot_be_read_is_a_usage_error_naming_its_flag(
    capsys: pytest.CaptureFixture[str], claim: str, text: str, says: str
) -> None:
    code, out, err = run(capsys, "sign", "--header", '{"alg": "HS256"}', "--key", STRONG, f"--{claim}", text)
    assert code == 2 and not out
    assert f"--{claim}" in err and says in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--nbf", "-30m", "--exp", "-5"], ["--nbf=-30m", "--exp=-5"]),
        (["--exp", "--kid", "k"], ["--exp", "--kid", "k"]),  # another option is not a value
        (["--exp", "-h"], ["--exp", "-h"]),  # help stays help
        (["--kid", "-30m"], ["--kid", "-30m"]),  # only the time options
        (["--", "--nbf", "-30m"], ["--", "--nbf", "-30m"]),  # after --, nothing is rewritten
        (["--nbf"], ["--nbf"]),
    ],
)
def test_only_a_time_options_dash_value_is_attached(args: list[str], expected: list[str]) -> None:
    assert cli._time_values_attached(["sign", *args]) == ["sign", *expected]


def test_iat_is_now_by_default_and_the_flags_override_the_payload(capsys: pytest.CaptureFixture[str]) -> None:
    before = int(time.time())
    assert before <= signed_payload(capsys)["iat"] <= time.time() + 1
    assert "iat" not in signed_payload(capsys, "--no-iat")
    own = signed_payload(capsys, payload='{"iat": 5, "exp": 7}')
    assert own["iat"] == 5 and own["exp"] == 7  # the payload's own iat stays
    over = signed_payload(capsys, "--exp", "1767225600", "--iat", "1767225000", payload='{"iat": 5, "exp": 7}')
    assert over["exp"] == 1767225600 and over["iat"] == 1767225000
    code, _, err = run(capsys, "sign", "--header", '{"alg": "HS256"}', "--key", STRONG, "--iat", "now", "--no-iat")
    assert code == 2 and "contradict" in err


def test_a_time_flag_on_a_payload_without_claims_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "sign", "--header", '{"alg": "HS256"}', "--payload", '"just text"', "--key", STRONG, "--exp", "+1h"
    )
    assert code == 2 and not out and "exp" in err and "JSON object" in err
    code, out, _ = run(capsys, "sign", "--header", '{"alg": "HS256"}', "--payload", '"just text"', "--key", STRONG)
    assert code == 0 and base64.urlsafe_b64decode(out.split(".")[1] + "==") == b"just text"  # no iat forced in


def test_kid_sets_the_header_kid_over_the_headers_own(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sign", "--header", '{"alg": "HS256", "kid": "old"}', "--key", STRONG, "--kid", "k-2")
    assert code == 0 and header_of(out.strip()) == {"alg": "HS256", "kid": "k-2"}


def test_times_and_kid_apply_to_json_serializations_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        *("sign", "--header", '{"alg": "HS256"}', "--key", STRONG, "--serialization", "flattened"),
        *("--kid", "k-3", "--exp", "1767225600"),
    )
    assert code == 0
    jws = json.loads(out)
    assert json.loads(base64.urlsafe_b64decode(jws["payload"] + "=="))["exp"] == 1767225600
    assert header_of(jws["protected"] + ".")["kid"] == "k-3"


# -- sign: weak secrets --------------------------------------------------------------------------

LONG_LISTED = next(s for s in WEAK_SECRETS if len(s.encode()) >= 32)


@pytest.mark.parametrize(
    ("key", "encoding", "says"),
    [
        ("secret", "utf8", "6 bytes"),  # short and listed
        ("short-but-not-listed", "utf8", "20 bytes"),
        (LONG_LISTED, "utf8", "well-known"),  # long enough, yet on the list
        (base64.b64encode(b"8 bytes!").decode(), "base64", "8 bytes"),  # short once decoded
        (b64url(b"0123456789abcdef"), "base64url", "16 bytes"),
    ],
)
def test_a_weak_secret_is_warned_about_on_stderr_and_the_token_still_comes_out(
    capsys: pytest.CaptureFixture[str], key: str, encoding: str, says: str
) -> None:
    args = ("sign", "--header", '{"alg": "HS256"}', "--key", key, "--secret-encoding", encoding)
    code, out, err = run(capsys, *args)
    assert code == 0 and out.count(".") == 2 and says in err and err.startswith("jwtlens sign: ")
    code, out, err = run(capsys, *args, "--json")
    assert code == 0 and says in err and any(says in f["message"] for f in json.loads(out)["findings"])


def test_a_strong_secret_and_a_private_key_sign_without_a_word(capsys: pytest.CaptureFixture[str], ec_pair) -> None:
    assert run(capsys, "sign", "--header", '{"alg": "HS256"}', "--key", STRONG)[2] == ""
    assert run(capsys, "sign", "--header", '{"alg": "ES256"}', "--key", ec_pair.private_pem)[2] == ""


# -- exit codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "e30.e30.sig"),  # no key
        ("decrypt", "e30.e30.e30.e30.e30"),  # no key
        ("sign", "--header", '{"alg": "HS256"}'),  # no key
        ("sign", "--header", "[1]", "--key", "k"),  # the header is no object
        ("sign", "--header", "{nope", "--key", "k"),
        ("verify", "e30.e30.sig", "--key", "k", "--leeway", "-5"),  # invalid policy, by flag
        ("verify", "e30.e30.sig", "--key", "k", "--policy", '{"leeway": "soon"}'),  # and by --policy
        ("verify", "e30.e30.sig", "--key", "k", "--policy", '{"colour": "blue"}'),  # no such field
        ("verify", "e30.e30.sig", "--key", "k", "--rule", "roles resembles x"),
        ("verify", "e30.e30.sig", "--key", "@/no/such/file"),  # unreadable file
        ("keygen", "--kty", "EC", "--crv", "P-999"),  # impossible combination
        ("keygen", "--kty", "RSA", "--size", "1000"),
        ("verify", "--no-such-flag"),  # argparse's own
    ],
)
def test_usage_errors_exit_2_with_a_message(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and not out and err.strip()


def test_a_token_that_does_not_verify_exits_1_and_one_that_does_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    token = sign({"alg": "HS256"}, {"sub": "x"}, STRONG).token
    assert run(capsys, "verify", token, "--key", STRONG)[0] == 0
    assert run(capsys, "verify", token, "--key", new_secret())[0] == 1


def test_a_policy_error_names_the_field_and_prints_no_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    token = sign({"alg": "HS256"}, {"sub": "x"}, STRONG).token
    code, out, err = run(capsys, "verify", token, "--key", STRONG, "--max-age", "forever")
    assert code == 2 and not out and "policy invalid: max_age" in err


# -- messages and pipes ------------------------------------------------------------------------------


def test_messages_speak_of_flags_not_of_pasting(capsys: pytest.CaptureFixture[str]) -> None:
    token = sign({"alg": "HS256"}, {"sub": "x"}, STRONG).token
    for args in (("decode", ""), ("verify", token, "--key", "-----BEGIN FOO-----\nAA==\n-----END FOO-----")):
        _, out, err = run(capsys, *args)
        assert "paste" not in (out + err).lower() and "tick" not in (out + err).lower()


def test_a_reader_that_stops_early_ends_the_cli_quietly(tmp_path: Path) -> None:
    big = sign({"alg": "HS256"}, {"blob": "a" * 150_000}, STRONG).token  # more output than a pipe holds
    (tmp_path / "token").write_text(big)
    bin_dir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [str(bin_dir / "jwtlens"), "decode", f"@{tmp_path / 'token'}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b"Header\n{\n "  # like head: read a little, then stop reading
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.wait(timeout=30)
    assert err == "" and "Traceback" not in err
    assert proc.returncode in (0, -13)  # done, or ended by SIGPIPE as any Unix tool is


def test_sign_answers_now_in_utc_whole_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    exp = signed_payload(capsys, "--exp", "2026-06-30T23:59:59.900Z")["exp"]
    assert datetime.fromtimestamp(exp, UTC).isoformat() == "2026-07-01T00:00:00+00:00"  # rounded, not cut
