"""Pseudonymisation before anything leaves the machine.

Keys that hold secrets are dropped at any depth; identifying values (emails,
IPs, phone and card numbers, JWTs, bearer tokens, API keys, user ids) are
replaced with stable placeholders such as `<EMAIL_1>`. The same value always
gets the same placeholder within one Pseudonymiser, and the mapping never
leaves the server: `restore` puts the real values back into the answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

# Key words that mark a secret; matched against each dotted part of a key.
BLOCKED_KEY_WORDS = (
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key",
    "authorization", "auth", "cookie", "set-cookie", "credentials", "credential", "session",
    "private_key", "privatekey", "signature", "ssn",
)
# Keys whose whole value is an IP address.
_IP_KEY = re.compile(r"(^|[._-])(ip|ip_address|client_ip|remote_addr|peer\.address|"
                     r"x-forwarded-for)$", re.IGNORECASE)
# Keys whose whole value identifies a person.
_USER_KEY = re.compile(
    r"(^|\.)(user|enduser|customer|account|member|person)(\.|_)?(id|name|email|login|"
    r"handle)?$|(^|\.)(username|user_name|login|email|phone|full_name)$",
    re.IGNORECASE,
)

_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("TOKEN", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}")),
    ("API_KEY", re.compile(
        r"\b(?:sk|pk|rk)[-_](?:live|test|proj)?[-_]?[A-Za-z0-9]{16,}\b"
        r"|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{20,}\b|\bll_[aiq]_[A-Za-z0-9_-]{20,}"
        r"|\bxox[abpr]-[A-Za-z0-9-]{10,}"
    )),
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    ("CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("IP", re.compile(
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
        r"|\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"
        r"|\b(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:?){1,6}\b"
    )),
    ("PHONE", re.compile(
        r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,4}\d{2,4}\b"
        r"|\(\d{3}\)\s?\d{3}-\d{4}\b|(?<![\w-])\d{3}-\d{3}-\d{4}\b"
    )),
)
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}\b")


def luhn_valid(digits: str) -> bool:
    numbers = [int(c) for c in digits if c.isdecimal()]
    if not 13 <= len(numbers) <= 19:
        return False
    total = 0
    for index, number in enumerate(reversed(numbers)):
        if index % 2 == 1:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0


def is_blocked_key(key: str, extra: Iterable[str] = ()) -> bool:
    lowered = key.lower()
    extra_lowered = {e.lower() for e in extra}
    words = set(BLOCKED_KEY_WORDS) | extra_lowered
    for part in re.split(r"[.\s]", lowered):
        if part in words or any(
            part.endswith((f"_{w}", f"-{w}")) or part.startswith(f"{w}_") for w in words
        ):
            return True
    return lowered in extra_lowered or bool(_IP_KEY.search(lowered))


class Pseudonymiser:
    """One explanation's mapping from identifying values to placeholders, and back."""

    def __init__(self, blocked_keys: Iterable[str] = ()) -> None:
        self.extra_blocked = tuple(blocked_keys)
        self._placeholders: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self.dropped_keys: set[str] = set()
        self._literals: dict[str, str] = {}
        self._compiled: re.Pattern[str] | None = None

    def placeholder(self, kind: str, value: str) -> str:
        found = self._placeholders.get((kind, value))
        if found is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            found = f"<{kind}_{self._counts[kind]}>"
            self._placeholders[(kind, value)] = found
            self._originals[found] = value
        return found

    def text(self, value: str) -> str:
        """Replace identifying substrings of free text, and values already known to identify."""
        if self._literals:
            value = self._literal_pattern().sub(lambda m: self._literals[m.group(0)], value)
        for kind, pattern in _VALUE_PATTERNS:
            value = pattern.sub(functools.partial(self._replace_match, kind), value)
        return value

    def _replace_match(self, kind: str, match: re.Match[str]) -> str:
        return self._replace(kind, match.group(0))

    def _replace(self, kind: str, found: str) -> str:
        if kind == "CARD" and not luhn_valid(found):
            return found
        return self.placeholder(kind, found)

    def _literal_pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            ordered = sorted(self._literals, key=len, reverse=True)
            self._compiled = re.compile("|".join(re.escape(v) for v in ordered))
        return self._compiled

    def _learn(self, original: str, replacement: str) -> None:
        if len(original) >= 3 and original not in self._literals:
            self._literals[original] = replacement
            self._compiled = None

    def value(self, key: str, value: Any) -> Any:
        """A value under `key`: whole-value pseudonyms for user keys, text scrubbing else."""
        if isinstance(value, bool) or value is None:
            return value
        if _USER_KEY.search(key) or (
            isinstance(value, str) and _UUID.fullmatch(value.strip()) and "user" in key.lower()
        ):
            replacement = self.placeholder("USER", str(value))
            self._learn(str(value), replacement)
            return replacement
        if isinstance(value, str):
            return self.text(value)
        return value

    def document(self, doc: Any) -> Any:
        """Scrub a JSON-like structure. Blocked keys are dropped at every depth; values of user
        and secret keys are learnt first, so they are also replaced wherever they recur as text
        (an analysis repeats values in sentences). `{"key": k, "value": v}` pairs count as k."""
        self._collect(doc, "")
        return self._scrub(doc, "")

    def _blocked(self, path: str, name: str) -> bool:
        return is_blocked_key(name, self.extra_blocked) or is_blocked_key(path, self.extra_blocked)

    def _collect(self, doc: Any, key: str) -> None:
        if isinstance(doc, dict):
            pair_key = doc.get("key") if isinstance(doc.get("key"), str) else None
            for name, item in doc.items():
                path = pair_key if pair_key and name == "value" else (
                    f"{key}.{name}" if key else str(name))
                if isinstance(item, dict | list):
                    self._collect(item, path)
                elif item is not None and not isinstance(item, bool):
                    if self._blocked(path, path.rsplit(".", 1)[-1]):
                        self._learn(str(item), "<REDACTED>")
                    elif _USER_KEY.search(path):
                        self.value(path, item)
        elif isinstance(doc, list):
            for item in doc:
                self._collect(item, key)

    def _scrub(self, doc: Any, key: str) -> Any:
        if isinstance(doc, dict):
            pair_key = doc.get("key") if isinstance(doc.get("key"), str) else None
            if pair_key and self._blocked(pair_key, pair_key.rsplit(".", 1)[-1]):
                self.dropped_keys.add(pair_key)
                return {}
            kept: dict[str, Any] = {}
            for name, item in doc.items():
                path = pair_key if pair_key and name == "value" else (
                    f"{key}.{name}" if key else str(name))
                if self._blocked(path, str(name)):
                    self.dropped_keys.add(path)
                    continue
                kept[self.text(str(name))] = self._scrub(item, path)
            return kept
        if isinstance(doc, list):
            scrubbed = [self._scrub(item, key) for item in doc]
            return [item for item in scrubbed if item != {}]
        return self.value(key, doc)

    def restore(self, text: str) -> str:
        """Put the real values back into text that came back from a provider."""
        if not self._originals:
            return text
        pattern = re.compile("|".join(re.escape(p) for p in self._originals))
        return pattern.sub(lambda m: self._originals[m.group(0)], text)

    @property
    def mapping_size(self) -> int:
        return len(self._originals)
