"""Saved profiles: named policies with their keys, stored in SQLite and shared as JSON."""

from __future__ import annotations

from typing import Any, NamedTuple

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from ..core import POLICY_FIELDS, InputError, InvalidPolicy, parse_key, parse_policy
from ..core.keys import SecretEncoding
from ..store import Profile, Store
from . import answers
from .api import ERROR_RESPONSES, PolicyJSON
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


class _Stored(NamedTuple):
    key: str | None
    encoding: str
    secret_kept: bool
    note: str | None


def _stored_key(store: Store, body: ProfileBody, max_key: int) -> _Stored:
    """What may be stored: a secret (anything with a private part) only with store_secret; public keys re-serialised."""
    if not body.key:
        return _Stored(None, body.secret_encoding, False, None)
    key_input = parse_key(body.key, body.secret_encoding, max_size=max_key)
    if not key_input.is_secret:
        public = key_input.public_text()
        return _Stored(public, "utf8", False, None) if public else _Stored(body.key, body.secret_encoding, False, None)
    if body.store_secret:
        note = f"The secret or private key is stored unencrypted in {store.path}"
        return _Stored(body.key, body.secret_encoding, True, note)
    note = "The HMAC secret or private key was not stored; tick 'store this secret' to keep it"
    return _Stored(None, body.secret_encoding, False, note)


def _exported(profile: Profile, max_key: int) -> dict[str, Any]:
    """The profile as it may leave this machine: never with a secret key (its public part, if any, stays),
    never with the policy's secret members (an OIDC nonce, access token or code)."""
    data = {"name": profile.name, **profile.data}
    notes = []
    policy = data.get("policy")
    if isinstance(policy, dict):
        kept = {k: v for k, v in policy.items() if not (k in POLICY_FIELDS and POLICY_FIELDS[k].secret)}
        if kept != policy:
            data["policy"] = kept
            notes.append("the policy's secret members (nonce, access token, code) were left out")
    key = data.get("key")
    if isinstance(key, str) and key:
        try:
            key_input = parse_key(key, str(data.get("secret_encoding") or "utf8"), max_size=max_key)
            secret, public = key_input.is_secret or bool(data.get("secret_stored")), key_input.public_text()
        except InputError:
            secret, public = True, None  # unreadable now: it could be anything, so it stays here
        if secret:
            data.update(key=public, secret_encoding="utf8", secret_stored=False)
            notes.append("the secret key was left out" + ("; its public key is included" if public else ""))
    if notes:
        data["note"] = "In this export " + " and ".join(notes)
    return data


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
    stored = _stored_key(store, body, max_key)
    data = {
        "policy": policy,
        "key": stored.key,
        "secret_encoding": stored.encoding,
        "algorithms": body.algorithms,
        "secret_stored": stored.secret_kept,
    }
    saved = store.save_profile(Profile(_check_name(name), data))
    return {"name": saved.name, "profile": saved.data, "updated": saved.updated, "note": stored.note}


@router.get("", response_model=answers.ProfileListAnswer, summary="List saved profiles")
def list_profiles(store: StoreDep) -> dict[str, Any]:
    return {"profiles": [{"name": p.name, "profile": p.data, "updated": p.updated} for p in store.profiles()]}


@router.get(
    "/export",
    response_model=answers.ProfileExport,
    response_model_exclude_unset=True,
    summary="All profiles as one JSON document, to share with a team (never with a secret)",
)
def export_profiles(store: StoreDep, settings: SettingsDep) -> JSONResponse:
    profiles = [_exported(p, settings.max_key_bytes) for p in store.profiles()]
    document = {"format": EXPORT_FORMAT, "profiles": profiles}
    return JSONResponse(document, headers={"Content-Disposition": 'attachment; filename="jwtlens-profiles.json"'})


@router.post(
    "/import",
    response_model=answers.ImportAnswer,
    responses=ERROR_RESPONSES,
    summary="Import exported profiles (same names are replaced; all or none)",
)
def import_profiles(body: ImportBody, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    if body.format != EXPORT_FORMAT:
        raise InputError("import_format", f"Not a jwtlens profile export (expected format {EXPORT_FORMAT})", "body")
    if len(body.profiles) > settings.max_profiles:
        raise InputError("import_size", f"An import holds at most {settings.max_profiles:,} profiles", "body")
    # Every entry is checked (keys parsed) before the write lock is taken; then one transaction writes them all.
    checked = _Checked(store)
    for index, item in enumerate(body.profiles):
        _import_one(checked, index, item, settings.max_key_bytes)
    with store.batch():
        for index, profile in enumerate(checked.pending):
            try:
                store.save_profile(profile)
            except InputError as exc:
                raise _named(exc, index, profile.name) from None
    return {"imported": len(checked.pending), "names": [p.name for p in checked.pending]}


class _Checked(Store):
    """Stands in for the store while an import is checked: keeps what ``save`` would write."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.path, max_profiles=store.max_profiles, max_profile_bytes=store.max_profile_bytes)
        self.pending: list[Profile] = []

    def save_profile(self, profile: Profile) -> Profile:
        self.stored_form(profile)  # the size cap, before anything is written
        self.pending.append(profile)
        return profile


def _named(exc: InputError, index: int, name: str) -> InputError:
    # Named by position and name, never by its key: the message may be shown to whoever imports.
    problem = exc.problem
    message = f"Profile {index + 1} ('{name.strip()[:80]}'): {problem.message}; nothing was imported"
    return InputError(problem.code, message, "body", too_large=problem.too_large, upstream=problem.upstream)


def _import_one(store: Store, index: int, item: dict[str, Any], max_key: int) -> None:
    name = item.get("name")
    if not isinstance(name, str):
        raise InputError("profile_name", f"Profile {index + 1} has no name; nothing was imported", "body")
    fields = {k: v for k, v in item.items() if k in ProfileBody.model_fields}
    try:
        profile = ProfileBody.model_validate({**fields, "store_secret": bool(item.get("secret_stored"))})
        save(store, name, profile, max_key)
    except ValidationError as exc:
        bad = ", ".join(sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()[:5]}))
        raise _named(InputError("profile_invalid", f"not valid ({bad})", "body"), index, name) from None
    except InputError as exc:
        raise _named(exc, index, name) from None


@router.get("/{name}", response_model=answers.ProfileAnswer, responses=ERROR_RESPONSES, summary="One saved profile")
def get_profile(name: str, store: StoreDep) -> dict[str, Any]:
    profile = store.profile(name)
    if profile is None:
        raise InputError("profile_unknown", "No saved profile has that name", "profile", missing=True)
    return {"name": profile.name, "profile": profile.data, "updated": profile.updated}


@router.put(
    "/{name}",
    response_model=answers.SavedProfileAnswer,
    responses=ERROR_RESPONSES,
    summary="Save a profile (replaces one with the same name)",
)
def put_profile(name: str, body: ProfileBody, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    return save(store, name, body, settings.max_key_bytes)


@router.delete("/{name}", response_model=answers.DeletedAnswer, responses=ERROR_RESPONSES, summary="Delete a profile")
def delete_profile(name: str, store: StoreDep) -> dict[str, bool]:
    if not store.delete_profile(name):
        raise InputError("profile_unknown", "No saved profile has that name", "profile", missing=True)
    return {"deleted": True}
