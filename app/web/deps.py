"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings, get_settings
from app.issuers import IssuerCache
from app.store import Store

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


def get_issuer_cache(request: Request) -> IssuerCache:
    cache: IssuerCache = request.app.state.issuer_cache
    return cache


IssuerCacheDep = Annotated[IssuerCache, Depends(get_issuer_cache)]
