"""YAML with line numbers, the index, variables, and a folder of several files."""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.code.project import build_project, load_project, parse_index
from limelight.code.variables import Unset, parse_overrides, resolve, substitute
from limelight.code.yamlfile import YamlError, parse_yaml

INDEX = ("index.yml", """\
version: 1
service: shop
variables:
  threshold: {default: 10, prod: 50}
  enabled: {default: true, prod: false}
  key: "abc"
  only_prod: {prod: 5}
""")
ALERTS = """\
errors:
  type: query
  properties:
    name: Errors
    parameters: {calculations: [COUNT], filters: ["$service = shop"]}
errors-alert:
  type: alert
  properties:
    name: "Errors above {{ threshold }}"
    enabled: "{{ enabled }}"
    parameters:
      query: errors
      threshold: "> {{ threshold }}"
"""


def test_every_key_and_item_has_its_line() -> None:
    doc = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n")
    assert doc.value == {"a": {"b": 1, "c": ["x", {"d": 2}]}}
    assert doc.line(("a",)) == 1
    assert doc.line(("a", "b")) == 2
    assert doc.line(("a", "c", 1, "d")) == 5
    assert doc.line(("a", "c", 1, "missing", "deeper")) == 5  # the longest known prefix


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\na: 2\n", 2, "key 'a' appears twice in the same mapping"),
    ("a: [1\nb: 2\n", 2, "not valid YAML: while parsing a flow sequence, expected ',' or ']', "
                         "but got ':'"),
    ("a: 1\n---\nb: 2\n", 2, "one YAML document per file (remove the `---` separators)"),
    ("a: *nowhere\n", 1, "not valid YAML: found undefined alias 'nowhere'"),
])
def test_yaml_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(YamlError) as caught:
        parse_yaml(text)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_timestamps_stay_text_and_merge_keys_work() -> None:
    doc = parse_yaml("base: &b {x: 1}\nt: 2026-11-23T10:00:00Z\nd: 2026-11-23\nm:\n  <<: *b\n"
                     "  y: 2\n")
    assert doc.value["t"] == "2026-11-23T10:00:00Z"
    assert doc.value["d"] == "2026-11-23"
    assert doc.value["m"] == {"x": 1, "y": 2}


def test_environment_picks_values_and_overrides_keep_types() -> None:
    variables = {"n": {"default": 10, "prod": 50}, "flag": True, "text": "a", "p": {"prod": 1}}
    assert resolve(variables, None, {}) == {"n": 10, "flag": True, "text": "a",
                                            "p": Unset("default")}
    assert resolve(variables, "prod", {})["n"] == 50
    assert resolve(variables, "staging", {})["n"] == 10
    overridden = resolve(variables, "prod", {"n": "70", "flag": "false", "text": "12",
                                             "new": "x"})
    assert overridden == {"n": 70, "flag": False, "text": "12", "p": 1, "new": "x"}


def test_substitution_whole_values_keep_types_and_text_is_interpolated() -> None:
    values = {"n": 10, "on": True, "name": "shop"}
    done, problems = substitute({"a": "{{ n }}", "b": "> {{n}}", "c": ["{{ on }} in {{ name }}"],
                                 "d": 3}, values)
    assert done == {"a": 10, "b": "> 10", "c": ["true in shop"], "d": 3}
    assert problems == []
    _, problems = substitute({"x": ["ok", "{{ missing }}"]}, values, ("r",))
    assert [(p.path, p.message) for p in problems] == [
        (("r", "x", 1), "unknown variable 'missing' (variables: n, name, on)")]


@pytest.mark.parametrize("pair", ["novalue", "=x", "bad name=1"])
def test_malformed_var_options_are_refused(pair: str) -> None:
    with pytest.raises(ValueError, match="--var"):
        parse_overrides([pair])


def test_var_options_split_on_the_first_equals() -> None:
    assert parse_overrides(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}


def test_env_and_vars_reach_the_resources() -> None:
    project = build_project(INDEX, [("alerts.yml", ALERTS)])
    alert = project.resources["errors-alert"].properties
    assert (alert["name"], alert["enabled"], alert["parameters"]["threshold"]) == (
        "Errors above 10", True, "> 10")
    prod = build_project(INDEX, [("alerts.yml", ALERTS)], "prod", {"threshold": "75"})
    alert = prod.resources["errors-alert"].properties
    assert (alert["name"], alert["enabled"], alert["parameters"]["threshold"]) == (
        "Errors above 75", False, "> 75")
    assert prod.issues == []


def test_index_errors_name_their_line() -> None:
    index = parse_index(("index.yml", "version: 2\nservice: a/b\nextra: 1\nvariables:\n"
                                      "  9lives: 1\n"))
    assert [str(i) for i in index.issues] == [
        "index.yml:3: extra: unknown key (index.yml has version, service, variables)",
        "index.yml:1: version: 2 is not supported; use 1",
        "index.yml:2: service: 'a/b' is not a valid name: use letters, digits, _ . : - "
        "(starting with a letter or digit, at most 128)",
        "index.yml:5: variables.9lives: a variable name is letters, digits, _ . - "
        "(starting with a letter or _)",
    ]
    assert [str(i) for i in parse_index(("index.yml", "variables: {}\n")).issues] == [
        "index.yml:1: version: is required and must be 1",
        "index.yml:1: service: is required: the service that owns these resources",
    ]


def test_a_folder_reports_every_error_of_every_file_in_order(tmp_path: Path) -> None:
    folder = tmp_path / ".limelight"
    folder.mkdir()
    (folder / "index.yml").write_text(INDEX[1])
    (folder / "a.yml").write_text(ALERTS)
    (folder / "b.yml").write_text(
        "errors:\n  type: query\n  properties: {name: Again, parameters: {}}\n"
        "late:\n  type: alert\n  properties:\n    name: Late\n"
        "    parameters: {query: errors, threshold: '> {{ only_prod }}'}\n"
        "board:\n  type: dashboard\n  properties:\n    name: B\n"
        "    widgets: [{type: bar, query: gone}]\n")
    (folder / "notes.txt").write_text("not a resource file")
    project = load_project(folder)
    assert [str(i) for i in project.issues] == [
        f"{folder}/b.yml:1: errors: duplicate id: also defined at {folder}/a.yml:1",
        f"{folder}/b.yml:8: late.parameters.threshold: variable 'only_prod' has no value for "
        "environment 'default' and no default",
        f"{folder}/b.yml:13: board.widgets[0].query: no query 'gone' in this service "
        "(query ids: errors)",
    ]
    assert load_project(folder, "prod").issues == [project.issues[0], project.issues[2]]


def test_a_folder_without_index_says_so(tmp_path: Path) -> None:
    assert [str(i) for i in load_project(tmp_path).issues] == [
        "no index.yml: create one with version, service and variables (or run `limelight init`)"]


def test_ids_are_not_reported_missing_while_a_file_that_may_hold_them_is_unreadable() -> None:
    broken = ("channels.yml", 'hook:\n  type: channel\n  properties: {kind: webhook, url: "http://x\n')
    uses = ("alerts.yml", ALERTS + "    channels: [hook, errors]\n")
    project = build_project(INDEX, [broken, uses])
    # 'hook' may be in the unreadable file; 'errors' is a query whatever that file holds.
    assert [str(i) for i in project.issues[1:]] == [
        "alerts.yml:14: errors-alert.channels[1]: 'errors' is a query, not a channel"]
    assert project.issues[0].file == "channels.yml"
    assert project.issues[0].message.startswith("not valid YAML")
    fixed = ("channels.yml", "hook:\n  type: channel\n  properties: {kind: webhook, url: x}\n")
    assert [str(i) for i in build_project(INDEX, [fixed, uses]).issues] == [
        "channels.yml:3: hook.url: 'x' is not an http(s) URL",
        "alerts.yml:14: errors-alert.channels[1]: 'errors' is a query, not a channel"]
