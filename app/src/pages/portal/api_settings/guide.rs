//! `/portal/api-settings/guide`: how to sign a request, a worked example
//! whose signature a server test checks, and a script to copy.

use leptos::prelude::*;

/// The worked example's inputs (a test in the server checks the signature).
pub const EXAMPLE_SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const EXAMPLE_TIMESTAMP: i64 = 1_767_225_600;
pub const EXAMPLE_BODY: &str = r#"{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_01jd8x2m3n4p5q6r7s8t9v0w1x","term":"monthly","quantity":1}]}"#;
pub const EXAMPLE_IDEMPOTENCY_KEY: &str = "5f0c7a52-6c1e-4f7b-9a39-3f0f8f6d2b11";
pub const EXAMPLE_SIGNATURE: &str = "483b6451c1afc17561803b267910ca9f21de26619ef2ebddd6023b235a5778d5";

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
        <p>"The full reference: " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
    }
}
