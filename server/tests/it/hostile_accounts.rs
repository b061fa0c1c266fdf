//! Hostile input against accounts (DESIGN.md "Hostile input and limits"):
//! invitations that would hijack an account, racing and bursting password
//! guesses, registration floods, sessions that outlive a password or sit
//! idle. Through the server functions and the admin API.

use crate::helpers::{PASSWORD, browser, count, count_at, error_code, execute_at, spawn_app, spawn_app_with};
use app::{
    accounts::server_fns::{Register, SignIn, Whoami},
    resellers::server_fns::InviteReseller,
    timestamp::Timestamp,
};
use std::sync::Arc;

async fn whoami(app: &crate::helpers::TestApp, client: &reqwest::Client) -> serde_json::Value {
    let response = app.call::<Whoami>(client, &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// An invitation for an email that already has an account would
/// attach the profile to whoever registered it: refused, on both entry
/// points, and nothing is created.
#[tokio::test]
async fn an_invitation_for_an_existing_account_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.client_account("squatter@example.com").await;

    let (status, body) = admin
        .post(
            "/resellers",
            serde_json::json!({ "email": "Squatter@example.com", "company_name": "Victim Hosting" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("email_taken")), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("Program overview"), "{body}");

    app.operator("ops@example.com").await;
    let operator = app.signed_in("admin", "ops@example.com").await;
    let response = app
        .call::<InviteReseller>(
            &operator,
            &[("email", "squatter@example.com"), ("company_name", "Victim Hosting")],
        )
        .await;
    assert_eq!(error_code(response).await, (409, "email_taken".to_owned()));

    let (_, list) = admin.get("/resellers?q=Victim").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "no profile was created");
    // A new email is still invited as before.
    let (status, body) = admin
        .post(
            "/resellers",
            serde_json::json!({ "email": "new@example.com", "company_name": "New Hosting" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Attempts are counted before their password is judged, so of 40
/// concurrent wrong passwords at most five are judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_wrong_passwords_judge_at_most_five() {
    // Five hashes queue for four turns: on a busy machine they may wait.
    let app = Arc::new(spawn_app_with(|c| c.password_hash_wait = std::time::Duration::from_secs(60)).await);
    app.client_account("target@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let client = browser();
            let response = app
                .call::<SignIn>(
                    &client,
                    &[
                        ("panel", "portal"),
                        ("email", "target@example.com"),
                        ("password", "wrong password!"),
                    ],
                )
                .await;
            error_code(response).await
        }));
    }
    let mut judged = 0;
    let mut throttled = 0;
    for task in tasks {
        match task.await.unwrap() {
            (401, code) if code == "invalid_credentials" => judged += 1,
            (429, code) if code == "too_many_attempts" => throttled += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(
        judged, 5,
        "attempts are counted one at a time: exactly the allowance is judged"
    );
    assert_eq!(judged + throttled, 40);
    // What was judged is what counts: refused attempts left no trace.
    let recorded = crate::helpers::count(
        &app.store,
        "SELECT COUNT(*) FROM login_attempts WHERE email = 'target@example.com' AND NOT succeeded",
    )
    .await;
    assert_eq!(recorded, judged as i64);
    // The account stays locked for the window, even with the right password.
    let client = browser();
    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "portal"),
                ("email", "target@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (429, "too_many_attempts".to_owned()));
}

/// Hashing runs with bounded concurrency; a request that cannot get
/// a turn is answered 503 with Retry-After (and is not counted as a failed
/// sign-in). A taken email is refused before any hashing.
#[tokio::test]
async fn password_hashing_is_bounded_and_a_burst_is_told_to_retry() {
    let app = spawn_app_with(|c| c.password_hash_wait = std::time::Duration::from_millis(200)).await;
    app.client_account("busy@example.com").await;
    let held = app.state.passwords().hold_all().await;

    let client = browser();
    for _ in 0..6 {
        let response = app
            .call::<SignIn>(
                &client,
                &[
                    ("panel", "portal"),
                    ("email", "busy@example.com"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(error_code(response).await.1, "unavailable");
    }
    let response = app
        .call::<Register>(
            &client,
            &[
                ("name", "New Person"),
                ("email", "fresh@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (503, "unavailable".to_owned()));
    // Taken email: refused without waiting for a turn.
    let response = app
        .call::<Register>(
            &client,
            &[
                ("name", "Copy Cat"),
                ("email", "busy@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (409, "email_taken".to_owned()));

    drop(held);
    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "portal"),
                ("email", "busy@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "the busy refusals did not lock the account");
    assert_eq!(whoami(&app, &client).await["email"], "busy@example.com");
}

/// Registrations are limited per client address.
#[tokio::test]
async fn registration_is_throttled_per_address() {
    let app = spawn_app_with(|c| c.registrations_per_hour = 3).await;
    for i in 0..3 {
        let client = browser();
        let email = format!("person{i}@example.com");
        let response = app
            .call::<Register>(
                &client,
                &[("name", "A Person"), ("email", &email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), 200, "registration {i}");
    }
    let client = browser();
    let response = app
        .call::<Register>(
            &client,
            &[
                ("name", "A Person"),
                ("email", "person9@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await.1, "rate_limited");
    assert!(app.store.user_by_email("person9@example.com").await.unwrap().is_none());
}

/// A new password ends the sessions opened with the old one.
#[tokio::test]
async fn a_password_change_ends_existing_sessions() {
    let app = spawn_app().await;
    let user = app.client_account("mover@example.com").await;
    let client = app.signed_in("portal", "mover@example.com").await;
    assert_eq!(whoami(&app, &client).await["email"], "mover@example.com");

    app::accounts::service::set_password(&app.store, app.state.passwords(), &user.id, "a brand new password")
        .await
        .unwrap();
    assert!(whoami(&app, &client).await.is_null(), "the old session is gone");
}

/// A session unused for longer than the idle time ends.
#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_app().await;
    app.client_account("idle@example.com").await;
    let client = app.signed_in("portal", "idle@example.com").await;
    assert_eq!(whoami(&app, &client).await["email"], "idle@example.com");

    // Thirteen hours without a request (the default idle time is 12).
    let then = Timestamp::now().minus(time::Duration::hours(13));
    assert_eq!(
        execute_at(&app.store, "UPDATE sessions SET last_seen_at = $1", then).await,
        1
    );
    assert!(whoami(&app, &client).await.is_null());
}

/// A session in use stays alive: each use moves its idle clock.
#[tokio::test]
async fn a_session_in_use_is_kept_alive() {
    let app = spawn_app().await;
    app.client_account("busy@example.com").await;
    let client = app.signed_in("portal", "busy@example.com").await;
    let eleven_hours_ago = Timestamp::now().minus(time::Duration::hours(11));
    execute_at(&app.store, "UPDATE sessions SET last_seen_at = $1", eleven_hours_ago).await;
    assert_eq!(whoami(&app, &client).await["email"], "busy@example.com");
    // The use above was recorded: two hours later it is still alive.
    let nine_hours_ago = Timestamp::now().minus(time::Duration::hours(9));
    let updated = execute_at(
        &app.store,
        "UPDATE sessions SET last_seen_at = $1 WHERE last_seen_at > $1",
        nine_hours_ago,
    )
    .await;
    assert_eq!(updated, 1, "the request moved last_seen_at to now");
    assert_eq!(whoami(&app, &client).await["email"], "busy@example.com");
}

/// Failed admin-token authentication is limited per client address like
/// the partner API's: beyond the limit 429 `rate_limited`, without a
/// look-up; a token that works is not held up by its address's failures.
#[tokio::test]
async fn failed_admin_tokens_are_limited_per_address() {
    let (_app, admin, statuses, refused) = crate::operations::within_a_minute(|| async {
        let app = spawn_app_with(|c| c.auth_failures_per_minute = 3).await;
        let admin = app.admin().await;
        assert_eq!(admin.get("/resellers").await.0, 200);
        let forged = crate::helpers::tamper(&admin.token);
        let client = reqwest::Client::new();
        let call = |token: Option<&str>| {
            let request = client.get(app.url("/api/admin/v1/resellers"));
            match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
            .send()
        };
        let mut statuses = Vec::new();
        for token in [Some(forged.as_str()), Some("flux_admin_nonsense"), None] {
            statuses.push(call(token).await.unwrap().status().as_u16());
        }
        let refused = call(Some(&forged)).await.unwrap();
        statuses.push(refused.status().as_u16());
        statuses.push(call(None).await.unwrap().status().as_u16());
        (app, admin, statuses, refused)
    })
    .await;
    assert_eq!(
        statuses,
        vec![401, 401, 401, 429, 429],
        "the last: no token at all, same address"
    );
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(admin.get("/resellers").await.0, 200, "the working token still works");
}

/// An admin token's use is recorded at most once a minute: a call within
/// the minute writes nothing (it answers while another transaction holds
/// the token's row), a call after it moves `last_used_at`.
#[tokio::test]
async fn an_admin_token_records_its_use_at_most_once_a_minute() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(admin.get("/resellers").await.0, 200, "the first use is recorded");
    let used = count(
        &app.store,
        "SELECT COUNT(*) FROM admin_tokens WHERE last_used_at IS NOT NULL",
    )
    .await;
    assert_eq!(used, 1);

    // Another transaction keeps writers out of the table (PostgreSQL) or
    // the database (SQLite): a call that issued a write would wait for it.
    let within_a_minute = async {
        tokio::time::timeout(std::time::Duration::from_secs(3), admin.get("/resellers"))
            .await
            .map(|(status, _)| status)
    };
    let answered = if let Some(pool) = app.store.postgres_pool() {
        let mut holder = pool.begin().await.unwrap();
        sqlx::raw_sql("LOCK TABLE admin_tokens IN SHARE MODE")
            .execute(&mut *holder)
            .await
            .unwrap();
        let answered = within_a_minute.await;
        holder.rollback().await.unwrap();
        answered
    } else {
        let pool = app.store.sqlite_pool().unwrap();
        let mut holder = pool.acquire().await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *holder).await.unwrap();
        let answered = within_a_minute.await;
        sqlx::raw_sql("ROLLBACK").execute(&mut *holder).await.unwrap();
        answered
    };
    assert_eq!(answered.ok(), Some(200), "a read within the minute does not write");

    let two_minutes_ago = Timestamp::now().minus(time::Duration::minutes(2));
    execute_at(&app.store, "UPDATE admin_tokens SET last_used_at = $1", two_minutes_ago).await;
    assert_eq!(admin.get("/resellers").await.0, 200);
    let moved = count_at(
        &app.store,
        "SELECT COUNT(*) FROM admin_tokens WHERE last_used_at > $1",
        two_minutes_ago,
    )
    .await;
    assert_eq!(moved, 1, "a use after the minute is recorded");
}
