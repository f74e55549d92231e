"""JWE compact tokens: taken apart without a key, decrypted with one, and made (encrypt).

joserfc has no unverified JWE parse, so ``decode_jwe`` is ours. Decryption runs joserfc's algorithm models
one stage at a time (content key, then content) so a failure can say which stage failed; jwtlens applies its
own limits first: a PBES2 iteration ceiling checked before any key derivation, and DEFLATE inflated here with
a hard cap instead of joserfc's fixed 250 KB.
"""

from .algorithms import DEFAULT_MAX_P2C, JWE_ALGORITHMS, JWE_ENCRYPTIONS
from .decrypt import DecryptAttempt, DecryptResult, decrypt_jwe
from .encrypt import encrypt_jwe
from .parse import DecodedJWE, decode_jwe
from .plaintext import DEFAULT_MAX_INFLATED

__all__ = [
    "DEFAULT_MAX_INFLATED",
    "DEFAULT_MAX_P2C",
    "JWE_ALGORITHMS",
    "JWE_ENCRYPTIONS",
    "DecodedJWE",
    "DecryptAttempt",
    "DecryptResult",
    "decode_jwe",
    "decrypt_jwe",
    "encrypt_jwe",
]
