"""Console sessions: opened with a query key, ended by logout, expiry or revoking the key."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from limelight.apikeys import KeyRing, Scope
from limelight.sessions import Sessions, csrf_matches
from limelight.store.duckdb import DuckDBStore


@pytest.fixture
def store() -> Iterator[DuckDBStore]:
    opened = DuckDBStore(None)
    yield opened
    opened.close()


def test_a_session_carries_its_keys_scope_and_a_csrf_token(store: DuckDBStore) -> None:
    keys = KeyRing(store)
    key, _ = keys.create(Scope.QUERY)
    sessions = Sessions(store, keys, 3600)
    opened = sessions.open(key)
    assert opened is not None
    session_id, session = opened
    assert sessions.get(session_id) == (session, Scope.QUERY)
    assert key not in str(store.meta_list("sessions"))  # only digests are kept
    assert session_id not in str(store.meta_list("sessions"))
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, session.csrf[:-1])


def test_unknown_keys_open_nothing(store: DuckDBStore) -> None:
    assert Sessions(store, KeyRing(store), 3600).open("ll_a_unknown") is None


def test_sessions_survive_a_restart_and_end_on_close(store: DuckDBStore) -> None:
    keys = KeyRing(store, "extra-admin")
    session_id, _ = Sessions(store, keys, 3600).open("extra-admin") or ("", None)
    restarted = Sessions(store, keys, 3600)
    found = restarted.get(session_id)
    assert found is not None and found[1] is Scope.ADMIN
    restarted.close(session_id)
    assert restarted.get(session_id) is None
    assert Sessions(store, keys, 3600).get(session_id) is None


def test_sessions_expire_and_revoked_keys_end_them(store: DuckDBStore) -> None:
    keys = KeyRing(store)
    key, api_key = keys.create(Scope.QUERY)
    short = Sessions(store, keys, 0.05)
    expiring, _ = short.open(key) or ("", None)
    time.sleep(0.06)
    assert short.get(expiring) is None
    sessions = Sessions(store, keys, 3600)
    session_id, _ = sessions.open(key) or ("", None)
    assert sessions.get(session_id) is not None
    keys.revoke(api_key.id)
    assert sessions.get(session_id) is None
