"""Grouping: which occurrences are the same bug. Pure functions.

In order: an explicit fingerprint (`{{ default }}` expands to the default);
else the significant stack frames (module + function + normalised code line,
never line numbers, so a deploy that shifts code keeps its groups); else the
type and the message with its variable parts (numbers, ids, UUIDs, hex,
emails, IPs, timestamps) replaced by placeholders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from limelight.errors.frames import Frame, is_library

DEFAULT_MARKER = re.compile(r"^\{\{\s*default\s*\}\}$")

# Order matters: the specific shapes first, bare numbers last.
_VARIABLE_PARTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
     "<ts>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}(\.\d+)?\b"), "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                r"[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b"), "<ip>"),
    (re.compile(r"\b(?=[0-9a-fA-F:]*:[0-9a-fA-F:]*:)([0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b"),
     "<ip>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    # Hex ids and hashes: long runs of hex digits with at least one digit.
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    # Ids mixing letters and digits (ord_8f3k2, cus_Nf2x9Qa1): the digits make them variable.
    (re.compile(r"\b[A-Za-z]+_(?=\w*\d)\w{4,}\b"), "<id>"),
    (re.compile(r"\d+(\.\d+)?"), "<n>"),
]


def normalise(text: str) -> str:
    """`order 8213 of 2024-05-01T10:00:00Z failed` -> `order <n> of <ts> failed`."""
    for pattern, placeholder in _VARIABLE_PARTS:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


def fingerprint(error_type: str, message: str, frames: Sequence[Frame],
                explicit: Sequence[str] | None = None) -> list[str]:
    """The parts that identify a group; equal parts, one group."""
    default = default_fingerprint(error_type, message, frames)
    if not explicit or all(DEFAULT_MARKER.match(part.strip()) for part in explicit):
        return default
    parts: list[str] = []
    for part in explicit:
        if DEFAULT_MARKER.match(part.strip()):
            parts += default
        else:
            parts.append(part)
    return ["explicit", *parts]


def default_fingerprint(error_type: str, message: str, frames: Sequence[Frame]) -> list[str]:
    chosen = significant_frames(frames)
    if not chosen:
        return ["message", error_type, normalise(message)]
    parts = ["stack", error_type, *(_frame_key(frame) for frame in chosen)]
    if not any(frame.context_line for frame in chosen):
        # Without code lines two bugs in one function would look alike: the message decides.
        parts.append(normalise(message))
    return parts


def significant_frames(frames: Sequence[Frame]) -> list[Frame]:
    """Frames marked in-app; when none is marked, every frame outside libraries."""
    in_app = [frame for frame in frames if frame.in_app]
    if in_app:
        return in_app
    if any(frame.in_app is False for frame in frames):
        return [f for f in frames if f.in_app is None and not is_library(f)]
    return [frame for frame in frames if not is_library(frame)]


def _frame_key(frame: Frame) -> str:
    return f"{frame.module or file_key(frame.filename)}|{normalise_function(frame.function)}|" \
           f"{normalise(frame.context_line)}"


_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+")


def normalise_function(name: str) -> str:
    return _ADDRESS.sub("", name).strip()


_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]*")


def file_key(filename: str) -> str:
    """The file's last two path parts without host, query or build hashes: stable across
    deploys (`https://cdn/x/app.3f9a1c2b.js?v=2` and `/srv/v2/x/app.77aa00e1.js` agree)."""
    path = _URL_HOST.sub("", filename.replace("\\", "/")).split("?", 1)[0].split("#", 1)[0]
    for root in ("node_modules/", "site-packages/", "dist-packages/"):
        if root in path:
            path = path.rsplit(root, 1)[1]
    return normalise("/".join(path.rstrip("/").split("/")[-2:]))


def group_id(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def culprit(frames: Sequence[Frame]) -> str:
    """Where it broke: the innermost significant frame, `module in function`."""
    chosen = significant_frames(frames) or list(frames)
    if not chosen:
        return ""
    frame = chosen[-1]
    where = frame.module or file_key(frame.filename)
    return f"{where} in {frame.function}" if frame.function else where
