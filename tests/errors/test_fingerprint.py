"""Grouping as a table: pairs of occurrences that are the same bug, and pairs that are not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from limelight.errors.fingerprint import culprit, fingerprint, group_id, normalise
from limelight.errors.frames import Frame, parse_stack


@dataclass(frozen=True)
class Seen:
    type: str
    message: str
    stack: str = ""  # a stack string, as OTLP's exception.stacktrace carries it
    frames: list[dict[str, Any]] = field(default_factory=list)  # Sentry frames
    explicit: list[str] | None = None

    def group(self) -> str:
        frames = parse_stack(self.stack) if self.stack else [
            Frame.from_dict(f) for f in self.frames]
        return group_id(fingerprint(self.type, self.message, frames, self.explicit))


def py(*frames: tuple[str, int, str, str]) -> str:
    """A Python traceback from (file, line, function, code) tuples, outermost first."""
    lines = ["Traceback (most recent call last):"]
    for file, line, function, code in frames:
        lines += [f'  File "{file}", line {line}, in {function}', f"    {code}"]
    return "\n".join(lines) + "\nValueError: boom"


def v8(message: str, *frames: tuple[str, str, int, int]) -> str:
    """A V8 stack from (function, file, line, column), the throwing frame first."""
    return "\n".join([f"TypeError: {message}", *(
        f"    at {fn} ({file}:{line}:{col})" if fn else f"    at {file}:{line}:{col}"
        for fn, file, line, col in frames)])


def firefox(*frames: tuple[str, str, int, int]) -> str:
    return "\n".join(f"{fn}@{file}:{line}:{col}" for fn, file, line, col in frames)


LIB = "/usr/lib/python3.11/site-packages/httpx/_client.py"
LIB12 = "/opt/venv/lib/python3.12/site-packages/httpx/_client.py"
APP_V1 = "/srv/releases/v1/app/shop.py"
APP_V2 = "/srv/releases/v2/app/shop.py"
RAISE = 'raise ValueError(f"declined: {order_id}")'
BUNDLE_V1 = "https://cdn.example.com/assets/app.3f9a1c2b.js"
BUNDLE_V2 = "https://cdn.example.com/assets/app.77aa00e1.js?v=2"


def sentry_frame(module: str, function: str, line: int, code: str,
                 in_app: bool | None = True) -> dict[str, Any]:
    return {"module": module, "function": function, "lineno": line, "context_line": code,
            "in_app": in_app, "filename": module.replace(".", "/") + ".py"}


SAME_BUG = [
    ("python-lines-shifted",
     Seen("ValueError", "declined: 1", py((APP_V1, 10, "main", "charge(order)"),
                                          (APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "declined: 1", py((APP_V1, 14, "main", "charge(order)"),
                                          (APP_V1, 31, "charge", RAISE)))),
    ("python-new-id-in-message",
     Seen("ValueError", "declined: ord_8f3k2x", py((APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "declined: ord_99aa1q", py((APP_V1, 20, "charge", RAISE)))),
    ("python-deploy-directory-changed",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "x", py((APP_V2, 25, "charge", RAISE)))),
    ("python-library-frames-differ",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", "client.post(url)"),
                                (LIB, 100, "post", "return self.request()"))),
     Seen("ValueError", "x", py((APP_V1, 20, "charge", "client.post(url)"),
                                (LIB12, 180, "post", "return self.send(request)")))),
    ("python-literal-id-in-code-line",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", 'raise ValueError("ref 5f2a9c1e")'))),
     Seen("ValueError", "x", py((APP_V2, 27, "charge", 'raise ValueError("ref 88bb1c2d")')))),
    ("python-chained-uses-the-raised-traceback",
     Seen("ValueError", "x", py((APP_V1, 5, "load", "open(p)")) + "\n\nDuring handling of the "
          "above exception, another exception occurred:\n\n" + py((APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "x", py((APP_V1, 21, "charge", RAISE)))),
    ("v8-line-and-column-moved",
     Seen("TypeError", "x is undefined", v8("x is undefined", ("charge", BUNDLE_V1, 1, 2041),
                                            ("onClick", BUNDLE_V1, 1, 900))),
     Seen("TypeError", "x is undefined", v8("x is undefined", ("charge", BUNDLE_V1, 1, 3377),
                                            ("onClick", BUNDLE_V1, 1, 1012)))),
    ("v8-bundle-hash-changed",
     Seen("TypeError", "x is undefined", v8("x is undefined", ("charge", BUNDLE_V1, 1, 2041))),
     Seen("TypeError", "x is undefined", v8("x is undefined", ("charge", BUNDLE_V2, 1, 2250)))),
    ("v8-id-in-message",
     Seen("Error", "order 7781 missing", v8("m", ("load", "/app/src/orders.js", 40, 9))),
     Seen("Error", "order 9921 missing", v8("m", ("load", "/app/src/orders.js", 44, 9)))),
    ("v8-node-modules-frames-differ",
     Seen("Error", "boom", v8("m", ("fetchJson", "/app/node_modules/undici/index.js", 10, 1),
                              ("load", "/app/src/orders.js", 40, 9))),
     Seen("Error", "boom", v8("m", ("request", "/app/node_modules/undici/lib/core.js", 77, 3),
                              ("load", "/app/src/orders.js", 42, 9)))),
    ("v8-anonymous-frames",
     Seen("Error", "boom", v8("m", ("", "/app/src/orders.js", 40, 9))),
     Seen("Error", "boom", v8("m", ("", "/app/src/orders.js", 52, 13)))),
    ("firefox-lines-moved",
     Seen("TypeError", "a is null", firefox(("charge", BUNDLE_V1, 1, 2041),
                                            ("@", BUNDLE_V1, 1, 10))),
     Seen("TypeError", "a is null", firefox(("charge", BUNDLE_V2, 1, 3000),
                                            ("@", BUNDLE_V2, 1, 12)))),
    ("message-numbers", Seen("KeyError", "Order 123 not found"),
     Seen("KeyError", "Order 98765 not found")),
    ("message-uuid", Seen("NotFound", "user 550e8400-e29b-41d4-a716-446655440000 gone"),
     Seen("NotFound", "user 6fa459ea-ee8a-3ca4-894e-db77e160355e gone")),
    ("message-hex", Seen("Error", "object at 0x7f3a9c2b1d40 is closed"),
     Seen("Error", "object at 0x7f3a9c2b8e80 is closed")),
    ("message-hash", Seen("Error", "blob 3f9a1c2bde77 missing"),
     Seen("Error", "blob 8e80aa10ff42 missing")),
    ("message-timestamps", Seen("Timeout", "deadline 2024-05-01T10:00:00.123Z passed"),
     Seen("Timeout", "deadline 2024-06-11T23:59:01+02:00 passed")),
    ("message-emails", Seen("Error", "cannot mail alice@example.com"),
     Seen("Error", "cannot mail bob.smith+x@corp.example.org")),
    ("message-ipv4", Seen("ConnectionError", "refused by 10.0.3.17:5432"),
     Seen("ConnectionError", "refused by 192.168.1.4:5432")),
    ("message-ipv6", Seen("ConnectionError", "refused by fe80::1ff:fe23:4567:890a"),
     Seen("ConnectionError", "refused by 2001:db8::8a2e:370:7334")),
    ("message-whitespace", Seen("Error", "bad  input\n"), Seen("Error", "bad input")),
    ("explicit-fingerprint-overrides-stacks",
     Seen("ValueError", "a", py((APP_V1, 1, "a", "a()")), explicit=["payments", "declined"]),
     Seen("KeyError", "b", py((APP_V1, 9, "b", "b()")), explicit=["payments", "declined"])),
    ("explicit-default-alone-is-the-default",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)), explicit=["{{ default }}"]),
     Seen("ValueError", "x", py((APP_V1, 31, "charge", RAISE)))),
    ("explicit-default-plus-part",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)),
          explicit=["{{default}}", "tenant-a"]),
     Seen("ValueError", "y", py((APP_V2, 40, "charge", RAISE)),
          explicit=["{{ default }}", "tenant-a"])),
    ("sentry-in-app-lines-moved",
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 20, RAISE)]),
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 41, RAISE)])),
    ("sentry-library-frames-differ",
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 20, RAISE),
                                     sentry_frame("httpx._client", "send", 10, "a", False)]),
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 20, RAISE),
                                     sentry_frame("httpx._client", "post", 99, "b", False)])),
    ("sentry-unmarked-app-frames-next-to-library-frames",
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 20, RAISE, None),
                                     sentry_frame("httpx._client", "send", 10, "a", False)]),
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 25, RAISE, None)])),
]

DIFFERENT_BUGS = [
    ("python-other-function",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "x", py((APP_V1, 20, "refund", RAISE)))),
    ("python-other-line-of-code-same-function",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "x", py((APP_V1, 22, "charge", 'raise ValueError("no card")')))),
    ("python-other-type-same-place",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", "total = order['total']"))),
     Seen("KeyError", "x", py((APP_V1, 20, "charge", "total = order['total']")))),
    ("python-other-caller",
     Seen("ValueError", "x", py((APP_V1, 5, "checkout", "charge(o)"),
                                (APP_V1, 20, "charge", RAISE))),
     Seen("ValueError", "x", py((APP_V1, 9, "subscribe", "charge(o)"),
                                (APP_V1, 20, "charge", RAISE)))),
    ("python-other-module",
     Seen("ValueError", "x", py(("/srv/app/shop.py", 20, "charge", RAISE))),
     Seen("ValueError", "x", py(("/srv/app/billing.py", 20, "charge", RAISE)))),
    ("v8-other-function",
     Seen("TypeError", "x is undefined", v8("m", ("charge", BUNDLE_V1, 1, 2041))),
     Seen("TypeError", "x is undefined", v8("m", ("refund", BUNDLE_V1, 1, 2041)))),
    ("v8-same-function-other-message",
     Seen("TypeError", "Cannot read properties of undefined (reading 'id')",
          v8("m", ("render", "/app/src/cart.js", 10, 5))),
     Seen("TypeError", "Cannot read properties of undefined (reading 'total')",
          v8("m", ("render", "/app/src/cart.js", 12, 5)))),
    ("v8-other-file",
     Seen("Error", "boom", v8("m", ("load", "/app/src/orders.js", 40, 9))),
     Seen("Error", "boom", v8("m", ("load", "/app/src/users.js", 40, 9)))),
    ("firefox-other-function",
     Seen("TypeError", "a is null", firefox(("charge", BUNDLE_V1, 1, 2041))),
     Seen("TypeError", "a is null", firefox(("refund", BUNDLE_V1, 1, 2041)))),
    ("message-other-words", Seen("KeyError", "Order 123 not found"),
     Seen("KeyError", "User 123 not found")),
    ("message-other-type", Seen("KeyError", "missing"), Seen("ValueError", "missing")),
    ("message-other-target", Seen("Timeout", "timed out after 30s connecting to db"),
     Seen("Timeout", "timed out after 5s connecting to cache")),
    ("message-versus-stack",
     Seen("ValueError", "x"), Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)))),
    ("explicit-different-parts",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)),
          explicit=["{{ default }}", "tenant-a"]),
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)),
          explicit=["{{ default }}", "tenant-b"])),
    ("explicit-versus-default",
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)), explicit=["charge"]),
     Seen("ValueError", "x", py((APP_V1, 20, "charge", RAISE)))),
    ("sentry-other-in-app-function",
     Seen("ValueError", "x", frames=[sentry_frame("shop", "charge", 20, RAISE)]),
     Seen("ValueError", "x", frames=[sentry_frame("shop", "refund", 20, RAISE)])),
]


@pytest.mark.parametrize(("first", "second"), [(a, b) for _, a, b in SAME_BUG],
                         ids=[name for name, _, _ in SAME_BUG])
def test_same_bug_lands_in_one_group(first: Seen, second: Seen) -> None:
    assert first.group() == second.group()


@pytest.mark.parametrize(("first", "second"), [(a, b) for _, a, b in DIFFERENT_BUGS],
                         ids=[name for name, _, _ in DIFFERENT_BUGS])
def test_different_bugs_never_share_a_group(first: Seen, second: Seen) -> None:
    assert first.group() != second.group()


@pytest.mark.parametrize(("text", "expected"), [
    ("order 8213 of 2024-05-01T10:00:00Z failed", "order <n> of <ts> failed"),
    ("user a@b.com from 10.0.0.1:8080", "user <email> from <ip>"),
    ("id 550e8400-e29b-41d4-a716-446655440000", "id <uuid>"),
    ("at 0x7f3a and deadbeef12", "at <hex> and <hex>"),
    ("customer cus_Nf2x9Qa1 missing", "customer <id> missing"),
    ("took 12.5 ms at 23:59:01", "took <n> ms at <time>"),
    ("on 2024-05-01", "on <date>"),
    ("plain words stay", "plain words stay"),
], ids=["number-ts", "email-ip", "uuid", "hex", "prefixed-id", "float-time", "date", "plain"])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_culprit_is_the_innermost_app_frame() -> None:
    frames = parse_stack(py((APP_V1, 5, "checkout", "charge(o)"), (APP_V1, 20, "charge", RAISE),
                            (LIB, 100, "post", "self.send()")))
    assert culprit(frames) == "shop in charge"
