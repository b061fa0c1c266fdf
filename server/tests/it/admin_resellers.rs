//! The reseller lifecycle through the admin API: the whole transition
//! table, audit entries, reasons, concurrency, tokens, lists.

use crate::helpers::{browser, spawn_app};
use serde_json::json;

const STATES: [&str; 4] = ["pending", "active", "suspended", "terminated"];
const ACTIONS: [&str; 4] = ["approve", "suspend", "reactivate", "terminate"];

fn expected(from: &str, action: &str) -> Option<&'static str> {
    match (from, action) {
        ("pending", "approve") => Some("active"),
        ("pending", "terminate") => Some("terminated"),
        ("active", "suspend") => Some("suspended"),
        ("active", "terminate") => Some("terminated"),
        ("suspended", "reactivate") => Some("active"),
        ("suspended", "terminate") => Some("terminated"),
        _ => None,
    }
}

#[tokio::test]
async fn every_pair_of_state_and_action() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for from in STATES {
        for action in ACTIONS {
            let id = admin.reseller(&format!("{from}-{action}@example.com"), from).await;
            let (_, before) = admin.get(&format!("/audit-log?subject_id={id}")).await;
            let (status, body) = admin
                .post(&format!("/resellers/{id}/{action}"), json!({ "reason": "because" }))
                .await;
            let (_, after) = admin.get(&format!("/audit-log?subject_id={id}")).await;
            let (_, now) = admin.get(&format!("/resellers/{id}")).await;
            match expected(from, action) {
                Some(to) => {
                    assert_eq!(status, 200, "{from} {action}: {body}");
                    assert_eq!(body["status"], to);
                    assert_eq!(now["status"], to);
                    let entry = &after["data"][0];
                    assert_eq!(entry["action"], format!("reseller.{action}"));
                    assert_eq!(entry["from_status"], from);
                    assert_eq!(entry["to_status"], to);
                    assert_eq!(entry["actor_kind"], "admin_token");
                    assert_eq!(entry["actor_name"], "admin token `tests`");
                }
                None => {
                    assert_eq!(status, 409, "{from} {action}: {body}");
                    assert_eq!(body["code"], "invalid_transition");
                    assert_eq!(body["status"], 409);
                    assert_eq!(now["status"], from, "a refused transition changes nothing");
                    assert_eq!(before["data"], after["data"], "and writes no audit entry");
                }
            }
        }
    }
}

#[tokio::test]
async fn approval_records_when_and_who_and_reasons_are_kept() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = admin.reseller("a@example.com", "pending").await;
    let (_, r) = admin.post(&format!("/resellers/{id}/approve"), json!({})).await;
    assert!(r["approved_at"].is_string());
    assert!(r["approved_by"].as_str().unwrap().starts_with("atk_"), "{r}");

    let (status, body) = admin.post(&format!("/resellers/{id}/suspend"), json!({})).await;
    assert_eq!(status, 422, "suspension needs a reason: {body}");
    assert_eq!(body["field"], "reason");
    let (_, r) = admin
        .post(
            &format!("/resellers/{id}/suspend"),
            json!({ "reason": "Invoice overdue" }),
        )
        .await;
    assert_eq!(r["status"], "suspended");
    assert_eq!(r["suspension_reason"], "Invoice overdue");

    let (_, r) = admin.post(&format!("/resellers/{id}/reactivate"), json!({})).await;
    assert_eq!(r["status"], "active");
    assert!(r["suspension_reason"].is_null());

    let (_, r) = admin
        .post(
            &format!("/resellers/{id}/terminate"),
            json!({ "reason": "Contract ended" }),
        )
        .await;
    assert_eq!(r["termination_reason"], "Contract ended");
    assert!(r["terminated_at"].is_string());

    let (_, log) = admin.get(&format!("/audit-log?subject_id={id}")).await;
    let actions: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "reseller.terminate",
            "reseller.reactivate",
            "reseller.suspend",
            "reseller.approve",
            "reseller.invite"
        ]
    );
    assert_eq!(log["data"][0]["reason"], "Contract ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transitions_cannot_both_win() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // The same action twice from one state: whichever commits first wins,
    // the other is judged against the new state and refused.
    let cases = [
        ("pending", "approve"),
        ("active", "suspend"),
        ("pending", "terminate"),
        ("suspended", "reactivate"),
    ];
    for round in 0..12 {
        let (from, action) = cases[round % cases.len()];
        let id = admin.reseller(&format!("race{round}@example.com"), from).await;
        let path = format!("/resellers/{id}/{action}");
        let (a, b) = tokio::join!(
            admin.post(&path, json!({ "reason": "race" })),
            admin.post(&path, json!({ "reason": "race" })),
        );
        let wins = [a.0, b.0].iter().filter(|s| **s == 200).count();
        assert_eq!(wins, 1, "round {round}: {a:?} {b:?}");
        let loser = if a.0 == 200 { &b.1 } else { &a.1 };
        assert_eq!(loser["code"], "invalid_transition", "{loser}");
        let (_, log) = admin
            .get(&format!("/audit-log?subject_id={id}&action=reseller.{action}"))
            .await;
        assert_eq!(
            log["data"].as_array().unwrap().len(),
            1,
            "one audit entry for the one winner"
        );
    }
}

#[tokio::test]
async fn the_admin_api_needs_a_live_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let client = reqwest::Client::new();
    let url = app.url("/api/admin/v1/resellers");

    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.headers()["content-type"], "application/problem+json");

    let forged = crate::helpers::tamper(&admin.token);
    let response = client.get(&url).bearer_auth(forged).send().await.unwrap();
    assert_eq!(response.status(), 401);

    let response = client.get(&url).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(response.status(), 200);

    let prefix = &admin.token[.."flux_admin_".len() + 8];
    app::accounts::service::revoke_admin_token(&app.store, &app::audit::Actor::cli(), prefix)
        .await
        .unwrap();
    let response = client.get(&url).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(response.status(), 401);

    // A browser session is not an admin token.
    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let response = operator.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn an_invitation_creates_a_client_who_sets_a_password() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (status, body) = admin
        .post(
            "/resellers",
            json!({ "email": "New@Example.com", "company_name": "Newco", "default_discount_rate": "12.5", "rate_limit": 300 }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["email"], "new@example.com");
    assert_eq!(body["default_discount_rate"], "12.5");
    assert_eq!(body["rate_limit"], 300);
    let url = body["invitation_url"].as_str().unwrap();
    let token = url.split("token=").nth(1).unwrap();

    let client = browser();
    let response = app
        .call::<app::accounts::server_fns::AcceptInvitation>(
            &client,
            &[("token", token), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/portal");
    // Used up.
    let again = app
        .call::<app::accounts::server_fns::AcceptInvitation>(
            &browser(),
            &[("token", token), ("password", "another password!")],
        )
        .await;
    assert_eq!(again.status(), 404);

    // Inviting the same email again: it already has a profile.
    let (status, body) = admin
        .post(
            "/resellers",
            json!({ "email": "new@example.com", "company_name": "Newco" }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "already_applied");
    // Bad input is refused and creates nothing.
    let (status, body) = admin
        .post("/resellers", json!({ "email": "nope", "company_name": "X Corp" }))
        .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("email")));
    let (status, body) = admin
        .post(
            "/resellers",
            json!({ "email": "x@example.com", "company_name": "X Corp", "default_discount_rate": "101" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, list) = admin.get("/resellers").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn lists_filter_by_status_and_page_completely() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut active = Vec::new();
    for i in 0..5 {
        active.push(admin.reseller(&format!("act{i}@example.com"), "active").await);
        admin.reseller(&format!("pend{i}@example.com"), "pending").await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = admin
            .get(&format!("/resellers?status=active&limit=2&cursor={cursor}"))
            .await;
        assert_eq!(status, 200, "{page}");
        for r in page["data"].as_array().unwrap() {
            assert_eq!(r["status"], "active");
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, active, "every active reseller once, oldest first");

    let (_, found) = admin.get("/resellers?q=PEND3").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let (status, body) = admin.get("/resellers?status=sleeping").await;
    assert_eq!((status, body["code"].as_str()), (422, Some("validation_failed")));
    let (status, _) = admin.get("/resellers?limit=0").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn settings_patch_validates_and_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = admin.reseller("p@example.com", "active").await;
    let (status, body) = admin
        .patch(
            &format!("/resellers/{id}"),
            json!({ "api_enabled": false, "rate_limit": 50, "default_discount_rate": 20 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["api_enabled"], false);
    assert_eq!(body["rate_limit"], 50);
    assert_eq!(body["default_discount_rate"], "20");
    let (status, _) = admin
        .patch(&format!("/resellers/{id}"), json!({ "rate_limit": 0 }))
        .await;
    assert_eq!(status, 422);
    let (status, _) = admin
        .patch(&format!("/resellers/{id}"), json!({ "colour": "red" }))
        .await;
    assert_eq!(status, 422, "unknown fields are refused");
    let (_, r) = admin.get(&format!("/resellers/{id}")).await;
    assert_eq!(r["rate_limit"], 50);
    let (_, log) = admin
        .get(&format!("/audit-log?subject_id={id}&action=reseller.update"))
        .await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);

    let (status, body) = admin.get("/resellers/rsl_01jd8x2m3n4p5q6r7s8t9v0w1x").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _) = admin.get("/resellers/prd_01jd8x2m3n4p5q6r7s8t9v0w1x").await;
    assert_eq!(status, 404);
    let (status, _) = admin.post(&format!("/resellers/{id}/explode"), json!({})).await;
    assert_eq!(status, 404);
}
