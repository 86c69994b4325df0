"""Console sessions: a browser that logged in with an API key holds a random session id.

The cookie carries only the session id. The server keeps the digest of that id, the
digest of the key it was opened with (so revoking the key ends its sessions) and a
CSRF token the console's pages send back on every state-changing request.
Sessions are kept in the meta store, so they survive a restart.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from limelight.apikeys import KeyRing, Scope, key_digest
from limelight.store.api import MetaStore

COLLECTION = "sessions"
COOKIE = "limelight_session"
CSRF_HEADER = "x-limelight-csrf"


@dataclass(frozen=True)
class Session:
    key_digest: str
    csrf: str
    expires_ms: int


class Sessions:
    def __init__(self, meta: MetaStore, keys: KeyRing, lifetime_s: float) -> None:
        self._meta = meta
        self._keys = keys
        self._lifetime_ms = int(lifetime_s * 1000)
        self._lock = threading.Lock()
        self._by_digest = {
            digest: Session(doc["key_digest"], doc["csrf"], int(doc["expires_ms"]))
            for digest, doc in meta.meta_list(COLLECTION).items()
        }

    def open(self, key: str) -> tuple[str, Session] | None:
        """A new session for a valid key: (session id for the cookie, session); else None."""
        if self._keys.check(key) is None:
            return None
        session_id = secrets.token_urlsafe(32)
        session = Session(key_digest(key), secrets.token_urlsafe(24),
                          _now_ms() + self._lifetime_ms)
        doc = {"key_digest": session.key_digest, "csrf": session.csrf,
               "expires_ms": session.expires_ms}
        with self._lock:
            self._meta.meta_put(COLLECTION, key_digest(session_id), doc)
            self._by_digest[key_digest(session_id)] = session
            self._drop_expired()
        return session_id, session

    def get(self, session_id: str) -> tuple[Session, Scope] | None:
        """The live session and its key's scope; None when unknown, expired or key revoked."""
        session = self._by_digest.get(key_digest(session_id))
        if session is None or session.expires_ms <= _now_ms():
            return None
        scope = self._keys.check_digest(session.key_digest)
        return None if scope is None else (session, scope)

    def close(self, session_id: str) -> None:
        digest = key_digest(session_id)
        with self._lock:
            if self._by_digest.pop(digest, None) is not None:
                self._meta.meta_delete(COLLECTION, digest)

    def _drop_expired(self) -> None:
        now = _now_ms()
        for digest in [d for d, s in self._by_digest.items() if s.expires_ms <= now]:
            del self._by_digest[digest]
            self._meta.meta_delete(COLLECTION, digest)


def csrf_matches(session: Session, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(session.csrf.encode(), sent.encode())


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
