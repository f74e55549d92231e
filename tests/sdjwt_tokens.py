"""Making SD-JWTs, KB-JWTs and DPoP proofs for tests, with joserfc and hashlib only (not jwtlens's code)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from tests.makers import b64url


def disclosure(salt: str, *rest: Any) -> str:
    return b64url(json.dumps([salt, *rest]).encode())


def digest(text: str, alg: str = "sha256") -> str:
    return b64url(hashlib.new(alg, text.encode()).digest())


def signed(header: dict[str, Any], payload: dict[str, Any], key: ECKey | OKPKey) -> str:
    protected = {"alg": "ES256", **header}
    return jws.serialize_compact(protected, json.dumps(payload).encode(), key, algorithms=[protected["alg"]])


def issue(
    plain: dict[str, Any],
    disclosed: dict[str, Any],
    key: ECKey,
    *,
    holder: ECKey | None = None,
    elements: tuple[Any, ...] = (),
    decoys: int = 0,
    header: dict[str, Any] | None = None,
) -> tuple[str, list[str]]:
    """An SD-JWT (ending in '~') whose ``disclosed`` claims and array ``elements`` (in "items") are disclosures."""
    texts = [disclosure(f"salt-{name}", name, value) for name, value in disclosed.items()]
    element_texts = [disclosure(f"salt-e{i}", value) for i, value in enumerate(elements)]
    payload: dict[str, Any] = {
        **plain,
        "_sd": sorted(digest(t) for t in texts) + [digest(f"decoy{i}") for i in range(decoys)],
    }
    if elements:
        payload["items"] = [{"...": digest(t)} for t in element_texts]
    if holder is not None:
        payload["cnf"] = {"jwk": holder.as_dict(private=False)}
    jwt = signed({"typ": "example+sd-jwt", **(header or {})}, payload, key)
    disclosures = texts + element_texts
    return "~".join([jwt, *disclosures, ""]), disclosures


def key_binding(presented: str, holder: ECKey, *, aud: str, nonce: str, iat: int, **changes: Any) -> str:
    payload = {"aud": aud, "nonce": nonce, "iat": iat, "sd_hash": digest(presented), **changes}
    header = {"typ": changes.pop("typ", "kb+jwt")}
    payload.pop("typ", None)
    return signed(header, payload, holder)


def dpop_proof(key: ECKey, htm: str, htu: str, iat: int, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    head = {"typ": "dpop+jwt", "jwk": key.as_dict(private=False), **(header or {})}
    return signed(head, {"jti": f"jti-{iat}-{htm}", "htm": htm, "htu": htu, "iat": iat, **claims}, key)
