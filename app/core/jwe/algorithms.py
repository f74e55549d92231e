"""The JWE algorithms jwtlens decrypts and encrypts with, what each needs, and joserfc's registry under our rules."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from typing import Any, Literal

from joserfc.jwa import JWEAlgModel, JWEEncModel
from joserfc.jwe import JWERegistry
from joserfc.registry import Header, HeaderParameter, check_registry_header

from .oaep import OAEP_MODELS

__all__ = [
    "DEFAULT_MAX_P2C",
    "JWE_ALGORITHMS",
    "JWE_ENCRYPTIONS",
    "KEY_OPS",
    "Family",
    "Registry",
    "alg_family",
    "cek_bytes",
    "enc_model",
    "tag_bytes",
    "wrap_bits",
]

#: key-management algorithms (RFC 7518 §4; RSA-OAEP-384 and -512 from the IANA registry)
JWE_ALGORITHMS: tuple[str, ...] = (
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA-OAEP-384",
    "RSA-OAEP-512",
    "RSA1_5",
    "A128KW",
    "A192KW",
    "A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "dir",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
)
#: content-encryption algorithms (RFC 7518 §5)
JWE_ENCRYPTIONS: tuple[str, ...] = (
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
    "A128GCM",
    "A192GCM",
    "A256GCM",
)
#: PBKDF2 iterations jwtlens will run; more is refused before any derivation (a huge p2c is a denial of service)
DEFAULT_MAX_P2C = 310_000


Family = Literal["rsa", "aeskw", "gcmkw", "dir", "ecdh", "pbes2"]


#: joserfc's get_op_key checks these key_ops; asking first gives a clear reason instead of a failed stage
KEY_OPS: dict[tuple[Family, str], str] = {
    ("rsa", "decrypt"): "decrypt",
    ("rsa", "encrypt"): "encrypt",
    ("aeskw", "decrypt"): "unwrapKey",
    ("aeskw", "encrypt"): "wrapKey",
    ("gcmkw", "decrypt"): "unwrapKey",
    ("gcmkw", "encrypt"): "wrapKey",
    ("pbes2", "decrypt"): "deriveKey",
    ("pbes2", "encrypt"): "deriveKey",
    ("ecdh", "encrypt"): "deriveKey",
}


def alg_family(alg: str) -> Family:
    if alg.startswith("RSA"):
        return "rsa"
    if alg.startswith("ECDH-ES"):
        return "ecdh"
    if alg.startswith("PBES2"):
        return "pbes2"
    if alg == "dir":
        return "dir"
    return "gcmkw" if alg.endswith("GCMKW") else "aeskw"


def wrap_bits(alg: str) -> int:
    """The AES key size of a wrapping alg: A128KW -> 128, ECDH-ES+A256KW -> 256, PBES2-HS384+A192KW -> 192."""
    match = re.search(r"A(128|192|256)(?:GCM)?KW$", alg)
    assert match is not None, alg
    return int(match.group(1))


def enc_model(enc: str) -> JWEEncModel:
    return JWERegistry.algorithms["enc"][enc]


def cek_bytes(enc: str) -> int:
    return enc_model(enc).cek_size // 8


def tag_bytes(enc: str) -> int:
    return 16 if enc.endswith("GCM") else cek_bytes(enc) // 2


class Registry(JWERegistry):
    """joserfc's registry with jwtlens's rules.

    No SecurityWarning: RSA1_5 and a low p2c become findings. jwtlens's own p2c ceiling replaces joserfc's
    fixed 300,000. Header names joserfc does not know are allowed (a debugger shows them); crit is checked
    by jwtlens before this registry is used.
    """

    def __init__(self, allowed: Collection[str], max_p2c: int, *, allow_weak_keys: bool = False):
        super().__init__(algorithms=list(allowed), strict_check_header=False)
        self.max_p2c = max_p2c
        self._models: dict[str, JWEAlgModel] = {**self.algorithms["alg"], **OAEP_MODELS}
        if allow_weak_keys:  # keyrules.forbidden_use already said what is weak; joserfc's own RSA floor steps aside
            for name in allowed:
                model = self._models.get(name)
                if model is not None and alg_family(name) == "rsa":
                    weak = copy.copy(model)
                    weak.key_size = 0
                    self._models[name] = weak

    def get_alg(self, name: str) -> JWEAlgModel:
        if name not in self._models or name not in (self.allowed or ()):
            return super().get_alg(name)  # raises UnsupportedAlgorithmError
        return self._models[name]

    def _check_p2c(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("must be a positive integer")
        if value > self.max_p2c:
            raise ValueError(f"must be at most {self.max_p2c:,}")

    def check_header(self, header: Header, check_more: bool = False) -> None:
        check_registry_header(self.header_registry, header)
        more = dict(self.get_alg(header["alg"]).more_header_registry)
        if "p2c" in more:
            more["p2c"] = HeaderParameter("PBES2 Count", self._check_p2c, True)
        check_registry_header(more, header, check_more)
