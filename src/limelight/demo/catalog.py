"""The demo shop's fixed world: services, functions, products, payment providers."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

Attr = str | int | float | bool
Attrs = dict[str, Attr]

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENVIRONMENT = "demo"
DB_HOST = "shop-db.cluster-c9akciq32.eu-west-1.rds.amazonaws.com"
CACHE_HOST = "shop-cache.x1y2z3.ng.0001.euw1.cache.amazonaws.com"
SHOP_HOST = "shop.example.com"
GATEWAY = "api-gateway"


@dataclass(frozen=True)
class Service:
    name: str
    version: str
    language: str  # telemetry.sdk.language
    runtime: str  # faas runtime, for functions


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(GATEWAY, "2.14.0", "go", ""),
        Service("catalog", "1.9.3", "python", "python3.12"),
        Service("cart", "1.4.0", "nodejs", "nodejs20.x"),
        Service("checkout", "3.8.1", "nodejs", "nodejs20.x"),
        Service("payments", "5.2.0", "python", "python3.12"),
        Service("notifications", "0.7.2", "python", "python3.12"),
    )
}

# function name -> (service, memory in MB)
FUNCTIONS: dict[str, tuple[str, int]] = {
    "catalog-list-products": ("catalog", 512),
    "catalog-get-product": ("catalog", 512),
    "cart-add-item": ("cart", 256),
    "checkout-create-order": ("checkout", 1024),
    "payments-charge": ("payments", 512),
    "notifications-send-receipt": ("notifications", 256),
}


@dataclass(frozen=True)
class Route:
    method: str
    route: str
    weight: float


ROUTES: tuple[Route, ...] = (
    Route("GET", "/products", 0.38),
    Route("GET", "/products/{id}", 0.30),
    Route("POST", "/cart", 0.17),
    Route("POST", "/checkout", 0.15),
)


@dataclass(frozen=True)
class Provider:
    name: str
    host: str
    share: float  # fraction of checkouts it handles
    median_ms: float
    outage_rate: float  # fraction of charges where every attempt times out


PROVIDERS: tuple[Provider, ...] = (
    Provider("acme", "api.acme-payments.example", 0.55, 240.0, 0.08),
    Provider("stripe", "api.stripe.example", 0.45, 170.0, 0.004),
)

# sku, name, category, price (EUR)
PRODUCTS: tuple[tuple[str, str, str, float], ...] = (
    ("sku-1001", "Espresso beans 1kg", "coffee", 24.90),
    ("sku-1002", "Filter roast 500g", "coffee", 13.50),
    ("sku-1003", "Decaf blend 250g", "coffee", 8.90),
    ("sku-1101", "Pour-over kettle", "brewing", 49.00),
    ("sku-1102", "Hand grinder", "brewing", 89.00),
    ("sku-1103", "Paper filters x100", "brewing", 5.40),
    ("sku-1104", "French press 1l", "brewing", 34.00),
    ("sku-1201", "Ceramic mug", "accessories", 14.00),
    ("sku-1202", "Travel tumbler", "accessories", 27.50),
    ("sku-1203", "Digital scale", "accessories", 39.90),
    ("sku-1301", "Matcha tin 80g", "tea", 21.00),
    ("sku-1302", "Earl grey 100g", "tea", 7.80),
)
CATEGORIES: tuple[str, ...] = tuple(sorted({p[2] for p in PRODUCTS}))
COUNTRIES: tuple[str, ...] = ("DE", "FR", "NL", "ES", "IT", "GB", "SE", "PL")
TIERS: tuple[str, ...] = ("standard", "standard", "standard", "silver", "gold")
USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
    "ShopApp/4.2.1 (Android 14; Pixel 8)",
)
AUTHORS: tuple[str, ...] = ("amara", "jonas", "priya", "mateo", "lin")


def resource_attributes(service: str, function: str | None) -> Attrs:
    """The OTel resource of a service (and of one of its functions)."""
    info = SERVICES[service]
    attrs: Attrs = {
        "service.name": service,
        "service.namespace": "shop",
        "service.version": info.version,
        "deployment.environment.name": ENVIRONMENT,
        "cloud.provider": "aws",
        "cloud.region": REGION,
        "cloud.account.id": ACCOUNT,
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": info.language,
    }
    if function is None:
        attrs["cloud.platform"] = "aws_api_gateway"
        return attrs
    memory_mb = FUNCTIONS[function][1]
    attrs.update({
        "cloud.platform": "aws_lambda",
        "faas.name": function,
        "faas.version": "$LATEST",
        "faas.max_memory": memory_mb * 1024 * 1024,
        "faas.instance": f"2024/05/01/[$LATEST]{zlib.crc32(function.encode()):08x}",
        "cloud.resource_id": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}",
        "process.runtime.name": info.runtime,
    })
    return attrs
