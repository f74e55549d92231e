"""RSA-OAEP-384 and RSA-OAEP-512 (IANA JOSE registry, from WebCrypto), which joserfc does not register.

Built on joserfc's public JWEKeyEncryption model and its RSAKey, so they slot into the same registry.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc.errors import DecodeError, InvalidKeyLengthError
from joserfc.jwa import JWEKeyEncryption
from joserfc.jwe import Recipient

__all__ = ["OAEP_MODELS"]


class _RSAOAEP(JWEKeyEncryption):
    key_size = 2048  # RFC 7518 §4.3, as for RSA-OAEP-256
    key_types = ["RSA"]  # noqa: RUF012  (joserfc declares it a plain list)

    def __init__(self, bits: int, algorithm: hashes.HashAlgorithm) -> None:
        self.name = f"RSA-OAEP-{bits}"
        self.description = f"RSAES OAEP using SHA-{bits} and MGF1 with SHA-{bits}"
        self.padding = padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)

    def encrypt_cek(self, cek: bytes, recipient: Recipient[Any]) -> bytes:
        key = recipient.recipient_key
        assert key is not None
        self.check_key_type(key)
        public = key.get_op_key("encrypt")
        if public.key_size < (self.key_size or 0):
            raise InvalidKeyLengthError(f"A key of size {self.key_size} bits or larger MUST be used")
        return bytes(public.encrypt(cek, self.padding))

    def decrypt_cek(self, recipient: Recipient[Any]) -> bytes:
        key = recipient.recipient_key
        assert key is not None and recipient.encrypted_key is not None
        self.check_key_type(key)
        try:
            return bytes(key.get_op_key("decrypt").decrypt(recipient.encrypted_key, self.padding))
        except ValueError as error:
            raise DecodeError(str(error)) from None


#: name -> model, added to joserfc's models by the registry
OAEP_MODELS: dict[str, JWEKeyEncryption] = {
    "RSA-OAEP-384": _RSAOAEP(384, hashes.SHA384()),
    "RSA-OAEP-512": _RSAOAEP(512, hashes.SHA512()),
}
