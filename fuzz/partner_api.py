"""Fuzzes the partner API from the OpenAPI document it serves.

Every operation of /api/v1/openapi.json is called with generated inputs
(valid and invalid), authenticated and signed the way partners do
(API key; Flux-Timestamp + Flux-Signature over the exact bytes sent).
Each response must be:

- never a 5xx;
- a 4xx: application/problem+json with a `code` the document lists;
- a 2xx: JSON matching the documented schema, with a documented status.

Usage: partner_api.py BASE_URL ADMIN_TOKEN EXAMPLES (run by fuzz/run).
Prints how many requests were made per operation and what failed.
"""

import collections
import json
import sys
import traceback
from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "python"))
from flux_partner import Admin, set_up_partner, signed_headers  # noqa: E402

BASE, ADMIN_TOKEN, EXAMPLES = sys.argv[1], sys.argv[2], int(sys.argv[3])
DEBUG = bool(__import__("os").environ.get("FUZZ_DEBUG"))


def set_up():
    """A partner with a generous rate limit, a priced and a capped product,
    and active services for the operations on a service to act on."""
    products = [
        ("fuzz-vps", {"wholesale_monthly": "10.00", "wholesale_hourly": "0.0125"}),
        ("fuzz-metal", {"wholesale_annual": "900.00", "max_quantity": 5}),
    ]
    key, secret, ids, _ = set_up_partner(BASE, ADMIN_TOKEN, "fuzz", products, rate_limit=1_000_000)
    body = json.dumps(
        {"customer": {"external_id": "fuzz-1"}, "lines": [{"product_id": ids[0], "term": "monthly", "quantity": 8}]}
    ).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": "fuzz-order"}
    headers.update(signed_headers(secret, "POST", "/api/v1/orders", "fuzz-order", body))
    order = requests.post(f"{BASE}/api/v1/orders", data=body, headers=headers, timeout=30)
    assert order.status_code == 201, order.text
    services = order.json()["service_ids"]
    admin = Admin(BASE, ADMIN_TOKEN)
    for service in services:
        admin("POST", f"/services/{service}/activate", {})
    # A scheduled rise for services already sold: `upcoming` on products and
    # `next_renewal_price` on services have something to say.
    me = requests.get(f"{BASE}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert me.status_code == 200, me.text
    reseller = me.json()["id"]
    admin(
        "PUT",
        f"/resellers/{reseller}/products/{ids[0]}",
        {"wholesale_monthly": "11.00", "wholesale_hourly": "0.0130", "effective_from": "2030-01-01T00:00:00Z",
         "existing_services": "at_renewal"},
    )
    return key, secret, ids, services


class Signed(requests.auth.AuthBase):
    """The partner's key and signature, over the request exactly as it goes out."""

    def __init__(self, key, secret):
        self.key, self.secret = key, secret
        # Set per operation: generated Idempotency-Keys repeat across
        # operations (the same "0" for an order and a cancellation), and a
        # key reused for another request is refused; each operation's keys
        # are its own.
        self.tag = ""

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.key}"
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        idempotency_key = request.headers.get("Idempotency-Key", "")
        if idempotency_key:
            idempotency_key = self.tag + idempotency_key
            request.headers["Idempotency-Key"] = idempotency_key
        request.headers.update(signed_headers(self.secret, request.method, request.path_url, idempotency_key, body))
        return request


KEY, SECRET, PRODUCTS, SERVICES = set_up()
AUTH = Signed(KEY, SECRET)
DOCUMENT = requests.get(f"{BASE}/api/v1/openapi.json", timeout=30).json()
CODES = set(DOCUMENT["components"]["schemas"]["ErrorCode"]["enum"])
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
SCHEMA.config.update(base_url=f"{BASE}/api/v1")

calls = collections.Counter()
statuses = collections.Counter()
codes = collections.Counter()
succeeded = collections.Counter()  # 2xx answers per operation
authenticated = collections.Counter()  # refusals past authentication (not 401) per operation
failures = []


def problem_json(response):
    """4xx: problem+json with a documented code."""
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), f"{response.status_code} as {content_type}"
        body = json.loads(response.content)
        assert body.get("code") in CODES, f"code {body.get('code')!r} is not documented"
        assert body.get("status") == response.status_code, "problem status differs from the HTTP status"


def with_real_products(case, n):
    """Random product ids never match a price book row, so most generated
    orders would stop at `product_not_available`: point every other line
    of a well-formed body at a product this reseller is offered. And every
    eighth case is an order that must be placed (a real product and term,
    a key of its own): generated keys repeat, and a run that placed no
    order would prove little about the success path."""
    if n % 8 == 0 and isinstance(case.body, dict):
        case.body = {
            "customer": {"external_id": f"fuzz-{n}"},
            "lines": [{"product_id": PRODUCTS[0], "term": "monthly", "quantity": 1 + n % 3}],
        }
        case.headers = {**(case.headers or {}), "Idempotency-Key": f"fuzz-placed-{n}"}
        return
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("lines"), list):
        for i, line in enumerate(body["lines"]):
            if isinstance(line, dict) and "product_id" in line and i % 2 == 0:
                line["product_id"] = PRODUCTS[i // 2 % len(PRODUCTS)]


def with_real_services(case, n):
    """Generated service ids are never the partner's: every other case on a
    service names one it holds (cancelled, changed and withdrawn at random
    as the cases go), so the handlers' rules run, not only the 404."""
    if "id" in (case.path_parameters or {}) and "/services/" in case.operation.path and n % 2 == 0:
        case.path_parameters["id"] = SERVICES[n // 2 % len(SERVICES)]
    if isinstance(case.body, dict) and "product_id" in case.body and n % 4 == 0:
        case.body["product_id"] = PRODUCTS[n // 4 % len(PRODUCTS)]


def run(operation):
    label = f"{operation.method.upper()} {operation.path}"
    AUTH.tag = f"{len(calls)}-"
    session = requests.Session()
    # Valid inputs and invalid ones, half and half.
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def test(case):
        if label == "POST /orders":
            with_real_products(case, calls[label])
        with_real_services(case, calls[label])
        response = case.call(session=session, auth=AUTH, timeout=30)
        calls[label] += 1
        statuses[response.status_code] += 1
        if response.status_code < 300:
            succeeded[label] += 1
        elif response.status_code != 401:
            authenticated[label] += 1
        if response.status_code >= 400:
            problem = json.loads(response.content)
            codes[problem.get("code")] += 1
            if DEBUG:
                print(label, response.status_code, problem.get("detail"))
        problem_json(response)
        case.validate_response(
            response,
            checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        )

    try:
        test()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # falsifying examples (an exception group): report, go on
        failures.append((label, "".join(traceback.format_exception_only(type(exc), exc)).strip()))


for result in SCHEMA.get_all_operations():
    run(result.ok())

# A run that was refused throughout (a broken signature, a disabled key) would
# find no server error and prove nothing: each operation must have got
# through. One that names no object must succeed at least once; one that
# names an object by id (generated, so mostly unknown) must at least reach
# its handler, past authentication.
for label in calls:
    if succeeded[label]:
        continue
    if "{" in label and authenticated[label]:
        continue
    failures.append((label, f"no answer got past authentication and validation in {calls[label]} calls"))

total = sum(calls.values())
print(f"fuzz: {total} requests over {len(calls)} operations ({EXAMPLES} examples each at most)")
for label, n in sorted(calls.items()):
    print(f"  {n:5d}  {label}")
print("  by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
print("  refusals by code: " + ", ".join(f"{k}: {v}" for k, v in codes.most_common()))
for label, failure in failures:
    print(f"FAILED {label}:\n{failure}\n")
if failures:
    raise SystemExit(f"fuzz: {len(failures)} operation(s) failed")
print("fuzz: no server errors, every refusal problem+json with a documented code, every success as documented")
