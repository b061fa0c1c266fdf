//! `/portal/api-settings/guide`: how to sign a request, a worked example
//! whose signature a server test checks, a script to copy, and signed
//! examples of a change and a cancellation.

use leptos::prelude::*;

/// The worked example's inputs (a test in the server checks the signature).
pub const EXAMPLE_SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const EXAMPLE_TIMESTAMP: i64 = 1_767_225_600;
pub const EXAMPLE_BODY: &str = r#"{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_01jd8x2m3n4p5q6r7s8t9v0w1x","term":"monthly","quantity":1}]}"#;
pub const EXAMPLE_IDEMPOTENCY_KEY: &str = "5f0c7a52-6c1e-4f7b-9a39-3f0f8f6d2b11";
pub const EXAMPLE_SIGNATURE: &str = "483b6451c1afc17561803b267910ca9f21de26619ef2ebddd6023b235a5778d5";

/// A signed request on a service, shown in the guide (the same secret and
/// timestamp as the order's example; a server test checks each signature).
pub struct ServiceExample {
    pub path: &'static str,
    pub idempotency_key: &'static str,
    pub body: &'static str,
    pub signature: &'static str,
}

/// An upgrade to another product (`POST .../change`).
pub const CHANGE_EXAMPLE: ServiceExample = ServiceExample {
    path: "/api/v1/services/svc_01jd8x2m3n4p5q6r7s8t9v0w1x/change",
    idempotency_key: "9b2e4c1a-7d3f-4e8b-a6c5-0f1d2e3c4b5a",
    body: r#"{"product_id":"prd_01jd8x2m3n4p5q6r7s8t9v0w1y"}"#,
    signature: "ba93cf20f1f0de4bd91446939643c1651cc549e34133fb621aa08580885feb14",
};

/// A cancellation at the end of the term (`POST .../cancel`).
pub const CANCEL_EXAMPLE: ServiceExample = ServiceExample {
    path: "/api/v1/services/svc_01jd8x2m3n4p5q6r7s8t9v0w1x/cancel",
    idempotency_key: "3c8d1f0e-2a4b-4c6d-8e9f-1a2b3c4d5e6f",
    body: r#"{"when":"end_of_term","reason":"Customer left"}"#,
    signature: "45861e6b8943ad525ecae6d0ee0bc88561490a9bf7fdd4b96cd8c2e61b558f9f",
};

fn signed_example(e: &ServiceExample) -> String {
    format!(
        "signed    = \"{EXAMPLE_TIMESTAMP}.POST.{}.{}.{}\"\nsignature = {}\ncurl -X POST \"$BASE_URL{}\" \\\n  -H \"Authorization: Bearer $KEY\" -H \"Content-Type: application/json\" \\\n  -H \"Flux-Timestamp: {EXAMPLE_TIMESTAMP}\" -H \"Idempotency-Key: {}\" \\\n  -H \"Flux-Signature: v2={}\" \\\n  --data '{}'",
        e.path, e.idempotency_key, e.body, e.signature, e.path, e.idempotency_key, e.signature, e.body
    )
}

#[component]
pub fn GuideTab() -> impl IntoView {
    let example = format!(
        "secret    = {EXAMPLE_SECRET}\nkey       = base64-decode(secret without \"whsec_\")  # 32 bytes\ntimestamp = {EXAMPLE_TIMESTAMP}\nidem. key = {EXAMPLE_IDEMPOTENCY_KEY}\nsigned    = \"{EXAMPLE_TIMESTAMP}.POST./api/v1/orders.{EXAMPLE_IDEMPOTENCY_KEY}.{EXAMPLE_BODY}\"\nsignature = hex(HMAC-SHA256(key, signed))\n          = {EXAMPLE_SIGNATURE}\nheaders   : Flux-Timestamp: {EXAMPLE_TIMESTAMP}\n            Idempotency-Key: {EXAMPLE_IDEMPOTENCY_KEY}\n            Flux-Signature: v2={EXAMPLE_SIGNATURE}"
    );
    let shell = r#"# Bash: sign and send an order
KEY=flux_key_...            # your API key
SECRET=whsec_...            # your webhook secret
BODY='{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_...","term":"monthly","quantity":1}]}'
TS=$(date +%s)
IDEM=$(cat /proc/sys/kernel/random/uuid)   # keep it to retry this exact order
HEXKEY=$(printf '%s' "${SECRET#whsec_}" | base64 -d | xxd -p -c 256)
SIG=$(printf '%s' "$TS.POST./api/v1/orders.$IDEM.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$HEXKEY" | sed 's/^.* //')
curl -X POST "$BASE_URL/api/v1/orders" \
  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  -H "Flux-Timestamp: $TS" -H "Idempotency-Key: $IDEM" -H "Flux-Signature: v2=$SIG" \
  --data "$BODY""#;
    view! {
        <h2>"Signing a request"</h2>
        <ol>
            <li>"Send your key on every request: " <code>"Authorization: Bearer <key>"</code>"."</li>
            <li>"Send a unique " <code>"Idempotency-Key"</code> " with every POST, PUT, PATCH and DELETE; retry with the same key and body to get the first answer again."</li>
            <li>"Sign every POST, PUT, PATCH and DELETE (GETs may be signed too): concatenate the unix timestamp, the method, the path with its query as sent, the Idempotency-Key (empty on a GET without one) and the raw body, separated by dots."</li>
            <li>"HMAC-SHA256 it with your secret's key bytes (the base64 after " <code>"whsec_"</code> ", decoded), hex-encode, send as " <code>"Flux-Signature: v2=<hex>"</code> " with " <code>"Flux-Timestamp"</code> ". Clocks must agree within 300 seconds. While you rotate your secret, send up to four " <code>"v2="</code> " signatures, comma-separated."</li>
        </ol>
        <h3>"Worked example"</h3>
        <pre>{example}</pre>
        <h3>"Copy and run"</h3>
        <pre>{shell}</pre>
        <h2>"After an order: services come to life"</h2>
        <p>
            "Each ordered unit is a service, " <code>"pending"</code> " until it is set up. For products the operator provisions automatically, "
            <code>"GET /api/v1/services/{id}"</code> " shows " <code>"provisioning"</code>
            " (" <code>"queued"</code> ", " <code>"running"</code> ", " <code>"done"</code> ", " <code>"failed"</code>
            ", with the action: " <code>"create"</code> ", " <code>"suspend"</code> ", " <code>"unsuspend"</code> ", "
            <code>"terminate"</code> ") and, once created, " <code>"details"</code>
            " such as the hostname and IP address to pass on to your customer. The " <code>"service.activated"</code>
            " webhook carries the same details, so you need not poll. A " <code>"failed"</code>
            " action is already with the operator."
        </p>
        <h2>"Changing and cancelling a service"</h2>
        <p>
            "Preview a change first: " <code>"POST /api/v1/services/{id}/change/preview"</code> " with "
            <code>"{\"product_id\": \"prd_...\"}"</code> ", " <code>"{\"term\": \"annual\"}"</code>
            " or both answers what the change would do and writes nothing. An upgrade (the same term, a higher price) applies at once: a "
            <code>"credit"</code> " for the unused part of this term and a " <code>"charge"</code>
            " for the rest of it at the new price, prorated by the second and rounded to 4 decimal places; " <code>"net"</code>
            " is what you pay now and " <code>"admitted"</code> " whether your account covers it (402 " <code>"insufficient_funds"</code>
            " otherwise). A downgrade or a new term waits for the next renewal as " <code>"scheduled_change"</code>
            " (" <code>"DELETE /api/v1/services/{id}/change"</code> " withdraws it). " <code>"POST /api/v1/services/{id}/change"</code>
            " makes the change, with the figures the preview showed; the " <code>"service.changed"</code> " and "
            <code>"service.change_scheduled"</code> " webhooks follow."
        </p>
        <h3>"Upgrade a service (signed)"</h3>
        <pre data-testid="guide-change">{signed_example(&CHANGE_EXAMPLE)}</pre>
        <p>
            <code>"POST /api/v1/services/{id}/cancel"</code> " with " <code>"{\"when\": \"end_of_term\"}"</code>
            " (the default) stops the renewal: the service ends at " <code>"cancel_at"</code>
            ", its renewal date, uncharged; " <code>"DELETE /api/v1/services/{id}/cancel"</code> " withdraws it before then. "
            <code>"{\"when\": \"immediately\"}"</code> " ends it now and credits the unused part of the term back ("
            <code>"refund"</code> "; setup fees are not refunded)."
        </p>
        <h3>"Cancel a service at the end of its term (signed)"</h3>
        <pre data-testid="guide-cancel">{signed_example(&CANCEL_EXAMPLE)}</pre>
        <h2>"Prices over time"</h2>
        <p data-testid="guide-prices">
            "Your operator schedules price changes ahead. Each product in " <code>"GET /api/v1/products"</code>
            " carries " <code>"upcoming"</code> ": the scheduled versions with their " <code>"effective_from"</code>
            ", prices and setup fee, and " <code>"existing_services"</code> " (" <code>"keep"</code>
            ": services you sold keep their price; " <code>"at_renewal"</code>
            ": from that date each one's next renewal charges the new price, announced at least the notice period ahead). "
            <code>"GET /api/v1/products?as_of=2027-01-01T00:00:00Z"</code> " answers the prices in effect at that time. "
            "A service's " <code>"next_renewal_price"</code> " says what its next renewal charges. The "
            <code>"price_book.changed"</code> " webhook follows each step (" <code>"scheduled"</code> ", "
            <code>"changed"</code> ", " <code>"withdrawn"</code> ", " <code>"took_effect"</code> "), and "
            <code>"service.price_changed"</code> " each service a renewal moves, so your storefront can follow."
        </p>
        <pre data-testid="guide-as-of">
            "curl -H \"Authorization: Bearer $FLUX_KEY\" \\\n  \"$FLUX_URL/api/v1/products?as_of=2027-01-01T00:00:00Z\""
        </pre>
        <p>"The full reference: " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
    }
}
