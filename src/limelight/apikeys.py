"""API keys with scopes. Only a hash of each key is stored; the key is shown once."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from limelight.exceptions import Conflict
from limelight.store.api import MetaStore

COLLECTION = "api_keys"


class Scope(StrEnum):
    INGEST = "ingest"
    QUERY = "query"
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiKey:
    id: str  # a short prefix of the key's hash: safe to show and to revoke by
    scope: Scope
    name: str
    created_ms: int


def key_digest(key: str) -> str:
    """What is stored of a key (and of a console session id): its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()


def allows(granted: Scope, needed: Scope) -> bool:
    return granted is Scope.ADMIN or granted is needed


class LastAdminKey(Conflict):
    """Revoking it would leave no way to manage the server short of LIMELIGHT_ADMIN_KEY."""


class KeyRing:
    """Creates, lists, checks and revokes keys; checks are answered from memory."""

    def __init__(self, meta: MetaStore, extra_admin_key: str = "") -> None:
        self._meta = meta
        self._extra_admin_hash = key_digest(extra_admin_key) if extra_admin_key else None
        self._scopes: dict[str, Scope] = {}
        self._reload()

    def _reload(self) -> None:
        docs = self._meta.meta_list(COLLECTION)
        self._scopes = {digest: Scope(doc["scope"]) for digest, doc in docs.items()}

    def check(self, key: str) -> Scope | None:
        return self.check_digest(key_digest(key))

    def check_digest(self, digest: str) -> Scope | None:
        """The scope of the key with this digest: console sessions keep the digest only."""
        if digest == self._extra_admin_hash:
            return Scope.ADMIN
        return self._scopes.get(digest)

    def create(self, scope: Scope, name: str = "") -> tuple[str, ApiKey]:
        key = f"ll_{scope.value[0]}_{secrets.token_urlsafe(24)}"
        digest = key_digest(key)
        doc: dict[str, Any] = {"scope": scope.value, "name": name, "created_ms": _now_ms()}
        self._meta.meta_put(COLLECTION, digest, doc)
        self._scopes[digest] = scope
        return key, _to_key(digest, doc)

    def list(self) -> list[ApiKey]:
        docs = self._meta.meta_list(COLLECTION)
        return sorted((_to_key(d, doc) for d, doc in docs.items()), key=lambda k: k.created_ms)

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke by id (at least 6 characters of it) or by the key itself."""
        docs = self._meta.meta_list(COLLECTION)
        digest = key_digest(key_id)
        if digest not in docs:
            if len(key_id) < 6:
                return None
            matches = [d for d in docs if d.startswith(key_id)]
            if len(matches) != 1:
                return None
            digest = matches[0]
        admins = [d for d, doc in docs.items() if doc["scope"] == Scope.ADMIN.value]
        if admins == [digest] and self._extra_admin_hash is None:
            raise LastAdminKey("this is the last admin key: create another admin key first "
                               "(`limelight keys create --scope admin`), then revoke this one")
        self._meta.meta_delete(COLLECTION, digest)
        self._scopes.pop(digest, None)
        return _to_key(digest, docs[digest])

    def empty(self) -> bool:
        return not self._scopes


def _to_key(digest: str, doc: dict[str, Any]) -> ApiKey:
    return ApiKey(digest[:12], Scope(doc["scope"]), doc.get("name", ""), int(doc["created_ms"]))


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
