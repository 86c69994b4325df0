"""One run of a check: a single HTTP(S) request, timed, and judged against its expectations.

Each run opens a fresh connection, so the latency includes DNS, connect and
the TLS handshake, as a visitor would see it, and the certificate is read on
every run. The peer certificate is always read in binary form and parsed with
`cryptography`: `getpeercert()` returns nothing when verification is off
(`tls.verify: false`), and one path for both cases keeps the expiry the same.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import certifi
import httpx
from cryptography import x509

from limelight.checks.spec import CheckSpec

# Enough of a body for any health page; more is not read (and not matched).
MAX_BODY_BYTES = 1024 * 1024
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    time_ms: int  # when the request started
    status: int | None = None
    latency_ms: float | None = None  # until the whole body arrived
    error: str | None = None  # why it failed
    tls_days: float | None = None  # days until the certificate expires (https only)


Probe = Callable[[CheckSpec], Awaitable[ProbeResult]]


def judge(spec: CheckSpec, status: int, body: str, latency_ms: float,
          tls_days: float | None) -> str | None:
    """Why a response fails the check's expectations, or None when it passes."""
    expect = spec.expect
    if not expect.status_ok(status):
        return f"status {status}, expected {expect.status_text}"
    if expect.body is not None and not expect.body.search(body):
        return f"body does not match /{expect.body.pattern}/"
    if expect.latency_ms is not None and latency_ms > expect.latency_ms:
        return f"latency {latency_ms:.0f} ms is over the limit of {expect.latency_ms:g} ms"
    if tls_days is not None and tls_days < spec.expiry_warning_days:
        if tls_days < 0:
            return f"TLS certificate expired {-tls_days:.1f} days ago"
        return (f"TLS certificate expires in {tls_days:.1f} days "
                f"(warning at {spec.expiry_warning_days} days)")
    return None


def days_until_expiry(der: bytes, now: datetime) -> float:
    certificate = x509.load_der_x509_certificate(der)
    return (certificate.not_valid_after_utc - now).total_seconds() / SECONDS_PER_DAY


class Prober:
    """Runs probes; holds the TLS contexts, built once (loading CA files is slow)."""

    def __init__(self, ca_file: Path | None = None,
                 clock: Callable[[], int] = time.time_ns) -> None:
        self.verified = ssl.create_default_context(cafile=certifi.where())
        if ca_file is not None:
            self.verified.load_verify_locations(cafile=str(ca_file))
        self.unverified = ssl.create_default_context()
        self.unverified.check_hostname = False
        self.unverified.verify_mode = ssl.CERT_NONE
        self.clock = clock

    async def __call__(self, spec: CheckSpec) -> ProbeResult:
        started_ms = self.clock() // 1_000_000
        timeout_s = spec.timeout_ns / 1e9
        try:
            async with asyncio.timeout(timeout_s):
                return await self._request(spec, started_ms)
        except (TimeoutError, httpx.TimeoutException):
            return ProbeResult(False, started_ms, error=f"timed out after {timeout_s:g}s")
        except httpx.HTTPError as exc:
            return ProbeResult(False, started_ms, error=_describe(exc))

    async def _request(self, spec: CheckSpec, started_ms: int) -> ProbeResult:
        context = self.verified if spec.verify_tls else self.unverified
        started = time.perf_counter()
        async with (
            httpx.AsyncClient(verify=context, timeout=spec.timeout_ns / 1e9,
                              follow_redirects=spec.follow_redirects) as client,
            client.stream(spec.method, spec.url, headers=spec.headers,
                          content=spec.body) as response,
        ):
            tls_days = self._tls_days(response.extensions)
            body = await _read_text(response)
            # Rounded once, so the error message and the recorded latency agree.
            latency_ms = round((time.perf_counter() - started) * 1000, 1)
        error = judge(spec, response.status_code, body, latency_ms, tls_days)
        return ProbeResult(error is None, started_ms, response.status_code, latency_ms, error,
                           None if tls_days is None else round(tls_days, 2))

    def _tls_days(self, extensions: dict[str, Any]) -> float | None:
        stream = extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            return None
        now = datetime.fromtimestamp(self.clock() / 1e9, UTC)
        return days_until_expiry(der, now)


async def _read_text(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES].decode(response.encoding or "utf-8", "replace")


def _describe(exc: httpx.HTTPError) -> str:
    """`ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] ...`, without the noise of chains."""
    text = str(exc) or type(exc.__cause__ or exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]
