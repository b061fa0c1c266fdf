//! The signing guide: how to sign a request, a worked example whose
//! signature a server test checks, and a script to copy.

use leptos::prelude::*;

/// The worked example's inputs (a test in the server checks the signature).
pub const EXAMPLE_SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const EXAMPLE_TIMESTAMP: i64 = 1_767_225_600;
pub const EXAMPLE_BODY: &str = r#"{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_01jd8x2m3n4p5q6r7s8t9v0w1x","term":"monthly","quantity":1}]}"#;
pub const EXAMPLE_SIGNATURE: &str = "86683f4569944b03a8612721f806f6108bb5463dd9ac1fabb21493e979f18114";

#[component]
pub fn SigningGuide() -> impl IntoView {
    let example = format!(
        "secret    = {EXAMPLE_SECRET}\nkey       = base64-decode(secret without \"whsec_\")  # 32 bytes\ntimestamp = {EXAMPLE_TIMESTAMP}\nsigned    = \"{EXAMPLE_TIMESTAMP}.POST./api/v1/orders.{EXAMPLE_BODY}\"\nsignature = hex(HMAC-SHA256(key, signed))\n          = {EXAMPLE_SIGNATURE}\nheaders   : Flux-Timestamp: {EXAMPLE_TIMESTAMP}\n            Flux-Signature: v1={EXAMPLE_SIGNATURE}"
    );
    let shell = r#"# Bash: sign and send an order
KEY=flux_key_...            # your API key
SECRET=whsec_...            # your webhook secret
BODY='{"customer":{"external_id":"c-42"},"lines":[{"product_id":"prd_...","term":"monthly","quantity":1}]}'
TS=$(date +%s)
HEXKEY=$(printf '%s' "${SECRET#whsec_}" | base64 -d | xxd -p -c 256)
SIG=$(printf '%s' "$TS.POST./api/v1/orders.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$HEXKEY" | sed 's/^.* //')
curl -X POST "$BASE_URL/api/v1/orders" \
  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  -H "Flux-Timestamp: $TS" -H "Flux-Signature: v1=$SIG" \
  -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
  --data "$BODY""#;
    view! {
        <h2>"Signing guide"</h2>
        <ol>
            <li>"Send your key on every request: " <code>"Authorization: Bearer <key>"</code>"."</li>
            <li>"Sign every POST, PUT, PATCH and DELETE (GETs may be signed too): concatenate the unix timestamp, the method, the path with its query as sent, and the raw body, separated by dots."</li>
            <li>"HMAC-SHA256 it with your secret's key bytes (the base64 after " <code>"whsec_"</code> ", decoded), hex-encode, send as " <code>"Flux-Signature: v1=<hex>"</code> " with " <code>"Flux-Timestamp"</code> ". Clocks must agree within 300 seconds."</li>
            <li>"Send a unique " <code>"Idempotency-Key"</code> " with every order; retry with the same key and body to get the first answer again."</li>
        </ol>
        <h3>"Worked example"</h3>
        <pre>{example}</pre>
        <h3>"Copy and run"</h3>
        <pre>{shell}</pre>
        <p>"The full reference: " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
    }
}
