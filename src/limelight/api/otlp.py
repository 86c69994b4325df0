"""OTLP/HTTP endpoints: /v1/traces, /v1/logs, /v1/metrics."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import media_type, read_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import (
    BadRequest,
    LimelightError,
    Overloaded,
    Unavailable,
)
from limelight.ingest.otlp.common import Decoder, Target, decode_request
from limelight.ingest.otlp.logs import decode_logs
from limelight.ingest.otlp.metrics import decode_metrics
from limelight.ingest.otlp.traces import decode_traces
from limelight.model import check_dataset_name
from limelight.runtime import Runtime

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
SUPPORTED = (PROTOBUF, JSON)

# Bodies at least this big are decoded in the ingest queue's worker processes; smaller
# ones cost less to decode here than to send there and back.
OFFLOAD_MIN_BYTES = 64 * 1024


def _endpoint(
    decoder: Decoder, default_dataset: str, response_type: type[Message], rejected_field: str
) -> Callable[[Request], object]:
    @requires(Scope.INGEST, refuse=_refuse)
    async def export(request: Request) -> Response:
        content_type = media_type(request)
        runtime: Runtime = request.app.state.limelight
        if content_type not in SUPPORTED:
            return _status(415, f"unsupported content type {content_type!r}; "
                                f"send {' or '.join(SUPPORTED)}", JSON)
        try:
            body = await read_body(request, runtime.settings.max_request_bytes)
            target = _target(request, default_dataset)
            if len(body) >= OFFLOAD_MIN_BYTES:
                prepare = runtime.store.preparer(target.dataset)
                decoded = await runtime.queue.offload(
                    decode_request, decoder, body, content_type, target, prepare
                )
            else:
                decoded = decode_request(decoder, body, content_type, target)
            await runtime.queue.submit([decoded.batch])
        except LimelightError as exc:
            headers = {}
            if isinstance(exc, Overloaded | Unavailable):
                headers["Retry-After"] = str(exc.retry_after_s)
            return _status(exc.status, str(exc), content_type, headers)
        response = response_type()
        if decoded.rejected:
            partial = response.partial_success
            setattr(partial, rejected_field, decoded.rejected)
            partial.error_message = decoded.error
        return _message(response, content_type)

    return export


def _target(request: Request, default_dataset: str) -> Target:
    dataset = request.headers.get("x-limelight-dataset") or default_dataset
    try:
        check_dataset_name(dataset)
    except ValueError as exc:
        raise BadRequest(f"x-limelight-dataset: {exc}") from exc
    return Target(dataset, request.headers.get("x-limelight-namespace") or None)


def _message(message: Message, content_type: str, status: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    if content_type == JSON:
        body = msgspec.json.encode(json_format.MessageToDict(message))
        return Response(body, status, headers, media_type=JSON)
    return Response(message.SerializeToString(), status, headers, media_type=PROTOBUF)


def _status(status: int, message: str, content_type: str,
            headers: dict[str, str] | None = None) -> Response:
    """Errors as google.rpc.Status, in the request's encoding (OTLP/HTTP spec)."""
    body = status_pb2.Status(code=_GRPC_CODES.get(status, 2), message=message)
    return _message(body, content_type if content_type in SUPPORTED else JSON, status, headers)


def _refuse(request: Request, status: int, message: str) -> Response:
    return _status(status, message, media_type(request))


# HTTP status -> the gRPC code the OTLP spec pairs with it.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}

routes = [
    Route("/v1/traces", _endpoint(decode_traces, "otel", ExportTraceServiceResponse,
                                  "rejected_spans"), methods=["POST"]),
    Route("/v1/logs", _endpoint(decode_logs, "logs", ExportLogsServiceResponse,
                                "rejected_log_records"), methods=["POST"]),
    Route("/v1/metrics", _endpoint(decode_metrics, "metrics", ExportMetricsServiceResponse,
                                   "rejected_data_points"), methods=["POST"]),
]
