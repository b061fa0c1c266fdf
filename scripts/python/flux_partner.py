"""What the Python tools of ./scripts/test share (openapi/check.py and
fuzz/partner_api.py): setting up a partner through the admin API, and the
partner's request signature. Standard library only, so each tool's venv
needs nothing more for it.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request


def signature_v2(secret, timestamp, method, path_and_query, idempotency_key, body):
    """`Flux-Signature` for a request (DESIGN.md "Partner API"): v2 signs
    `<timestamp>.<METHOD>.<path and query>.<Idempotency-Key>.<raw body>`,
    the key empty on requests without one."""
    signed = f"{timestamp}.{method}.{path_and_query}.{idempotency_key}.".encode() + body
    return "v2=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def signed_headers(secret, method, path_and_query, idempotency_key, body):
    """The two headers a signed request adds, for now."""
    timestamp = str(int(time.time()))
    return {
        "Flux-Timestamp": timestamp,
        "Flux-Signature": signature_v2(secret, timestamp, method, path_and_query, idempotency_key, body),
    }


class Admin:
    """The admin API for set-up: any answer above 299 stops the tool."""

    def __init__(self, base, token):
        self.base, self.token = base, token

    def __call__(self, method, path, body=None):
        request = urllib.request.Request(
            f"{self.base}/api/admin/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as refused:
            raise SystemExit(f"set-up {method} {path}: {refused.code} {refused.read().decode()}")
        return json.loads(text) if text else None


def set_up_partner(base, admin_token, name, products, rate_limit=None):
    """An active reseller named `name` with one product per `(slug, price
    row)` in `products`, a webhook secret (the signing key) and an orders
    key. Returns the key, the secret's bytes, the product ids and the stamp
    that makes the names unique."""
    admin = Admin(base, admin_token)
    stamp = str(int(time.time() * 1000))
    reseller = admin(
        "POST", "/resellers", {"email": f"{name}-{stamp}@example.com", "company_name": f"{name} {stamp}"}
    )["id"]
    admin("POST", f"/resellers/{reseller}/approve", {})
    if rate_limit is not None:
        admin("PATCH", f"/resellers/{reseller}", {"rate_limit": rate_limit})
    ids = []
    for slug, row in products:
        product = admin(
            "POST",
            "/products",
            {"name": slug, "slug": f"{slug}-{stamp}", "kind": "vps", "retail_monthly": "12.00"},
        )["id"]
        admin("PUT", f"/resellers/{reseller}/products/{product}", row)
        ids.append(product)
    secret = admin("PUT", f"/resellers/{reseller}/webhook", {"url": "http://127.0.0.1:9/hooks"})["secret"]
    key = admin("POST", f"/resellers/{reseller}/api-keys", {"scope": "orders"})["key"]
    return key, base64.b64decode(secret.removeprefix("whsec_")), ids, stamp
