"""One probe against real local websites: healthy, slow, failing, and HTTPS near expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from limelight.checks.probe import Prober, ProbeResult
from limelight.checks.spec import parse_check
from tests.checks.targets import Answer, Authority, Site


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority()


@pytest.fixture(scope="module")
def ca_file(authority: Authority, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return authority.write_pem(tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture
def sites() -> Iterator[list[Site]]:
    made: list[Site] = []
    yield made
    for site in made:
        site.close()


def site(sites: list[Site], answer: Answer | None = None, **tls: Any) -> Site:
    sites.append(Site(answer, **tls))
    return sites[-1]


def probe(properties: dict[str, Any], ca_file: Path | None = None) -> ProbeResult:
    return asyncio.run(Prober(ca_file)(parse_check(properties)))


def test_a_healthy_site_passes_with_its_status_and_latency(sites: list[Site]) -> None:
    result = probe({"url": site(sites).url, "expect": {"body": "^ok$", "latency": "2s"}})
    assert (result.ok, result.status, result.error, result.tls_days) == (True, 200, None, None)
    assert result.latency_ms is not None and 0 < result.latency_ms < 2000


def test_a_slow_site_fails_on_latency(sites: list[Site]) -> None:
    slow = site(sites, Answer(delay_s=0.4))
    result = probe({"url": slow.url, "expect": {"latency": "200ms"}})
    assert not result.ok and result.status == 200
    assert result.latency_ms is not None and result.latency_ms >= 400
    assert result.error == f"latency {result.latency_ms:.0f} ms is over the limit of 200 ms"


def test_a_500_fails_on_status(sites: list[Site]) -> None:
    broken = site(sites, Answer(status=500, body=b"oops"))
    result = probe({"url": broken.url})
    assert (result.ok, result.status, result.error) == (False, 500, "status 500, expected 2xx")
    assert probe({"url": broken.url, "expect": {"status": [200, 500]}}).ok


def test_the_body_must_match_the_expected_pattern(sites: list[Site]) -> None:
    result = probe({"url": site(sites, Answer(body=b"degraded")).url,
                    "expect": {"body": "ok|healthy"}})
    assert (result.ok, result.error) == (False, "body does not match /ok|healthy/")


def test_a_site_slower_than_the_timeout_times_out(sites: list[Site]) -> None:
    result = probe({"url": site(sites, Answer(delay_s=1.0)).url, "timeout": "300ms"})
    assert (result.ok, result.status, result.error) == (False, None, "timed out after 0.3s")


def test_a_closed_port_is_a_connection_error(sites: list[Site]) -> None:
    gone = site(sites)
    url = gone.url
    gone.close()
    sites.remove(gone)
    result = probe({"url": url})
    assert not result.ok and result.error is not None
    assert result.error.startswith("ConnectError: ")


def test_method_headers_and_body_are_sent(sites: list[Site]) -> None:
    target = site(sites)
    assert probe({"url": target.url, "method": "post", "headers": {"x-probe": 1},
                  "body": '{"ping": true}'}).ok
    method, path, headers, body = target.seen[0]
    assert (method, path, headers["x-probe"], body) == ("POST", "/health", "1",
                                                         b'{"ping": true}')


def test_https_reports_days_until_the_certificate_expires(
        sites: list[Site], authority: Authority, ca_file: Path) -> None:
    secure = site(sites, tls=authority.server_context(days_left=90))
    result = probe({"url": secure.url}, ca_file)
    assert result.ok and result.error is None
    assert result.tls_days is not None and 89.9 < result.tls_days <= 90


def test_a_certificate_close_to_expiry_fails_the_check(
        sites: list[Site], authority: Authority, ca_file: Path) -> None:
    expiring = site(sites, tls=authority.server_context(days_left=3))
    result = probe({"url": expiring.url}, ca_file)
    assert not result.ok and result.status == 200
    assert result.tls_days is not None and 2.9 < result.tls_days <= 3
    assert result.error == "TLS certificate expires in 3.0 days (warning at 14 days)"
    assert probe({"url": expiring.url, "tls": {"expiry_warning_days": 2}}, ca_file).ok


def test_an_untrusted_certificate_fails_unless_verification_is_off(
        sites: list[Site], authority: Authority) -> None:
    secure = site(sites, tls=authority.server_context(days_left=30))
    refused = probe({"url": secure.url})
    assert not refused.ok and refused.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in refused.error
    unverified = probe({"url": secure.url, "tls": {"verify": False}})
    assert unverified.ok and unverified.tls_days is not None and 29.9 < unverified.tls_days <= 30
