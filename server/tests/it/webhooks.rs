//! Outbound webhooks end to end: a real receiver, signatures checked with
//! a Standard Webhooks library, the retry schedule, manual retries, holding
//! and cancelling, refusal of internal addresses, and a kill -9.

use crate::helpers::{
    Admin, PartnerClient, Received, Receiver, ServerProcess, TestApp, TestDb, eventually, order_body, spawn_app_with,
};
use serde_json::{Value, json};
use std::{collections::HashMap, time::Duration};

/// An app with a fast retry schedule and worker heartbeat.
pub async fn app(schedule: &[u64]) -> TestApp {
    let schedule: Vec<Duration> = schedule.iter().map(|s| Duration::from_secs(*s)).collect();
    spawn_app_with(move |c| {
        c.webhook_retry_schedule = schedule;
        c.worker_heartbeat = Duration::from_secs(1);
        c.webhook_timeout = Duration::from_secs(5);
    })
    .await
}

/// An active reseller whose webhooks go to `receiver`, its secret, and a
/// product priced for it (monthly 10.00, no cap).
pub async fn partner(base: &str, admin: &Admin, receiver: &Receiver, email: &str) -> (PartnerClient, String, String) {
    let reseller = admin.reseller(email, "active").await;
    partner_of(
        base,
        admin,
        receiver,
        &reseller,
        &format!("p-{}", email.split('@').next().unwrap()),
    )
    .await
}

/// The same for an existing `reseller`, its product named `slug`.
pub async fn partner_of(
    base: &str,
    admin: &Admin,
    receiver: &Receiver,
    reseller: &str,
    slug: &str,
) -> (PartnerClient, String, String) {
    let reseller = reseller.to_owned();
    let product = admin.product(slug, Some("10.00"), None).await;
    // Priced before the endpoint is set: the book's own `price_book.changed`
    // has no delivery, so the tests' receivers see only what they cause.
    let (status, _) = admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({ "wholesale_monthly": "10.00" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, webhook) = admin
        .put(
            &format!("/resellers/{reseller}/webhook"),
            json!({ "url": receiver.url }),
        )
        .await;
    assert_eq!(status, 200, "{webhook}");
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    let (_, key) = admin.post(&format!("/resellers/{reseller}/api-keys"), json!({})).await;
    use base64::Engine;
    let client = PartnerClient::new(
        base.to_owned(),
        key["key"].as_str().unwrap().to_owned(),
        base64::engine::general_purpose::STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .unwrap(),
        reseller.clone(),
    );
    (client, secret, product)
}

/// Verifies a delivery's signature as any Standard Webhooks receiver would.
pub fn verify(secret: &str, r: &Received) {
    let webhook = standardwebhooks::Webhook::new(secret).expect("secret parses");
    webhook
        .verify(r.body.as_bytes(), &r.headers)
        .unwrap_or_else(|e| panic!("signature does not verify: {e:?}"));
}

pub async fn deliveries(admin: &Admin, query: &str) -> Vec<Value> {
    let (status, page) = admin.get(&format!("/webhook-deliveries?{query}")).await;
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().unwrap().clone()
}

/// A delivery detail's attempts as (attempt number, status code).
fn attempt_codes(detail: &Value) -> Vec<(i64, i64)> {
    detail["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["attempt_no"].as_i64().unwrap(), a["status_code"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn each_event_type_once_signed_with_its_payload() {
    let app = app(&[1, 1]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, secret, product) = partner(&app.url(""), &admin, &receiver, "events@example.com").await;

    let order = partner.order(&order_body("c-1", &product, "monthly", 2)).await;
    assert_eq!(order.status, 201);
    let services: Vec<String> = order.body["service_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let (a, b) = (&services[0], &services[1]);
    for (service, action) in [
        (a, "activate"),
        (a, "suspend"),
        (a, "unsuspend"),
        (a, "terminate"),
        (b, "activate"),
    ] {
        let (status, body) = admin.post(&format!("/services/{service}/{action}"), json!({})).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let (status, body) = admin.post(&format!("/services/{a}/activate"), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition")),
        "terminated stays terminated"
    );
    // The renewal job: b's renewal date has come a month from now.
    let month_later = app::timestamp::Timestamp::now().plus(time::Duration::days(32));
    app.renew_all(month_later).await;
    // Reseller status: suspend (held), then reactivate (both go out).
    let id = &partner.reseller_id;
    admin
        .post(&format!("/resellers/{id}/suspend"), json!({ "reason": "test" }))
        .await;
    admin.post(&format!("/resellers/{id}/reactivate"), json!({})).await;

    let got = receiver.collect(11, 30).await;
    let mut by_type: HashMap<String, Vec<Value>> = HashMap::new();
    let mut ids = std::collections::HashSet::new();
    for r in &got {
        verify(&secret, r);
        let body = r.json();
        // webhook-id is the event's id: one per event, so receivers can
        // de-duplicate retries.
        let id = r.headers["webhook-id"].to_str().unwrap();
        assert!(id.starts_with("evt_"), "{id}");
        assert!(ids.insert(id.to_owned()), "event {id} delivered twice");
        by_type
            .entry(body["type"].as_str().unwrap().to_owned())
            .or_default()
            .push(body);
    }
    let counts: HashMap<&str, usize> = by_type.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    assert_eq!(
        counts,
        HashMap::from([
            ("order.created", 1),
            ("service.created", 2),
            ("service.activated", 2),
            ("service.suspended", 1),
            ("service.unsuspended", 1),
            ("service.terminated", 1),
            ("service.renewed", 1),
            ("reseller.status_changed", 2),
        ]),
        "each event exactly once"
    );
    assert!(receiver.nothing_more().await, "and nothing more");
    let created = &by_type["order.created"][0]["data"];
    assert_eq!(created["id"], order.body["id"]);
    assert_eq!(created["wholesale_total"], "20.00");
    let terminated = &by_type["service.terminated"][0]["data"];
    assert_eq!(
        (terminated["id"].as_str(), terminated["status"].as_str()),
        (Some(a.as_str()), Some("terminated"))
    );
    let renewed = &by_type["service.renewed"][0]["data"];
    assert_eq!(renewed["id"], b.as_str());
    assert!(renewed["next_renewal_at"].as_str() > renewed["period_start"].as_str());
    let statuses: Vec<(&str, &str)> = by_type["reseller.status_changed"]
        .iter()
        .map(|e| (e["data"]["from"].as_str().unwrap(), e["data"]["to"].as_str().unwrap()))
        .collect();
    assert!(
        statuses.contains(&("active", "suspended")) && statuses.contains(&("suspended", "active")),
        "{statuses:?}"
    );
    // Every delivery succeeded at its first attempt (recorded just after
    // the receiver answered: wait for the records, not for the arrivals).
    let query = format!("reseller_id={id}&limit=50");
    let all = eventually(15, || async {
        let all = deliveries(&admin, &query).await;
        all.iter().all(|d| d["status"] == "succeeded").then_some(all)
    })
    .await
    .expect("every delivery recorded as succeeded");
    assert_eq!(all.len(), 11);
    assert!(all.iter().all(|d| d["attempts"] == 1), "{all:?}");
}

#[tokio::test]
async fn failures_follow_the_schedule_and_every_attempt_is_recorded() {
    let app = app(&[1, 2]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, _, _) = partner(&app.url(""), &admin, &receiver, "retry@example.com").await;
    receiver.respond_with(&[500, 503]);
    admin.post("/resellers", json!({})).await; // noise: refused, no event
    let (status, _) = admin
        .post("/services/svc_01jd8x2m3n4p5q6r7s8t9v0w1x/activate", json!({}))
        .await;
    assert_eq!(status, 404);
    // One event: a test event from the portal's server function.
    let reseller = app::ids::ResellerId::parse(&partner.reseller_id).unwrap();
    let profile = app::resellers::service::get(&app.store, &reseller).await.unwrap();
    app::webhooks::service::send_test_event(&app.state, &profile)
        .await
        .unwrap();

    let attempts = receiver.collect(3, 20).await;
    assert_eq!(attempts.len(), 3, "500, 503, then 200");
    let first_gap = attempts[1].at - attempts[0].at;
    let second_gap = attempts[2].at - attempts[1].at;
    assert!(
        first_gap >= Duration::from_millis(850),
        "first retry after ~1 s, was {first_gap:?}"
    );
    assert!(
        second_gap >= Duration::from_millis(1750),
        "second retry after ~2 s, was {second_gap:?}"
    );
    let ids: Vec<&str> = attempts
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "the same message id on every attempt"
    );

    let delivery = eventually(10, || async {
        let d = deliveries(&admin, &format!("reseller_id={}", partner.reseller_id)).await;
        d.into_iter().find(|d| d["status"] == "succeeded")
    })
    .await
    .expect("succeeded");
    let (_, detail) = admin
        .get(&format!("/webhook-deliveries/{}", delivery["id"].as_str().unwrap()))
        .await;
    assert_eq!(attempt_codes(&detail), [(1, 500), (2, 503), (3, 200)]);
    assert_eq!(detail["attempts"][0]["response_body"], "receiver says 500");
    assert!(detail["attempts"][0]["duration_ms"].as_i64().is_some());
    assert_eq!(detail["delivery"]["attempts"], 3);
    assert_eq!(detail["payload"]["type"], "webhook.test");
}

#[tokio::test]
async fn the_schedule_runs_out_then_retry_now_delivers() {
    let app = app(&[1]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, _, _) = partner(&app.url(""), &admin, &receiver, "manual@example.com").await;
    receiver.respond_with(&[500, 500]);
    let profile = app::resellers::service::get(&app.store, &app::ids::ResellerId::parse(&partner.reseller_id).unwrap())
        .await
        .unwrap();
    app::webhooks::service::send_test_event(&app.state, &profile)
        .await
        .unwrap();
    assert_eq!(receiver.collect(2, 15).await.len(), 2);
    let failed = eventually(10, || async {
        deliveries(&admin, "status=failed").await.into_iter().next()
    })
    .await
    .expect("failed after the schedule");
    assert_eq!(failed["attempts"], 2);
    assert!(receiver.nothing_more().await, "no attempt after the last");

    let id = failed["id"].as_str().unwrap();
    let (status, body) = admin.post(&format!("/webhook-deliveries/{id}/retry"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(receiver.next(10).await.is_some());
    let done = eventually(10, || async {
        deliveries(&admin, "status=succeeded").await.into_iter().next()
    })
    .await
    .expect("succeeded after retry now");
    assert_eq!(done["attempts"], 3);
    // A succeeded one may be sent again (a receiver that lost it).
    let (status, _) = admin.post(&format!("/webhook-deliveries/{id}/retry"), json!({})).await;
    assert_eq!(status, 200);
    assert!(receiver.next(10).await.is_some());
    let (_, log) = admin.get(&format!("/audit-log?subject_id={id}")).await;
    assert_eq!(log["data"][0]["action"], "webhook_delivery.retry");
}

#[tokio::test]
async fn held_while_suspended_and_cancelled_when_terminated() {
    // A failed attempt's retry waits 30 s: long after the termination below
    // (with 1 s, a slow machine retried, and succeeded, before it).
    let app = app(&[30]).await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    let (partner, _, product) = partner(&app.url(""), &admin, &receiver, "hold@example.com").await;
    let order = partner.order(&order_body("c", &product, "monthly", 1)).await;
    assert_eq!(
        receiver.collect(2, 15).await.len(),
        2,
        "order.created and service.created"
    );
    let service = order.body["service_ids"][0].as_str().unwrap().to_owned();
    let id = partner.reseller_id.clone();

    // Suspended: new events are held.
    admin
        .post(&format!("/resellers/{id}/suspend"), json!({ "reason": "late" }))
        .await;
    admin.post(&format!("/services/{service}/activate"), json!({})).await;
    // Held when made (no job is queued for them): nothing can go out.
    let held = deliveries(&admin, &format!("reseller_id={id}&status=held")).await;
    assert_eq!(held.len(), 2, "status change to suspended and the activation: {held:?}");
    assert!(receiver.nothing_more().await, "nothing goes out while suspended");
    // Reactivated: they go out, with the reactivation's own event.
    admin.post(&format!("/resellers/{id}/reactivate"), json!({})).await;
    let released = receiver.collect(3, 15).await;
    let types: Vec<String> = released
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(released.len(), 3, "{types:?}");
    assert!(types.contains(&"service.activated".to_owned()));
    let pending = format!("reseller_id={id}&status=pending");
    eventually(15, || async {
        deliveries(&admin, &pending).await.is_empty().then_some(())
    })
    .await
    .expect("the released deliveries are recorded as succeeded");

    // Terminated: what is pending is cancelled, nothing new is made.
    receiver.respond_with(&[500]);
    admin.post(&format!("/services/{service}/suspend"), json!({})).await;
    assert!(receiver.next(10).await.is_some(), "the first attempt fails");
    eventually(15, || async {
        deliveries(&admin, &pending)
            .await
            .into_iter()
            .find(|d| d["attempts"] == 1)
    })
    .await
    .expect("the failed attempt is recorded, its retry due later");
    admin
        .post(&format!("/resellers/{id}/terminate"), json!({ "reason": "gone" }))
        .await;
    let cancelled = deliveries(&admin, &format!("reseller_id={id}&status=cancelled")).await;
    assert_eq!(cancelled.len(), 1, "its retry is cancelled");
    assert!(deliveries(&admin, &pending).await.is_empty(), "and no new one is made");
    assert!(receiver.nothing_more().await);
    let (status, body) = admin
        .post(
            &format!("/webhook-deliveries/{}/retry", cancelled[0]["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition")),
        "a cancelled one is not retried"
    );
    assert_eq!(cancelled[0]["event_type"], "service.suspended");
    let all = deliveries(&admin, &format!("reseller_id={id}&limit=100")).await;
    assert!(
        all.iter()
            .all(|d| d["event_type"] != "reseller.status_changed" || d["status"] != "pending")
    );
    // The events themselves are kept for the record.
    let events = app
        .store
        .events(&app::ids::ResellerId::parse(&id).unwrap())
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|(_, e)| e.event_type == app::webhooks::EventType::ResellerStatusChanged
                && e.data["to"] == "terminated")
    );
}

#[tokio::test]
async fn without_a_url_events_are_kept_not_delivered() {
    let app = app(&[1]).await;
    let admin = app.admin().await;
    let id = admin.reseller("nourl@example.com", "active").await;
    admin
        .post(&format!("/resellers/{id}/suspend"), json!({ "reason": "x" }))
        .await;
    let events = app
        .store
        .events(&app::ids::ResellerId::parse(&id).unwrap())
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "approve and suspend, recorded");
    assert!(
        deliveries(&admin, &format!("reseller_id={id}")).await.is_empty(),
        "but not delivered"
    );
}

#[tokio::test]
async fn internal_addresses_are_refused_at_delivery_time() {
    let app = spawn_app_with(|c| {
        c.webhook_allow_private = false;
        c.webhook_retry_schedule = vec![Duration::from_secs(60)];
    })
    .await;
    let admin = app.admin().await;
    let mut receiver = Receiver::start().await;
    // Saved while public (an IP literal), then the record points inside,
    // as if DNS had changed: the check at delivery time must catch it.
    let id = admin.reseller("ssrf@example.com", "active").await;
    let (status, _) = admin
        .put(
            &format!("/resellers/{id}/webhook"),
            json!({ "url": "https://93.184.216.34/hooks" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = admin
        .put(&format!("/resellers/{id}/webhook"), json!({ "url": receiver.url }))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("webhook_url_rejected")),
        "refused when saved"
    );
    let reseller = app::ids::ResellerId::parse(&id).unwrap();
    let sealed = app.store.webhook_secret_sealed(&reseller).await.unwrap().unwrap();
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for (n, url) in [
        format!("https://localhost:{port}/hooks"),
        format!("https://127.0.0.1:{port}/hooks"),
        receiver.url.clone(),
    ]
    .iter()
    .enumerate()
    {
        // Saved past the URL check, as an earlier version might have.
        let mut tx = app.store.begin().await.unwrap();
        tx.set_webhook(&reseller, Some(url), &sealed, app::timestamp::Timestamp::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let profile = app::resellers::service::get(&app.store, &reseller).await.unwrap();
        app::webhooks::service::send_test_event(&app.state, &profile)
            .await
            .unwrap();
        let attempted = eventually(15, || async {
            let d = deliveries(&admin, &format!("reseller_id={id}&limit=10")).await;
            (d.iter().filter(|d| d["attempts"] == 1).count() == n + 1).then_some(d)
        })
        .await;
        assert!(attempted.is_some(), "{url}: attempted");
    }
    assert!(
        receiver.nothing_more().await,
        "the receiver on loopback never got anything"
    );
    let all = deliveries(&admin, &format!("reseller_id={id}&limit=10")).await;
    for d in &all {
        assert!(d["last_status_code"].is_null(), "{d}");
        let error = d["last_error"].as_str().unwrap();
        assert!(
            error.contains("public") || error.contains("https") || error.contains("refused"),
            "{error}"
        );
    }
}

/// At least once: the server dies (SIGKILL) while deliveries are in
/// flight; after a restart every event is delivered.
#[tokio::test]
async fn kill_9_mid_delivery_then_restart_delivers_everything() {
    let db = TestDb::new().await;
    let mut receiver = Receiver::start().await;
    let token = ServerProcess::admin_token(&db);
    let mut server = ServerProcess::start(&db, &[]).await;
    let base = server.base.clone();
    let admin = Admin::new(format!("{base}/api/admin/v1"), token);
    let (partner, _, product) = partner(&base, &admin, &receiver, "kill9@example.com").await;

    receiver.hang(true);
    let order = partner.order(&order_body("c-k", &product, "monthly", 3)).await;
    assert_eq!(order.status, 201);
    // Four events (order + 3 services); wait until attempts are in flight.
    let in_flight = receiver.collect(1, 15).await;
    assert!(!in_flight.is_empty(), "a delivery reached the receiver");
    server.kill();
    receiver.hang(false);
    server.restart(&db).await;
    let all_done = eventually(60, || async {
        let d = deliveries(&admin, "limit=50").await;
        (d.len() == 4 && d.iter().all(|d| d["status"] == "succeeded")).then_some(d)
    })
    .await;
    server.kill();
    let done = all_done.expect("every delivery succeeded after the restart");
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = receiver.next(1).await {
        seen.insert(r.headers["webhook-id"].to_str().unwrap().to_owned());
    }
    for r in in_flight {
        seen.insert(r.headers["webhook-id"].to_str().unwrap().to_owned());
    }
    for d in done {
        assert!(
            seen.contains(d["event_id"].as_str().unwrap()),
            "event {} reached the receiver",
            d["event_id"]
        );
    }
}

/// The worker's bookkeeper records a batch of finished attempts in one
/// transaction (`record_attempts`): each delivery moves on by its own
/// outcome, a delivery that finished twice in the batch counts both
/// attempts in order, one no longer pending keeps its status but its
/// attempt is recorded, and a retry's job is queued for its time.
#[tokio::test]
async fn a_batch_of_finished_attempts_moves_each_delivery_on() {
    use app::{
        timestamp::Timestamp,
        webhooks::{AfterAttempt, AttemptRecord, FinishedAttempt},
    };
    let app = spawn_app_with(|c| c.run_worker = false).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let (partner, _, product) = partner(&app.url(""), &admin, &receiver, "batch@example.com").await;
    let order = partner.order(&order_body("c-batch", &product, "monthly", 2)).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let query = format!("reseller_id={}&limit=10", partner.reseller_id);
    let pending = deliveries(&admin, &query).await;
    assert_eq!(pending.len(), 3, "order.created and two service.created: {pending:?}");
    let id = |i: usize| app::ids::DeliveryId::parse(pending[i]["id"].as_str().unwrap()).unwrap();
    let (retried, succeeded, cancelled) = (id(0), id(1), id(2));
    crate::helpers::execute(
        &app.store,
        &format!("UPDATE webhook_deliveries SET status = 'cancelled' WHERE id = '{cancelled}'"),
    )
    .await;

    let now = Timestamp::now();
    let later = now.plus(time::Duration::hours(1));
    let attempt = |delivery: &app::ids::DeliveryId, code: i64, after: AfterAttempt| FinishedAttempt {
        delivery: delivery.clone(),
        record: AttemptRecord {
            at: now,
            url: receiver.url.clone(),
            status_code: Some(code),
            duration_ms: 3,
            error: (code >= 300).then(|| format!("HTTP {code}")),
            response_body: Some(format!("said {code}")),
        },
        after,
    };
    let jobs_later = || async {
        let sql = match crate::helpers::backend() {
            crate::helpers::Backend::Postgres => format!(
                "SELECT COUNT(*) FROM apalis.jobs WHERE job_type = '{}' AND run_at > now() + interval '30 minutes'",
                app::webhooks::QUEUE
            ),
            crate::helpers::Backend::Sqlite => format!(
                "SELECT COUNT(*) FROM Jobs WHERE job_type = '{}' AND run_at > unixepoch() + 1800",
                app::webhooks::QUEUE
            ),
        };
        crate::helpers::count(&app.store, &sql).await
    };
    assert_eq!(jobs_later().await, 0);
    app::webhooks::service::record_attempts(
        &app.store,
        &[
            attempt(&retried, 500, AfterAttempt::RetryAt(later)),
            attempt(&succeeded, 200, AfterAttempt::Succeeded),
            attempt(&cancelled, 200, AfterAttempt::Succeeded),
            attempt(&retried, 503, AfterAttempt::RetryAt(later)),
        ],
    )
    .await
    .unwrap();

    let detail = |d: app::ids::DeliveryId| {
        let admin = &admin;
        async move {
            let (status, detail) = admin.get(&format!("/webhook-deliveries/{d}")).await;
            assert_eq!(status, 200, "{detail}");
            (detail["delivery"].clone(), attempt_codes(&detail))
        }
    };
    let (delivery, attempts) = detail(retried).await;
    assert_eq!(attempts, [(1, 500), (2, 503)], "both attempts, in order");
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(delivery["last_status_code"], 503);
    assert!(delivery["next_attempt_at"].is_string(), "{delivery}");
    let (delivery, attempts) = detail(succeeded).await;
    assert_eq!(attempts, [(1, 200)]);
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempts"].as_i64()),
        (Some("succeeded"), Some(1))
    );
    assert!(delivery["completed_at"].is_string(), "{delivery}");
    let (delivery, attempts) = detail(cancelled).await;
    assert_eq!(attempts, [(1, 200)], "recorded all the same");
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempts"].as_i64()),
        (Some("cancelled"), Some(0))
    );
    assert_eq!(jobs_later().await, 2, "each retry's job queued for its time");
}

/// The delivery queue's acknowledgements go by primary key: on PostgreSQL
/// the only index on `lock_by` is for jobs still locked (see
/// `index_locked_jobs_only`), and migrating again changes nothing.
/// (apalis-sqlite's queries are not affected.)
#[tokio::test]
#[ignore = "PostgreSQL only"]
async fn the_queue_indexes_lock_by_for_locked_jobs_only() {
    crate::helpers::require_postgres();
    let app = spawn_app_with(|c| c.run_worker = false).await;
    app.store.migrate().await.expect("migrating twice");
    let pool = app.store.postgres_pool().expect("a PostgreSQL store");
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
         WHERE schemaname = 'apalis' AND tablename = 'jobs' AND indexdef LIKE '%(lock_by)%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(indexes.len(), 1, "{indexes:?}");
    assert_eq!(indexes[0].0, "jobs_locked_by");
    assert!(indexes[0].1.contains("WHERE"), "partial: {}", indexes[0].1);
}

/// The default retry schedule (5 s, 5 min, 30 min, ...), past its first
/// step: a failing receiver's delivery is retried about 5 s after the
/// first attempt, and the second failure puts the next one about five
/// minutes out (each step within its ±10 % jitter).
#[tokio::test]
async fn the_default_schedule_spaces_retries_by_its_steps() {
    let app = spawn_app_with(|c| c.worker_heartbeat = Duration::from_secs(1)).await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let (partner, _, product) = partner(&app.url(""), &admin, &receiver, "default@example.com").await;
    receiver.respond_with(&[500; 8]);
    let placed = partner.order(&order_body("c-d", &product, "monthly", 1)).await;
    assert_eq!(placed.status, 201);
    let query = format!("reseller_id={}&event_type=order.created", partner.reseller_id);
    let after = |attempts: i64| {
        let (admin, query) = (&admin, &query);
        async move {
            eventually(30, || async {
                let list = deliveries(admin, query).await;
                list.into_iter()
                    .find(|d| d["attempts"] == attempts && d["next_attempt_at"].is_string())
            })
            .await
            .unwrap_or_else(|| panic!("attempt {attempts} recorded"))
        }
    };
    let seconds_between = |from: &Value, to: &Value| {
        let at = |v: &Value| app::timestamp::Timestamp::parse_rfc3339(v.as_str().unwrap()).unwrap();
        (at(to).unix_micros() - at(from).unix_micros()) as f64 / 1e6
    };
    let detail = |d: &Value| {
        let (admin, id) = (&admin, d["id"].as_str().unwrap().to_owned());
        async move { admin.get(&format!("/webhook-deliveries/{id}")).await.1 }
    };
    let first = after(1).await;
    let attempts = detail(&first).await["attempts"].clone();
    let wait = seconds_between(&attempts[0]["at"], &first["next_attempt_at"]);
    assert!((4.4..=5.6).contains(&wait), "first step ~5 s: {wait}");
    let second = after(2).await;
    let attempts = detail(&second).await["attempts"].clone();
    let wait = seconds_between(&attempts[1]["at"], &second["next_attempt_at"]);
    assert!((269.0..=331.0).contains(&wait), "second step ~300 s: {wait}");
    assert_eq!(second["status"], "pending");
}
