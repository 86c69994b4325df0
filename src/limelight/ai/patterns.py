"""Streaming log-pattern mining in the manner of Drain (He et al., ICWS 2017).

Messages are split into tokens; tokens that carry variable data (numbers,
ids, IPs, hex, UUIDs, paths with digits) are masked first. A fixed-depth tree
keyed by token count and the leading constant tokens narrows the candidates,
and a message joins the most similar pattern there when enough of its tokens
agree, turning the disagreeing positions into wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

WILDCARD = "<*>"

# Tokens that are data, not wording. A digit anywhere marks an id, count, time,
# address or size in practically every log format.
_VARIABLE = re.compile(
    r"""^(
        .*\d.*                                 # anything with a digit
      | [0-9a-fA-F]{8,}                        # long hex without digits is rare but possible
      | (true|false|null|none|nil)             # literal values
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_SPLIT = re.compile(r"\s+")
# Punctuation that glues a key to its value (`uid=0`, `[preauth]`, `onExtend:1514`)
# is split off so the key survives masking while the value does not. A colon
# splits only before data, so `pam_unix(sshd:auth):` stays one word.
_GLUE = re.compile(r"([=\[\]]|:(?=[^:\s]*\d))")


def tokenize(message: str) -> list[str]:
    tokens = []
    for raw in _SPLIT.split(message.strip()):
        if not raw:
            continue
        for part in _GLUE.split(raw):
            if part:
                tokens.append(WILDCARD if _VARIABLE.match(part) else part)
    return tokens


@dataclass
class Pattern:
    id: int
    tokens: list[str]
    count: int = 0
    first_index: int = 0
    last_index: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def template(self) -> str:
        return " ".join(self.tokens)


class PatternMiner:
    """Assigns each message to a pattern as it arrives; patterns widen as they learn."""

    def __init__(self, similarity: float = 0.6, depth: int = 4, max_examples: int = 3) -> None:
        self.similarity = similarity
        self.prefix_tokens = max(depth - 2, 1)
        self.max_examples = max_examples
        self.patterns: list[Pattern] = []
        self._tree: dict[tuple[object, ...], list[Pattern]] = {}
        self._seen = 0

    def add(self, message: str) -> Pattern:
        tokens = tokenize(message)
        key = self._key(tokens)
        leaf = self._tree.setdefault(key, [])
        best, best_score = None, -1.0
        for pattern in leaf:
            score = _similarity(pattern.tokens, tokens)
            if score > best_score:
                best, best_score = pattern, score
        if best is None or best_score < self.similarity:
            best = Pattern(len(self.patterns), tokens, first_index=self._seen)
            self.patterns.append(best)
            leaf.append(best)
        else:
            best.tokens = [a if a == b else WILDCARD for a, b in zip(best.tokens, tokens,
                                                                     strict=True)]
        best.count += 1
        best.last_index = self._seen
        if len(best.examples) < self.max_examples:
            best.examples.append(message)
        self._seen += 1
        return best

    def add_all(self, messages: Iterable[str]) -> list[int]:
        return [self.add(message).id for message in messages]

    def _key(self, tokens: list[str]) -> tuple[object, ...]:
        prefix = tuple(tokens[: self.prefix_tokens])
        return (len(tokens), *prefix)


def _similarity(template: list[str], tokens: list[str]) -> float:
    if not tokens:
        return 1.0
    same = sum(1 for a, b in zip(template, tokens, strict=True) if a == b and a != WILDCARD)
    wild = template.count(WILDCARD)
    return same / max(len(tokens) - wild, 1)


def grouping_accuracy(predicted: list[int], truth: list[str]) -> float:
    """Share of messages whose predicted group holds exactly the messages of their true group."""
    by_truth: dict[str, set[int]] = {}
    by_predicted: dict[int, set[int]] = {}
    for index, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        by_truth.setdefault(t, set()).add(index)
        by_predicted.setdefault(p, set()).add(index)
    correct = sum(
        1 for index, (p, t) in enumerate(zip(predicted, truth, strict=True))
        if by_predicted[p] == by_truth[t]
    )
    return correct / len(truth) if truth else 1.0
