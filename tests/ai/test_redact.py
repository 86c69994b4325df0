"""Pseudonymisation: secrets dropped at any depth, identifiers replaced stably and restored."""

from __future__ import annotations

import json

import pytest

from limelight.ai.redact import Pseudonymiser, is_blocked_key, luhn_valid

SECRETS = {
    "email": "jane.doe@example.com",
    "ipv4": "203.0.113.77",
    "ipv6": "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "phone": "+44 20 7946 0958",
    "us_phone": "(415) 555-0100",
    "card": "4111 1111 1111 1111",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
           "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "bearer": "Bearer 9f8e7d6c5b4a39281706abcdef",
    "stripe": "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
}


@pytest.mark.parametrize(("kind", "value"), list(SECRETS.items()), ids=list(SECRETS))
def test_identifiers_in_free_text_are_replaced(kind: str, value: str) -> None:
    pseudonymiser = Pseudonymiser()
    scrubbed = pseudonymiser.text(f"request failed for {value} after retry")
    assert value not in scrubbed
    assert scrubbed.startswith("request failed for <") and scrubbed.endswith("> after retry")
    assert pseudonymiser.restore(scrubbed) == f"request failed for {value} after retry"


@pytest.mark.parametrize(
    "key",
    ["password", "db.password", "http.request.header.authorization", "Cookie", "session_id",
     "aws.secret_access_key", "credentials", "api_key", "x.auth_token", "client.ip",
     "net.peer.ip", "user.session"],
)
def test_blocked_keys(key: str) -> None:
    assert is_blocked_key(key)


@pytest.mark.parametrize("key", ["http.route", "duration", "payment.provider", "tokens_used_count"])
def test_ordinary_keys_are_not_blocked(key: str) -> None:
    assert not is_blocked_key(key)


def test_documents_drop_blocked_keys_at_any_depth_and_pseudonymise_users() -> None:
    pseudonymiser = Pseudonymiser(blocked_keys=["internal.note"])
    doc = {
        "user.id": "u-1001",
        "request": {"headers": {"authorization": "Bearer abcdefghijklmnop", "accept": "json"}},
        "internal": {"note": "do not send"},
        "customer": {"email": "jane.doe@example.com"},
        "message": "jane.doe@example.com paid with 4111 1111 1111 1111",
        "items": [{"password": "p4ss", "sku": "A-1"}],
        "order.total": 42.5,
    }
    out = pseudonymiser.document(doc)
    text = json.dumps(out)
    for leaked in ("u-1001", "abcdefghijklmnop", "do not send", "jane.doe", "4111", "p4ss"):
        assert leaked not in text
    assert out["request"]["headers"] == {"accept": "json"}
    assert out["items"] == [{"sku": "A-1"}]
    assert out["order.total"] == 42.5
    assert "internal.note" in pseudonymiser.dropped_keys


def test_the_same_value_gets_the_same_placeholder() -> None:
    pseudonymiser = Pseudonymiser()
    first = pseudonymiser.text("a@b.io and c@d.io")
    second = pseudonymiser.text("c@d.io again")
    assert first == "<EMAIL_1> and <EMAIL_2>"
    assert second == "<EMAIL_2> again"


def test_numbers_that_are_not_cards_stay() -> None:
    assert not luhn_valid("1234 5678 9012 3456")
    assert Pseudonymiser().text("order 1234 5678 9012 3456 shipped") == (
        "order 1234 5678 9012 3456 shipped"
    )
