"""Saved profiles: named policies with their keys, stored in SQLite and shared as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.core import InputError, InvalidPolicy, parse_key, parse_policy
from app.store import Profile, Store

from . import answers
from .api import _ERRORS, PolicyJSON, SecretEncoding
from .deps import SettingsDep, StoreDep

router = APIRouter(prefix="/api/profiles", tags=["profiles"])
EXPORT_FORMAT = "jwtlens-profiles/1"


class ProfileBody(BaseModel):
    policy: PolicyJSON = None
    key: str | None = Field(None, description="Public key, certificate, JWK or JWKS; secrets only with store_secret")
    secret_encoding: SecretEncoding = "utf8"
    algorithms: list[str] | None = None
    store_secret: bool = Field(
        False, description="Store an HMAC secret or private key too (in the SQLite file, unencrypted)"
    )


class ImportBody(BaseModel):
    format: str = EXPORT_FORMAT
    profiles: list[dict[str, Any]]


def _is_secret(key_text: str, encoding: str, max_key: int) -> bool:
    parsed = parse_key(key_text, encoding, max_size=max_key)
    return any(k.private or k.kty == "oct" for k in parsed.keys)


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 80:
        raise InputError("profile_name", "A profile name is 1 to 80 characters", "profile")
    return cleaned


def save(store: Store, name: str, body: ProfileBody, max_key: int) -> dict[str, Any]:
    """Validate and store; a secret is dropped unless store_secret says otherwise."""
    parsed = parse_policy(body.policy)
    if isinstance(parsed, InvalidPolicy):  # a saved policy is one verify can apply
        first = parsed.problems[0]
        raise InputError("policy_invalid", f"policy.{first.field}: {first.message}", "policy")
    # The OIDC nonce, access token and code are secrets: kept only with "store this secret".
    policy = parsed.model_dump(mode="json", exclude_defaults=True) if body.store_secret else parsed.public_dict()
    key = body.key or None
    secret_kept = False
    note = None
    if key is not None and _is_secret(key, body.secret_encoding, max_key):
        if body.store_secret:
            secret_kept = True
            note = f"The secret or private key is stored unencrypted in {store.path}"
        else:
            key = None
            note = "The HMAC secret or private key was not stored; tick 'store this secret' to keep it"
    data = {
        "policy": policy,
        "key": key,
        "secret_encoding": body.secret_encoding,
        "algorithms": body.algorithms,
        "secret_stored": secret_kept,
    }
    saved = store.save_profile(Profile(_check_name(name), data))
    return {"name": saved.name, "profile": saved.data, "updated": saved.updated, "note": note}


@router.get("", response_model=answers.ProfileListAnswer, summary="List saved profiles")
def list_profiles(store: StoreDep) -> dict[str, Any]:
    return {"profiles": [{"name": p.name, "profile": p.data, "updated": p.updated} for p in store.profiles()]}


@router.get(
    "/export", response_model=answers.ProfileExport, summary="All profiles as one JSON document, to share with a team"
)
def export_profiles(store: StoreDep) -> JSONResponse:
    document = {"format": EXPORT_FORMAT, "profiles": [{"name": p.name, **p.data} for p in store.profiles()]}
    return JSONResponse(document, headers={"Content-Disposition": 'attachment; filename="jwtlens-profiles.json"'})


@router.post(
    "/import",
    response_model=answers.ImportAnswer,
    responses=_ERRORS,
    summary="Import exported profiles (same names are replaced)",
)
def import_profiles(body: ImportBody, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    if body.format != EXPORT_FORMAT:
        raise InputError("import_format", f"Not a jwtlens profile export (expected format {EXPORT_FORMAT})", "body")
    if len(body.profiles) > 500:
        raise InputError("import_size", "An import holds at most 500 profiles", "body")
    names = []
    for index, item in enumerate(body.profiles):
        name = item.get("name")
        if not isinstance(name, str):
            raise InputError("profile_name", f"Profile {index + 1} has no name", "body")
        fields = {k: v for k, v in item.items() if k in ProfileBody.model_fields}
        profile = ProfileBody.model_validate({**fields, "store_secret": bool(item.get("secret_stored"))})
        names.append(save(store, name, profile, settings.max_key_bytes)["name"])
    return {"imported": len(names), "names": names}


@router.get("/{name}", response_model=answers.ProfileAnswer, responses=_ERRORS, summary="One saved profile")
def get_profile(name: str, store: StoreDep) -> dict[str, Any]:
    profile = store.profile(name)
    if profile is None:
        raise InputError("profile_unknown", "No saved profile has that name", "profile", missing=True)
    return {"name": profile.name, "profile": profile.data, "updated": profile.updated}


@router.put(
    "/{name}",
    response_model=answers.SavedProfileAnswer,
    responses=_ERRORS,
    summary="Save a profile (replaces one with the same name)",
)
def put_profile(name: str, body: ProfileBody, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    return save(store, name, body, settings.max_key_bytes)


@router.delete("/{name}", response_model=answers.DeletedAnswer, responses=_ERRORS, summary="Delete a profile")
def delete_profile(name: str, store: StoreDep) -> dict[str, bool]:
    if not store.delete_profile(name):
        raise InputError("profile_unknown", "No saved profile has that name", "profile", missing=True)
    return {"deleted": True}
