"""Stack frames: parsed from Python tracebacks and JavaScript stack strings, kept as dicts.

Frames are ordered outermost first and the frame that raised last (Sentry's
order), whatever order the text had.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Frame:
    function: str = ""
    module: str = ""  # Python's module name; JavaScript frames have none
    filename: str = ""
    lineno: int | None = None
    colno: int | None = None
    context_line: str = ""  # the source line, when the runtime shows it
    in_app: bool | None = None  # None: the SDK did not say

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items()
                if value not in (None, "")}

    @classmethod
    def from_dict(cls, data: Any) -> Frame:
        if not isinstance(data, dict):
            return cls()
        return cls(
            function=_text(data.get("function")),
            module=_text(data.get("module")),
            filename=_text(data.get("filename") or data.get("abs_path")),
            lineno=_int(data.get("lineno")),
            colno=_int(data.get("colno")),
            context_line=_text(data.get("context_line")).strip(),
            in_app=data.get("in_app") if isinstance(data.get("in_app"), bool) else None,
        )


_LIBRARY_PATHS = re.compile(
    r"(site-packages|dist-packages|node_modules|/lib/python\d|<frozen |^node:|^internal/"
    r"|webpack/bootstrap|/usr/lib/|/usr/local/lib/)"
)


def is_library(frame: Frame) -> bool:
    """Frames of installed packages and runtimes: never what tells two bugs apart."""
    return bool(_LIBRARY_PATHS.search(frame.filename))


# File "/app/shop.py", line 12, in charge
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<fn>.+))?$')
# at charge (/app/shop.js:12:5) | at /app/shop.js:12:5 | at async charge (file:12:5)
_V8_FRAME = re.compile(
    r"^\s*at (?:(?:async )?(?P<fn>.+?) \()?(?P<file>.+?)(?::(?P<line>\d+))?(?::(?P<col>\d+))?\)?$"
)
# charge@https://x/shop.js:12:5 | @https://x/shop.js:12:5
_FIREFOX_FRAME = re.compile(
    r"^\s*(?P<fn>[^@]*)@(?P<file>.+?)(?::(?P<line>\d+))?(?::(?P<col>\d+))?$"
)


def parse_stack(text: str) -> list[Frame]:
    """Frames of a Python traceback or a V8/Firefox stack string; [] when neither."""
    lines = text.splitlines()
    if any(_PY_FRAME.match(line) for line in lines):
        return _python_frames(lines)
    if any(line.lstrip().startswith("at ") for line in lines):
        return _javascript_frames(lines, _V8_FRAME, lambda line: line.lstrip().startswith("at "))
    if any(_FIREFOX_FRAME.match(line) for line in lines):
        return _javascript_frames(lines, _FIREFOX_FRAME, lambda line: "@" in line)
    return []


def _python_frames(lines: list[str]) -> list[Frame]:
    """The last traceback of a chain ("During handling ...") is the one that was raised."""
    frames: list[Frame] = []
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            frames = []
            continue
        found = _PY_FRAME.match(line)
        if not found:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        code = following.strip() if following.startswith("    ") and not _PY_FRAME.match(
            following) else ""
        filename = found["file"]
        frames.append(Frame(
            function=(found["fn"] or "").strip(),
            module=_python_module(filename),
            filename=filename,
            lineno=int(found["line"]),
            context_line=code,
        ))
    return frames


def _python_module(filename: str) -> str:
    """`.../site-packages/httpx/_client.py` -> `httpx._client`; else the file's stem."""
    path = filename.replace("\\", "/")
    for root in ("site-packages/", "dist-packages/"):
        if root in path:
            inner = path.split(root, 1)[1]
            return inner.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    stem = path.rsplit("/", 1)[-1]
    return stem.removesuffix(".py") if stem.endswith(".py") else ""


def _javascript_frames(lines: list[str], pattern: re.Pattern[str],
                       is_frame: Any) -> list[Frame]:
    frames = []
    for line in lines:
        if not is_frame(line):
            continue
        found = pattern.match(line)
        if not found:
            continue
        function = (found["fn"] or "").strip()
        frames.append(Frame(
            function="" if function in ("<anonymous>", "") else function,
            filename=found["file"],
            lineno=_int(found["line"]),
            colno=_int(found["col"]),
        ))
    frames.reverse()  # JavaScript prints the frame that threw first
    return frames


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal():
        return int(value)
    return None
