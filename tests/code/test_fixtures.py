"""Every `fixtures/*.good.yml` validates; every `*.bad.yml` gives exactly the errors in its
`.expected` sibling (one `file:line: id.field: message` a line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.code.project import Project, build_project

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = ("index.yml", """\
version: 1
service: fixtures
variables:
  error_threshold: {default: 10, prod: 50}
  pd_key: "0123456789abcdef0123456789abcdef"
  retention: 30
  service_name: checkout
  prod_only: {prod: x}
""")


def build(path: Path) -> Project:
    return build_project(INDEX, [(path.name, path.read_text())])


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.good.yml")), ids=lambda p: p.name)
def test_good_fixture_validates(path: Path) -> None:
    project = build(path)
    assert [str(i) for i in project.issues] == []
    assert project.resources


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.bad.yml")), ids=lambda p: p.name)
def test_bad_fixture_gives_exactly_the_expected_errors(path: Path) -> None:
    expected = path.with_name(path.name + ".expected").read_text().splitlines()
    assert expected, f"{path.name}.expected lists no error"
    assert [str(i) for i in build(path).issues] == expected


def test_every_bad_fixture_has_its_expected_errors() -> None:
    bad = {p.name for p in FIXTURES.glob("*.bad.yml")}
    expected = {p.name.removesuffix(".expected") for p in FIXTURES.glob("*.expected")}
    assert bad == expected


def test_good_fixture_values_are_substituted_with_their_types() -> None:
    resources = build(FIXTURES / "everything.good.yml").resources
    assert resources["otel"].properties["retention_days"] == 30  # a whole placeholder keeps int
    assert resources["slow-alert"].properties["snooze_until"] == "2026-11-23T10:00:00Z"
    example = build(FIXTURES / "design-example.good.yml").resources
    assert example["checkout-errors-alert"].properties["parameters"]["threshold"] == "> 10"
    assert example["checkout-errors-alert"].line == 11


DESIGN_INDEX = ("index.yml", """\
version: 1
service: shop
variables:
  error_threshold: {default: 10, prod: 50}
  pd_key: {default: "", prod: "0123456789abcdef0123456789abcdef"}
""")


@pytest.mark.parametrize("env", [None, "prod"])
def test_design_example_validates_with_its_own_index(env: str | None) -> None:
    """Outside prod the example's PagerDuty key is empty: paging is off, not an error."""
    path = FIXTURES / "design-example.good.yml"
    project = build_project(DESIGN_INDEX, [(path.name, path.read_text())], env=env)
    assert [str(i) for i in project.issues] == []
    key = project.resources["oncall"].properties["routing_key"]
    assert key == ("0123456789abcdef0123456789abcdef" if env else "")
