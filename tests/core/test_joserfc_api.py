"""jwtlens uses joserfc through its public modules only, so a joserfc release cannot move code out from under it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import joserfc
import pytest
from joserfc import jwa, jwe, jws, registry
from jwtlens.core.algorithms import SUPPORTED, implementation
from jwtlens.core.jwe import JWE_ALGORITHMS, JWE_ENCRYPTIONS
from jwtlens.core.jwe.oaep import OAEP_MODELS

from tests.paths import APP


def _joserfc_imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every joserfc module or name ``path`` imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "joserfc"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "joserfc":
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _private(dotted: str) -> bool:
    return any(part.startswith("_") for part in dotted.split("."))


def test_the_scan_sees_private_imports(tmp_path: Path) -> None:
    # Positive control: the forms the check must catch, and the public ones it must let through.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import joserfc._rfc7516.message\n"
        "from joserfc._rfc7515.registry import JWSRegistry\n"
        "from joserfc.jwe import _private_helper\n"
        "from joserfc.jws import JWSRegistry as Public\n"
    )
    assert [name for _, name in _joserfc_imports(sample) if _private(name)] == [
        "joserfc._rfc7516.message",
        "joserfc._rfc7515.registry.JWSRegistry",
        "joserfc.jwe._private_helper",
    ]


def test_no_module_imports_private_joserfc() -> None:
    modules = sorted(APP.rglob("*.py"))
    assert len(modules) > 40  # the scan reads the whole package
    private = [
        f"{path.relative_to(APP.parent)}:{line} imports {name}"
        for path in modules
        for line, name in _joserfc_imports(path)
        if _private(name)
    ]
    assert not private, (
        f"joserfc {joserfc.__version__}: private joserfc symbols are imported; use the public modules "
        "(joserfc.jws, jwe, jwa, jwk, registry, errors) or pin joserfc's upper bound:\n" + "\n".join(private)
    )


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (jws, ("JWSRegistry",)),
        (jwe, ("JWERegistry", "CompactEncryption", "Recipient", "encrypt_compact")),
        (
            jwa,
            (
                "JWSAlgModel",
                "JWEAlgModel",
                "JWEEncModel",
                "JWEKeyAgreement",
                "JWEDirectEncryption",
                "JWEKeyWrapping",
                "JWEKeyEncryption",
            ),
        ),
        (registry, ("Header", "HeaderParameter", "check_registry_header")),
    ],
)
def test_the_public_names_jwtlens_uses_are_exported(module: object, names: tuple[str, ...]) -> None:
    exported = getattr(module, "__all__", None) or dir(module)
    missing = [name for name in names if name not in exported]
    assert not missing, f"{module.__name__} no longer exports {missing}"  # type: ignore[attr-defined]


def test_every_algorithm_jwtlens_names_is_registered() -> None:
    assert all(implementation(name).name == name for name in SUPPORTED)
    ours = set(OAEP_MODELS)  # RSA-OAEP-384 and -512: jwtlens's own models, on joserfc's public base class
    assert ours.isdisjoint(jwe.JWERegistry.algorithms["alg"]), "joserfc now registers these: use its models"
    assert set(JWE_ALGORITHMS) - ours <= set(jwe.JWERegistry.algorithms["alg"])
    assert set(JWE_ENCRYPTIONS) <= set(jwe.JWERegistry.algorithms["enc"])


def test_the_content_key_methods_keep_their_arity() -> None:
    # app/core/jwe/decrypt.py drives these stage by stage, positionally; a changed signature must fail here, by name.
    expected = {
        jwa.JWEKeyAgreement.decrypt_agreed_upon_key: 3,  # self, enc, recipient
        jwa.JWEKeyAgreement.decrypt_agreed_upon_key_with_tag: 4,  # ... tag
        jwa.JWEKeyAgreement.unwrap_cek_with_auk: 3,  # self, encrypted key, agreed key
        jwa.JWEDirectEncryption.compute_cek: 3,  # self, size, recipient
        jwa.JWEKeyWrapping.decrypt_cek: 2,  # self, recipient
        jwa.JWEKeyEncryption.decrypt_cek: 2,
    }
    for method, arity in expected.items():
        assert len(inspect.signature(method).parameters) == arity, method.__qualname__
