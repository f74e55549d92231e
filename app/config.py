"""Settings, read from JWTLENS_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


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
    db_path: Path | None = Field(
        None, description="SQLite file for profiles and the replay log (default: the user's data directory)"
    )

    @property
    def database(self) -> Path:
        from app.store import default_db_path

        return self.db_path or default_db_path()


@lru_cache
def get_settings() -> Settings:
    return Settings()
