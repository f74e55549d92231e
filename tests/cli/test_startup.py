"""What each command imports: decode, verify and sign leave the web stack, the settings and the store alone.

Each check runs in a fresh interpreter, since this one has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from jwtlens.core.examples import make_example

#: needed only to serve: the web framework, the server, settings, the store, issuer fetching
_SERVE_ONLY = ("fastapi", "starlette", "uvicorn", "jinja2", "pydantic_settings", "jwtlens.config", "sqlite3", "httpx")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def _cli(*args: str) -> str:
    return (
        "import contextlib, io\nfrom jwtlens.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    code = main({list(args)!r})\nassert code in (0, 1), code"
    )


def _commands() -> list[tuple[str, ...]]:
    hs = make_example("HS256")
    es = make_example("ES256")
    return [
        ("decode", hs.token),
        ("decode", "--json", es.token),
        ("verify", hs.token, "--key", hs.verify_key),
        ("verify", es.token, "--key", es.verify_key, "--iss", "x", "--json"),
        ("sign", "--header", '{"alg": "HS256"}', "--key", hs.signing_key),
        ("keygen", "--kty", "oct"),
        ("--version",),
    ]


@pytest.mark.parametrize("args", _commands(), ids=lambda args: " ".join(a[:12] for a in args[:3]))
def test_commands_other_than_serve_import_no_web_stack(args):
    if args == ("--version",):
        code = "from jwtlens.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    else:
        code = _cli(*args)
    loaded = _imported_after(code)
    assert "jwtlens.cli" in loaded and "jwtlens.core" in loaded  # positive control: the probe saw the run
    assert sorted(name for name in _SERVE_ONLY if name in loaded) == []


def test_serve_reads_the_settings():
    """Positive control for the test above: serve's help still shows the settings' defaults."""
    code = _cli("serve", "--help").replace("assert code in (0, 1), code", "")
    loaded = _imported_after(f"try:\n{_indent(code)}\nexcept SystemExit:\n    pass")
    assert "jwtlens.config" in loaded and "pydantic_settings" in loaded


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" for line in code.splitlines())


def test_decoding_a_token_needs_neither_policy_nor_key_parsers():
    loaded = _imported_after(
        "from jwtlens.core.tokens import decode_token\nfrom jwtlens.core.findings import token_findings"
    )
    assert "jwtlens.core.tokens" in loaded
    assert {"jwtlens.core.policy", "jwtlens.core.keys", "pydantic", "jwtlens.core.sign"} & loaded == set()


def test_the_core_names_resolve_lazily_to_what_they_were():
    import jwtlens.core
    from jwtlens.core import sign, verify
    from jwtlens.core.sign import sign as sign_function
    from jwtlens.core.verify import verify as verify_function

    assert sign is sign_function and verify is verify_function
    assert all(getattr(jwtlens.core, name) is not None for name in jwtlens.core.__all__)
    with pytest.raises(AttributeError):
        jwtlens.core.no_such_name  # noqa: B018


def test_a_submodule_imported_first_does_not_shadow_its_function():
    loaded = _imported_after(
        "import jwtlens.core.verify, jwtlens.core.sign\nfrom jwtlens.core import sign, verify\n"
        "assert callable(sign) and callable(verify) and sign.__name__ == 'sign' and verify.__name__ == 'verify'\n"
        "assert not isinstance(sign, type(sys)) and not isinstance(verify, type(sys))"
    )
    assert "jwtlens.core.verify" in loaded
