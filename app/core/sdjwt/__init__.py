"""SD-JWT (RFC 9901): selective disclosure, key binding and SD-JWT VC, over the existing JWS verifier."""

from .check import SdJwt, verify_sd_jwt
from .issue import IssuedSdJwt, issue_sd_jwt
from .keybinding import KB_MAX_AGE, KeyBinding, KeyBindingExpectation
from .parse import HASHES, Disclosure, SdJwtParts, digest_of, split_sd_jwt
from .reconstruct import DisclosureRow, Reconstruction

__all__ = [
    "HASHES",
    "KB_MAX_AGE",
    "Disclosure",
    "DisclosureRow",
    "IssuedSdJwt",
    "KeyBinding",
    "KeyBindingExpectation",
    "Reconstruction",
    "SdJwt",
    "SdJwtParts",
    "digest_of",
    "issue_sd_jwt",
    "split_sd_jwt",
    "verify_sd_jwt",
]
