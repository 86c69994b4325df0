"""What each API route does inside the shop: functions, database calls, the payment provider."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from limelight.demo.catalog import (
    CACHE_HOST,
    DB_HOST,
    FUNCTIONS,
    PRODUCTS,
    PROVIDERS,
    REGION,
    Attrs,
    Provider,
)
from limelight.demo.records import (
    CLIENT,
    CONSUMER,
    ERROR,
    INFO,
    PRODUCER,
    SERVER,
    WARN,
    Span,
    SpanEvent,
    TraceBuilder,
)

COLD_START_RATE = 0.02
SLOW_QUERY_RATE = 0.01
TRANSIENT_TIMEOUT_RATE = 0.03  # a first attempt times out, the retry succeeds
DECLINE_RATE = 0.02
PROVIDER_TIMEOUT_MS = 3000
MAX_ATTEMPTS = 2


@dataclass
class Outcome:
    end: int
    status: int
    error: str | None = None
    provider: str | None = None


def exception_attributes(kind: str, message: str, stacktrace: str) -> Attrs:
    return {"exception.type": kind, "exception.message": message,
            "exception.stacktrace": stacktrace}


def _provider_stack(provider: str, message: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/var/task/payments/handler.py", line 48, in charge\n'
        "    receipt = client.charge(order_id, amount, currency)\n"
        f'  File "/var/task/payments/providers/{provider}.py", line 91, in charge\n'
        "    response = self._post(\"/v1/charges\", body)\n"
        '  File "/var/task/payments/providers/base.py", line 37, in _post\n'
        "    raise ProviderTimeout(f\"{self.name} did not answer within {self.timeout_ms} ms\")\n"
        f"payments.errors.ProviderTimeout: {message}"
    )


def _checkout_stack(message: str) -> str:
    return (
        f"PaymentFailedError: {message}\n"
        "    at chargeOrder (/var/task/src/payments.js:57:11)\n"
        "    at async createOrder (/var/task/src/orders.js:112:20)\n"
        "    at async Runtime.handler (/var/task/src/handler.js:24:12)"
    )


class Flows:
    """Route handlers. Times are nanoseconds from the request's start."""

    def __init__(self, rng: random.Random, faas_stats: Callable[[str], list[int]]) -> None:
        self.rng = rng
        self._faas_stats = faas_stats
        self._warm: set[str] = set()
        self.published = 0  # messages sent to the order-events queue

    def ms(self, median: float, sigma: float = 0.35) -> int:
        """A latency in nanoseconds, log-normal around `median` milliseconds."""
        return int(self.rng.lognormvariate(math.log(median), sigma) * 1e6)

    # -- building blocks ----------------------------------------------------------------------

    def invoke(self, trace: TraceBuilder, parent: Span, function: str, at: int,
               trigger: str = "http", kind: int = SERVER) -> tuple[Span, int]:
        """A function invocation span; cold starts add their init time."""
        service = FUNCTIONS[function][0]
        cold = function not in self._warm or self.rng.random() < COLD_START_RATE
        self._warm.add(function)
        span = trace.span(parent, service, function, function, kind, at, {
            "faas.trigger": trigger, "faas.invocation_id": trace.uuid(), "faas.coldstart": cold,
        })
        stats = self._faas_stats(function)
        stats[0] += 1
        at += self.ms(0.9)
        if cold:
            stats[1] += 1
            init = self.ms(420.0, 0.25)
            at += init
            trace.log(span, at, INFO, f"cold start: {function} initialised in {init / 1e6:.0f} ms",
                      {"faas.coldstart": True, "faas.init_duration_ms": round(init / 1e6, 1)})
        return span, at

    def finish(self, span: Span, at: int, error: str | None = None) -> int:
        span.end_ns = at
        if error is not None:
            span.error = error
            if span.function is not None and span.kind in (SERVER, CONSUMER):
                self._faas_stats(span.function)[2] += 1
        return at

    def call(self, trace: TraceBuilder, parent: Span, function: str,
             at: int) -> tuple[Span, Span, int]:
        """`parent` invokes another function synchronously: a client span, then the callee."""
        client = trace.span(parent, parent.service, parent.function, "Lambda.Invoke", CLIENT, at, {
            "rpc.system": "aws-api", "rpc.service": "Lambda", "rpc.method": "Invoke",
            "faas.invoked_name": function, "faas.invoked_provider": "aws",
            "faas.invoked_region": REGION,
        })
        callee, at = self.invoke(trace, client, function, at + self.ms(3.0))
        return client, callee, at

    def db(self, trace: TraceBuilder, parent: Span, at: int, operation: str, table: str,
           statement: str, median: float = 3.5) -> int:
        span = trace.span(parent, parent.service, parent.function, f"{operation} {table}", CLIENT,
                          at, {
            "db.system": "postgresql", "db.namespace": "shop", "db.operation.name": operation,
            "db.collection.name": table, "db.statement": statement,
            "server.address": DB_HOST, "server.port": 5432,
        })
        duration = self.ms(median)
        if self.rng.random() < SLOW_QUERY_RATE:
            duration += self.ms(260.0, 0.3)
            trace.log(span, at + duration, WARN,
                      f"slow query on {table}: {duration / 1e6:.0f} ms",
                      {"db.collection.name": table, "db.duration_ms": round(duration / 1e6, 1)})
        return self.finish(span, at + duration)

    def cache(self, trace: TraceBuilder, parent: Span, at: int, operation: str, key: str,
              hit: bool | None = None) -> int:
        attrs: Attrs = {
            "db.system": "redis", "db.operation.name": operation,
            "db.statement": f"{operation} {key}", "server.address": CACHE_HOST,
            "server.port": 6379,
        }
        if hit is not None:
            attrs["cache.hit"] = hit
        span = trace.span(parent, parent.service, parent.function, operation, CLIENT, at, attrs)
        return self.finish(span, at + self.ms(0.6))

    # -- routes -------------------------------------------------------------------------------

    def list_products(self, trace: TraceBuilder, root: Span, at: int) -> Outcome:
        category = self.rng.choice(sorted({p[2] for p in PRODUCTS}))
        page = self.rng.randint(1, 3)
        root.attributes["url.query"] = f"category={category}&page={page}"
        span, at = self.invoke(trace, root, "catalog-list-products", at)
        span.attributes["product.category"] = category
        at = self.db(trace, span, at, "SELECT", "products",
                     "SELECT id, sku, name, price FROM products WHERE category = $1 "
                     "ORDER BY rank LIMIT 24 OFFSET $2", median=6.0)
        found = sum(1 for p in PRODUCTS if p[2] == category)
        trace.log(span, at, INFO, f"listed {found} products in {category}",
                  {"product.category": category, "product.count": found, "page": page})
        return Outcome(self.finish(span, at + self.ms(1.2)), 200)

    def get_product(self, trace: TraceBuilder, root: Span, at: int) -> Outcome:
        sku = self.rng.choice(PRODUCTS)[0]
        missing = self.rng.random() < 0.04
        if missing:
            sku = f"sku-{self.rng.randint(2000, 2999)}"
        root.attributes["url.path"] = f"/products/{sku}"
        span, at = self.invoke(trace, root, "catalog-get-product", at)
        span.attributes["product.sku"] = sku
        hit = not missing and self.rng.random() < 0.8
        at = self.cache(trace, span, at, "GET", f"product:{sku}", hit)
        if not hit:
            at = self.db(trace, span, at, "SELECT", "products",
                         "SELECT id, sku, name, price, stock FROM products WHERE sku = $1")
            if not missing:
                at = self.cache(trace, span, at, "SET", f"product:{sku}")
        at += self.ms(0.5)
        if missing:
            trace.log(span, at, WARN, f"product {sku} not found", {"product.sku": sku})
            return Outcome(self.finish(span, at), 404)
        trace.log(span, at, INFO, f"served product {sku}", {"product.sku": sku, "cache.hit": hit})
        return Outcome(self.finish(span, at), 200)

    def add_to_cart(self, trace: TraceBuilder, root: Span, at: int) -> Outcome:
        sku = self.rng.choice(PRODUCTS)[0]
        quantity = self.rng.randint(1, 3)
        span, at = self.invoke(trace, root, "cart-add-item", at)
        span.attributes.update({"product.sku": sku, "cart.quantity": quantity})
        at = self.db(trace, span, at, "SELECT", "inventory",
                     "SELECT stock FROM inventory WHERE sku = $1 FOR SHARE")
        if self.rng.random() < 0.03:
            trace.log(span, at, WARN, f"{sku} is out of stock", {"product.sku": sku})
            return Outcome(self.finish(span, at + self.ms(0.5)), 409)
        at = self.db(trace, span, at, "INSERT", "cart_items",
                     "INSERT INTO cart_items (cart_id, sku, quantity) VALUES ($1, $2, $3) "
                     "ON CONFLICT (cart_id, sku) DO UPDATE "
                     "SET quantity = cart_items.quantity + EXCLUDED.quantity")
        trace.log(span, at, INFO, f"added {quantity} x {sku} to cart",
                  {"product.sku": sku, "cart.quantity": quantity})
        return Outcome(self.finish(span, at + self.ms(0.8)), 201)

    def checkout(self, trace: TraceBuilder, root: Span, at: int) -> Outcome:
        rng = self.rng
        lines = [(p, rng.randint(1, 3)) for p in rng.sample(PRODUCTS, rng.randint(1, 4))]
        total = round(sum(p[3] * q for p, q in lines), 2)
        provider = rng.choices(PROVIDERS, weights=[p.share for p in PROVIDERS])[0]
        order_id = trace.hex_id("ord")
        span, at = self.invoke(trace, root, "checkout-create-order", at)
        span.attributes.update({"order.id": order_id, "order.total": total,
                                "order.currency": "EUR", "order.item_count": len(lines),
                                "payment.provider": provider.name})
        at = self.db(trace, span, at, "SELECT", "cart_items",
                     "SELECT sku, quantity, price FROM cart_items WHERE cart_id = $1")
        client, payments, at = self.call(trace, span, "payments-charge", at)
        status, at = self._charge(trace, payments, at, provider, total)
        at = self.finish(client, at + self.ms(2.0), None if status < 500 else "function error")
        order = {"id": order_id, "total": total, "currency": "EUR", "item_count": len(lines),
                 "items": [{"sku": p[0], "quantity": q, "price": p[3]} for p, q in lines]}
        common = {"service": "checkout", "traceId": trace.trace_id.hex(),
                  "spanId": span.span_id.hex(), "order": order}
        payment = {"provider": provider.name}
        if status >= 500:
            message = f"payment failed: {provider.name} did not answer within " \
                      f"{PROVIDER_TIMEOUT_MS} ms"
            attrs = exception_attributes("PaymentFailedError", message, _checkout_stack(message))
            span.events.append(SpanEvent("exception", at, attrs))
            trace.log(span, at, ERROR, f"order {order_id} failed: {message}",
                      {**attrs, "order.id": order_id, "payment.provider": provider.name})
            trace.event("business", at, {**common, "message": "order payment failed",
                                         "event": "order.payment_failed", "error": message,
                                         "payment": {**payment, "status": "timeout"}})
            self.finish(span, at + self.ms(1.0), message)
            return Outcome(span.end_ns, 502, message, provider.name)
        if status == 402:
            trace.log(span, at, WARN, f"order {order_id} declined by {provider.name}",
                      {"order.id": order_id, "payment.provider": provider.name})
            trace.event("business", at, {**common, "message": "order declined",
                                         "event": "order.declined",
                                         "payment": {**payment, "status": "declined"}})
            return Outcome(self.finish(span, at + self.ms(1.0)), 402, None, provider.name)
        at = self.db(trace, span, at, "INSERT", "orders",
                     "INSERT INTO orders (id, user_id, total, currency, status) "
                     "VALUES ($1, $2, $3, $4, 'paid')")
        at = self.db(trace, span, at, "UPDATE", "inventory",
                     "UPDATE inventory SET stock = stock - $2 WHERE sku = $1")
        at = self._publish(trace, span, at, order_id)
        trace.log(span, at, INFO, f"order {order_id} placed: {total:.2f} EUR via {provider.name}",
                  {"order.id": order_id, "order.total": total, "payment.provider": provider.name})
        trace.event("business", at, {**common, "message": "order placed",
                                     "event": "order.placed",
                                     "payment": {**payment, "status": "captured"}})
        return Outcome(self.finish(span, at + self.ms(1.0)), 201, None, provider.name)

    # -- checkout internals -------------------------------------------------------------------

    def _charge(self, trace: TraceBuilder, span: Span, at: int, provider: Provider,
                total: float) -> tuple[int, int]:
        """The payments function: up to two attempts at the provider. Returns (status, time)."""
        rng = self.rng
        outage = rng.random() < provider.outage_rate
        transient = not outage and rng.random() < TRANSIENT_TIMEOUT_RATE
        declined = not outage and rng.random() < DECLINE_RATE
        span.attributes.update({"payment.provider": provider.name, "payment.amount": total,
                                "payment.currency": "EUR"})
        attempts = MAX_ATTEMPTS if outage or transient else 1
        for attempt in range(1, attempts + 1):
            timed_out = outage or (transient and attempt == 1)
            at = self._provider_call(trace, span, at, provider, attempt, timed_out, declined)
            if timed_out and attempt < MAX_ATTEMPTS:
                trace.log(span, at, WARN,
                          f"{provider.name} timed out after {PROVIDER_TIMEOUT_MS} ms; retrying "
                          f"(attempt {attempt + 1} of {MAX_ATTEMPTS})",
                          {"payment.provider": provider.name, "payment.attempt": attempt + 1,
                           "retry.backoff_ms": 100})
                at += self.ms(100.0, 0.1)
        span.attributes["payment.attempts"] = attempts
        if outage:
            message = f"{provider.name} did not answer within {PROVIDER_TIMEOUT_MS} ms"
            attrs = exception_attributes("payments.errors.ProviderTimeout", message,
                                         _provider_stack(provider.name, message))
            span.events.append(SpanEvent("exception", at, attrs))
            trace.log(span, at, ERROR, f"charge failed after {attempts} attempts: {message}",
                      {**attrs, "payment.provider": provider.name})
            self.finish(span, at + self.ms(0.8), message)
            return 504, span.end_ns
        if declined:
            trace.log(span, at, WARN, f"card declined by {provider.name}",
                      {"payment.provider": provider.name, "payment.decline_code": "do_not_honor"})
            return 402, self.finish(span, at + self.ms(0.8))
        trace.log(span, at, INFO, f"charged {total:.2f} EUR via {provider.name}",
                  {"payment.provider": provider.name, "payment.amount": total})
        return 200, self.finish(span, at + self.ms(0.8))

    def _provider_call(self, trace: TraceBuilder, parent: Span, at: int, provider: Provider,
                       attempt: int, timed_out: bool, declined: bool) -> int:
        url = f"https://{provider.host}/v1/charges"
        span = trace.span(parent, parent.service, parent.function, "POST", CLIENT, at, {
            "http.request.method": "POST", "url.full": url, "server.address": provider.host,
            "server.port": 443, "payment.provider": provider.name, "payment.attempt": attempt,
        })
        if attempt > 1:
            span.attributes["http.request.resend_count"] = attempt - 1
        if timed_out:
            end = at + PROVIDER_TIMEOUT_MS * 1_000_000 + self.ms(2.0)
            message = (f"HTTPSConnectionPool(host='{provider.host}', port=443): "
                       f"Read timed out. (read timeout={PROVIDER_TIMEOUT_MS / 1000:g})")
            span.attributes["error.type"] = "timeout"
            span.events.append(SpanEvent("exception", end, exception_attributes(
                "requests.exceptions.ReadTimeout", message,
                f"requests.exceptions.ReadTimeout: {message}")))
            return self.finish(span, end, f"timeout after {PROVIDER_TIMEOUT_MS} ms")
        span.attributes["http.response.status_code"] = 402 if declined else 200
        return self.finish(span, at + self.ms(provider.median_ms, 0.3))

    def _publish(self, trace: TraceBuilder, parent: Span, at: int, order_id: str) -> int:
        """Queue a receipt; the notifications function picks it up a little later."""
        messaging: Attrs = {"messaging.system": "aws_sqs",
                            "messaging.destination.name": "order-events"}
        producer = trace.span(parent, parent.service, parent.function, "order-events publish",
                              PRODUCER, at, {**messaging, "messaging.operation.type": "publish",
                                             "messaging.message.id": trace.uuid()})
        end = self.finish(producer, at + self.ms(6.0))
        self.published += 1
        consumer, t = self.invoke(trace, producer, "notifications-send-receipt",
                                  end + self.ms(120.0, 0.6), trigger="pubsub", kind=CONSUMER)
        consumer.attributes.update({**messaging, "messaging.operation.type": "process",
                                    "order.id": order_id})
        t = self.db(trace, consumer, t, "SELECT", "orders",
                    "SELECT o.id, o.total, u.email FROM orders o JOIN users u ON u.id = o.user_id "
                    "WHERE o.id = $1")
        mail = trace.span(consumer, consumer.service, consumer.function, "POST", CLIENT, t, {
            "http.request.method": "POST", "url.full": "https://api.mailer.example/v3/send",
            "server.address": "api.mailer.example", "server.port": 443,
            "http.response.status_code": 202,
        })
        t = self.finish(mail, t + self.ms(90.0))
        trace.log(consumer, t, INFO, f"receipt for {order_id} sent", {"order.id": order_id})
        self.finish(consumer, t + self.ms(1.0))
        return end

