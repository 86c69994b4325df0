"""Stack strings to frames: Python tracebacks, V8 and Firefox stacks, outermost first."""

from __future__ import annotations

import traceback

from limelight.errors.frames import Frame, parse_stack


def _raise_here() -> None:
    raise ValueError("boom")


def test_python_traceback_from_the_interpreter() -> None:
    try:
        _raise_here()
    except ValueError as exc:
        text = "".join(traceback.format_exception(exc))
    frames = parse_stack(text)
    assert [f.function for f in frames] == ["test_python_traceback_from_the_interpreter",
                                             "_raise_here"]
    assert frames[-1].module == "test_frames"
    assert frames[-1].context_line == 'raise ValueError("boom")'
    assert frames[-1].lineno == 11


def test_v8_stack_throwing_frame_last_after_parsing() -> None:
    text = ("TypeError: x is undefined\n"
            "    at charge (https://cdn.example.com/app.js:1:2041)\n"
            "    at async Object.onClick (/app/src/cart.js:12:5)\n"
            "    at /app/src/index.js:3:1\n"
            "    at new Cart (<anonymous>)")
    assert parse_stack(text) == [
        Frame(function="new Cart", filename="<anonymous>"),
        Frame(filename="/app/src/index.js", lineno=3, colno=1),
        Frame(function="Object.onClick", filename="/app/src/cart.js", lineno=12, colno=5),
        Frame(function="charge", filename="https://cdn.example.com/app.js", lineno=1,
              colno=2041),
    ]


def test_firefox_stack() -> None:
    text = "charge@https://cdn.example.com/app.js:1:2041\n@https://cdn.example.com/app.js:1:10\n"
    assert parse_stack(text) == [
        Frame(filename="https://cdn.example.com/app.js", lineno=1, colno=10),
        Frame(function="charge", filename="https://cdn.example.com/app.js", lineno=1,
              colno=2041),
    ]


def test_text_without_frames() -> None:
    assert parse_stack("just a message") == []


def test_sentry_frame_dicts_round_trip() -> None:
    raw = {"function": "charge", "module": "shop", "abs_path": "/srv/shop.py", "lineno": 20,
           "context_line": "  raise X  ", "in_app": True, "vars": {"order": 1}}
    frame = Frame.from_dict(raw)
    assert frame == Frame("charge", "shop", "/srv/shop.py", 20, None, "raise X", True)
    assert Frame.from_dict(frame.to_dict()) == frame
    assert Frame.from_dict("not a frame") == Frame()
