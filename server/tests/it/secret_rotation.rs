//! Rotating a reseller's secret retires the old one at once: requests
//! signed with it are refused, the new one signs requests, and the next
//! webhook verifies with the new secret only. Through the admin API, the
//! portal, and (PostgreSQL) on the instance that did not rotate it.

use crate::helpers::{PartnerClient, Received, Receiver, TestApp, eventually, order_body, spawn_app};
use crate::webhooks::{partner as webhook_partner, partner_of as webhook_partner_of};
use app::api_access::server_fns::RotateWebhookSecret;
use serde_json::{Value, json};

fn secret_bytes(secret: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("a whsec_ secret")
}

/// The same partner and key, signing with `secret`, talking to `app`.
fn signing_with(partner: &PartnerClient, app: &TestApp, secret: &str) -> PartnerClient {
    PartnerClient::new(
        app.url(""),
        partner.key.clone(),
        secret_bytes(secret),
        partner.reseller_id.clone(),
    )
}

fn verifies(secret: &str, r: &Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .expect("secret parses")
        .verify(r.body.as_bytes(), &r.headers)
        .is_ok()
}

/// After a rotation from `old` to `new`, as seen by `app`: the old secret
/// is refused, the new one places an order, whose webhook verifies with the
/// new secret only.
async fn only_the_new_secret_works(
    app: &TestApp,
    partner: &PartnerClient,
    product: &str,
    receiver: &mut Receiver,
    old: &str,
    new: &str,
) {
    assert_ne!(old, new);
    let stale = signing_with(partner, app, old);
    let refused = stale.order(&order_body("c-old", product, "monthly", 1)).await;
    assert_eq!(
        (refused.status, refused.code()),
        (401, "invalid_signature"),
        "{}",
        refused.body
    );
    let fresh = signing_with(partner, app, new);
    let placed = fresh.order(&order_body("c-new", product, "monthly", 1)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    let order_id = placed.body["id"].as_str().unwrap().to_owned();
    // Skip what was on its way before the rotation; this order's event is
    // signed with the new secret, not the old.
    let mut created = None;
    while let Some(r) = receiver.next(20).await {
        let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
        if body["type"] == "order.created" && body["data"]["id"] == order_id.as_str() {
            created = Some(r);
            break;
        }
    }
    let created = created.expect("the new order's order.created arrives");
    assert!(verifies(new, &created), "verifies with the new secret");
    assert!(!verifies(old, &created), "and no longer with the old one");
}

/// Rotates the reseller's secret through the admin API: the new secret.
async fn rotate_through_admin(admin: &crate::helpers::Admin, reseller: &str) -> String {
    let (status, rotated) = admin
        .post(&format!("/resellers/{reseller}/webhook/rotate-secret"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    rotated["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_secret_rotated_through_the_admin_api_retires_the_old_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, old, product) = webhook_partner(&app.url(""), &admin, &receiver, "rot-admin@example.com").await;
    let new = rotate_through_admin(&admin, &partner.reseller_id).await;
    let new = new.as_str();
    only_the_new_secret_works(&app, &partner, &product, &mut receiver, &old, new).await;
}

#[tokio::test]
async fn a_secret_rotated_in_the_portal_retires_the_old_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (client, reseller) = app.active_client("rot-portal@example.com").await;
    // The portal accepts public https URLs only: the test's receiver is
    // set through the admin API, as an operator may.
    let (partner, old, product) = webhook_partner_of(&app.url(""), &admin, &receiver, &reseller, "vps-rot").await;
    let response = app.call::<RotateWebhookSecret>(&client, &[("confirm", "on")]).await;
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap();
    only_the_new_secret_works(&app, &partner, &product, &mut receiver, &old, new).await;
}

#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn a_secret_rotated_on_one_instance_is_retired_on_the_other() {
    crate::helpers::require_postgres();
    let (a, b) = crate::helpers::spawn_pair_with(|_| {}).await;
    let admin = a.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, old, product) = webhook_partner(&b.url(""), &admin, &receiver, "rot-pair@example.com").await;
    // B has verified (and cached) the old secret before the rotation (a
    // signed GET: unsigned reads use no secret).
    assert_eq!(partner.send("GET", "/me", None, true, &[]).await.status, 200);
    let new = rotate_through_admin(&admin, &partner.reseller_id).await;
    let new = new.as_str();
    // B hears of the change (within a second, see `instances`).
    let stale = signing_with(&partner, &b, &old);
    let heard = eventually(5, || async {
        (stale.send("GET", "/me", None, true, &[]).await.status == 401).then_some(())
    })
    .await;
    assert!(heard.is_some(), "the other instance refuses the old secret");
    only_the_new_secret_works(&b, &partner, &product, &mut receiver, &old, new).await;
}
