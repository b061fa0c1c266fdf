"""The partner API's OpenAPI document, tried as a partner generating a client
would (run by openapi/run, part of ./scripts/test).

1. GET /api/v1/openapi.json and validate it with openapi-spec-validator
   (OpenAPI 3.1): every error is printed.
2. Generate a Python client from it with openapi-python-client; a warning
   (a piece of the API it could not generate) is a failure.
3. Through that client, with the partner's key and an httpx auth that signs
   every request (signature v2, DESIGN.md "Partner API"): place an order
   (201), replay it under the same Idempotency-Key (the same order), read it
   back with GET /orders/{id} and find it in GET /orders; and an unsigned
   order is refused 401 with a problem the client parses.

Usage: check.py BASE_URL ADMIN_TOKEN WORKDIR. Prints `openapi: ...` lines
(the summary of ./scripts/test shows them); exits non-zero on any failure.
"""

import decimal
import importlib
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import httpx
from openapi_spec_validator import OpenAPIV31SpecValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "python"))
from flux_partner import set_up_partner, signed_headers  # noqa: E402

BASE, ADMIN_TOKEN, WORK = sys.argv[1], sys.argv[2], Path(sys.argv[3])
PACKAGE = "flux_partner_client"


def version(dist):
    return importlib.metadata.version(dist)


def validate(document):
    """The validator's errors, printed; how many there were."""
    errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        print(f"  invalid at {where}: {error.message}")
    return len(errors)


def generate(path):
    """The generated client's package, imported; None if the generator
    refused the document or warned."""
    config = WORK / "generator.json"
    # No post-hooks: the generated code need not be formatted to be used.
    config.write_text(json.dumps({"post_hooks": []}))
    result = subprocess.run(
        [
            Path(sys.executable).with_name("openapi-python-client"),
            "generate",
            "--path",
            path,
            "--output-path",
            WORK / PACKAGE,
            "--meta",
            "none",
            "--config",
            config,
        ],
        capture_output=True,
        text=True,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or "Warning" in output or "Error" in output:
        print("  " + output.replace("\n", "\n  "))
        return None
    sys.path.insert(0, str(WORK))
    return importlib.import_module(PACKAGE)


def set_up():
    """A partner with a product priced monthly at 10.00."""
    key, secret, products, stamp = set_up_partner(
        BASE, ADMIN_TOKEN, "client", [("client-vps", {"wholesale_monthly": "10.00"})]
    )
    return key, secret, products[0], stamp


class SignV2(httpx.Auth):
    """Signature v2 over the request exactly as httpx sends it."""

    requires_request_body = True

    def __init__(self, secret):
        self.secret = secret

    def auth_flow(self, request):
        idempotency_key = request.headers.get("Idempotency-Key", "")
        path = request.url.raw_path.decode()
        request.headers.update(signed_headers(self.secret, request.method, path, idempotency_key, request.content))
        yield request


def order_through(client_package, key, secret, product, stamp):
    """Places, replays and reads back an order through the generated client;
    returns the order id."""
    client = importlib.import_module(f"{PACKAGE}.client")
    models = importlib.import_module(f"{PACKAGE}.models")
    place_order = importlib.import_module(f"{PACKAGE}.api.orders.place_order")
    get_order = importlib.import_module(f"{PACKAGE}.api.orders.get_order")
    list_orders = importlib.import_module(f"{PACKAGE}.api.orders.list_orders")

    signed = client.AuthenticatedClient(
        base_url=f"{BASE}/api/v1", token=key, httpx_args={"auth": SignV2(secret)}, raise_on_unexpected_status=True
    )
    body = models.OrderRequest(
        customer=models.CustomerRef(external_id=f"gen-{stamp}", email=f"end-{stamp}@example.com", name="End Client"),
        lines=[models.OrderLineRequest(product_id=product, term=models.BillingTerm.MONTHLY, quantity=2)],
    )
    idempotency_key = f"generated-client-{stamp}"

    placed = place_order.sync_detailed(client=signed, body=body, idempotency_key=idempotency_key)
    assert placed.status_code == 201, f"POST /orders: {placed.status_code} {placed.content!r}"
    order = placed.parsed
    assert isinstance(order, models.Order), f"POST /orders parsed as {type(order).__name__}"
    assert len(order.service_ids) == 2, order.service_ids
    assert decimal.Decimal(order.wholesale_total) == decimal.Decimal("20"), order.wholesale_total
    assert order.customer.external_id == f"gen-{stamp}", order.customer

    replayed = place_order.sync_detailed(client=signed, body=body, idempotency_key=idempotency_key)
    assert replayed.status_code == 201, f"replayed POST /orders: {replayed.status_code}"
    assert replayed.headers.get("Idempotent-Replayed") == "true", dict(replayed.headers)
    assert replayed.parsed.id == order.id, (replayed.parsed.id, order.id)

    read = get_order.sync_detailed(id=order.id, client=signed)
    assert read.status_code == 200, f"GET /orders/{order.id}: {read.status_code} {read.content!r}"
    assert isinstance(read.parsed, models.Order), type(read.parsed).__name__
    assert (read.parsed.id, read.parsed.service_ids) == (order.id, order.service_ids), read.parsed

    listed = list_orders.sync_detailed(client=signed, customer_id=order.customer.id, limit=10)
    assert listed.status_code == 200, f"GET /orders: {listed.status_code} {listed.content!r}"
    assert [o.id for o in listed.parsed.data] == [order.id], listed.parsed
    assert all(isinstance(o, models.Order) for o in listed.parsed.data)

    unsigned = client.AuthenticatedClient(base_url=f"{BASE}/api/v1", token=key)
    refused = place_order.sync_detailed(client=unsigned, body=body, idempotency_key=f"{idempotency_key}-unsigned")
    assert refused.status_code == 401, f"unsigned POST /orders: {refused.status_code}"
    assert isinstance(refused.parsed, models.Problem), type(refused.parsed).__name__
    assert refused.parsed.code == models.ErrorCode.INVALID_SIGNATURE, refused.parsed.code
    return order.id


def main():
    response = httpx.get(f"{BASE}/api/v1/openapi.json", timeout=30)
    response.raise_for_status()
    path = WORK / "openapi.json"
    path.write_bytes(response.content)
    document = response.json()

    validator = f"openapi-spec-validator {version('openapi-spec-validator')}"
    errors = validate(document)
    if errors:
        print(f"openapi: document INVALID: {errors} errors ({validator}, OpenAPI {document.get('openapi')})")
    else:
        print(f"openapi: document valid ({validator}, OpenAPI {document.get('openapi')})")

    generator = f"openapi-python-client {version('openapi-python-client')}"
    package = generate(path)
    if package is None:
        print(f"openapi: {generator} refused the document or warned (above)")
        raise SystemExit(1)
    key, secret, product, stamp = set_up()
    try:
        order = order_through(package, key, secret, product, stamp)
    except AssertionError as failure:
        print(f"openapi: the client generated by {generator} FAILED: {failure}")
        raise SystemExit(1)
    print(f"openapi: a client generated by {generator} placed {order} signed (201), replayed it and read it back")
    if errors:
        raise SystemExit(1)


main()
