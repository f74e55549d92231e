"""Settings, read from JWTLENS_* environment variables and an optional .env file."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["MIN_ACCESS_TOKEN", "Settings", "get_settings", "is_loopback", "settings_problem"]

CommaList = Annotated[list[str], NoDecode]
#: characters a configured access token needs: shorter ones could be guessed over the network
MIN_ACCESS_TOKEN = 32


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JWTLENS_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Address to bind; loopback keeps the debugger private to this machine")
    port: int = Field(8000, ge=0, le=65535, description="TCP port to listen on")
    max_token_bytes: int = Field(256 * 1024, ge=1024, description="Largest token accepted, in characters")
    max_key_bytes: int = Field(256 * 1024, ge=1024, description="Largest key, PEM or JWKS accepted, in characters")
    max_body_bytes: int = Field(1024 * 1024, ge=4096, description="Largest request body accepted, in bytes")
    long_lifetime_seconds: int = Field(
        24 * 3600, ge=60, description="Tokens living longer than this (exp - iat) get a hygiene warning"
    )
    max_import_bytes: int = Field(
        2 * 1024 * 1024, ge=4096, description="Largest profile import (JSON API or pasted export), in bytes"
    )
    max_profiles: int = Field(500, ge=1, description="Most profiles the SQLite file holds")
    max_profile_bytes: int = Field(256 * 1024, ge=1024, description="Largest single profile (as stored JSON), in bytes")
    cpu_workers: int = Field(
        4,
        ge=1,
        le=64,
        description="Threads the page's routes and POST /api/verify decode, verify, sign and parse keys in; more wait",
    )
    db_path: Path | None = Field(
        None, description="SQLite file for profiles and the replay log (default: the user's data directory)"
    )

    access_token: SecretStr | None = Field(
        None, description="Token a browser or API client must present when bound to a non-loopback address"
    )
    no_auth: bool = Field(False, description="Serve a non-loopback address without an access token (not advised)")
    allowed_hosts: CommaList = Field(
        default_factory=list,
        description="Host names (besides localhost, 127.0.0.1 and [::1]) this server answers to; comma-separated",
    )
    forwarded_allow_ips: str | None = Field(
        None, description="Proxy addresses whose X-Forwarded-* headers are trusted (uvicorn's forwarded_allow_ips)"
    )
    fetch_allowlist: CommaList = Field(
        default_factory=list,
        description="host[:port] entries JWKS and discovery fetches may reach when bound to a non-loopback address",
    )

    fetch_ca_bundle: str | None = Field(
        None, description="PEM bundle of CAs trusted for https fetches (default: system)"
    )
    fetch_timeout: float = Field(5.0, gt=0, le=60, description="Total seconds a JWKS or discovery fetch may take")
    fetch_max_bytes: int = Field(512 * 1024, ge=1024, description="Largest JWKS or discovery document fetched")
    fetch_cache_ttl: float = Field(300.0, ge=0, description="Seconds a fetched JWKS or discovery document is reused")

    @field_validator("access_token")
    @classmethod
    def _check_access_token(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty value means "generate one"; a short one could be guessed over the network.
        if value is not None and 0 < len(value.get_secret_value()) < MIN_ACCESS_TOKEN:
            raise ValueError(f"must be at least {MIN_ACCESS_TOKEN} characters")
        return value

    @field_validator("allowed_hosts", "fetch_allowlist", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("fetch_allowlist")
    @classmethod
    def _check_allowlist(cls, value: list[str]) -> list[str]:
        from .fetch import parse_allowlist

        parse_allowlist(value)  # a bad entry fails at start, not at the first fetch
        return value

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def auth_required(self) -> bool:
        return not self.loopback and not self.no_auth

    @property
    def database(self) -> Path:
        from .store import default_db_path

        return self.db_path or default_db_path()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_problem(error: ValidationError) -> str:
    """One line naming the first bad JWTLENS_* variable (or .env line) and what it expects, never its value."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else ""
    name = f"JWTLENS_{field.upper()}" if field else "a JWTLENS_* setting"
    expected = first.get("msg", "is not valid").removeprefix("Value error, ")
    described = Settings.model_fields[field].description if field in Settings.model_fields else None
    more = f" ({described})" if described else ""
    return f"{name}: {expected}{more}"
