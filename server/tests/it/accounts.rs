//! Sign-in, registration, sessions, throttling, CSRF and role checks, all
//! through the server functions' HTTP entry points.

use crate::helpers::{PASSWORD, browser, error_code, spawn_app};
use app::{
    accounts::{
        Role,
        server_fns::{Register, SignIn, SignOut, Whoami},
    },
    catalog::server_fns::AdminListProducts,
};
use leptos::server_fn::ServerFn;

async fn whoami(app: &crate::helpers::TestApp, client: &reqwest::Client) -> serde_json::Value {
    let response = app.call::<Whoami>(client, &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn operator_signs_in_and_out() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = browser();

    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "admin"),
                ("email", "OPS@example.com "),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    // The server function client follows this (Location + serverfnredirect).
    assert_eq!(response.headers()["location"], "/admin");
    assert!(response.headers().contains_key("serverfnredirect"));
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("flux_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");

    let me = whoami(&app, &client).await;
    assert_eq!(me["email"], "ops@example.com");
    assert_eq!(me["role"], "operator");

    let response = app.call::<SignOut>(&client, &[("panel", "admin")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/admin/login");
    assert!(whoami(&app, &client).await.is_null());
}

#[tokio::test]
async fn a_signed_out_session_token_no_longer_works() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = browser();
    let response = app
        .call::<SignIn>(
            &client,
            &[("panel", "admin"), ("email", "ops@example.com"), ("password", PASSWORD)],
        )
        .await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let token_pair = cookie.split(';').next().unwrap().to_owned();
    app.call::<SignOut>(&client, &[("panel", "admin")]).await;

    // Replaying the old cookie from another client.
    let other = reqwest::Client::new();
    let response = other
        .post(app.url(Whoami::PATH))
        .header("cookie", token_pair)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body.is_null());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_refusal() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = browser();
    for email in ["ops@example.com", "nobody@example.com"] {
        let response = app
            .call::<SignIn>(
                &client,
                &[("panel", "admin"), ("email", email), ("password", "wrong password!")],
            )
            .await;
        assert!(response.headers().get("set-cookie").is_none());
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["message"], "Wrong email or password.");
    }
    assert!(whoami(&app, &client).await.is_null());
}

#[tokio::test]
async fn each_panel_signs_in_only_its_own_role() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    app.client_account("client@example.com").await;
    let client = browser();

    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "admin"),
                ("email", "client@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (403, "forbidden".to_owned()));
    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "portal"),
                ("email", "ops@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (403, "forbidden".to_owned()));
    assert!(whoami(&app, &client).await.is_null());
}

#[tokio::test]
async fn accounts_are_throttled_after_five_failures() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = browser();
    for _ in 0..5 {
        let response = app
            .call::<SignIn>(
                &client,
                &[
                    ("panel", "admin"),
                    ("email", "ops@example.com"),
                    ("password", "not it at all"),
                ],
            )
            .await;
        assert_eq!(error_code(response).await.1, "invalid_credentials");
    }
    // Even the right password is refused now.
    let response = app
        .call::<SignIn>(
            &client,
            &[("panel", "admin"), ("email", "ops@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(error_code(response).await, (429, "too_many_attempts".to_owned()));
    assert!(whoami(&app, &client).await.is_null());
}

#[tokio::test]
async fn addresses_are_throttled_across_accounts() {
    let app = spawn_app().await;
    app.client_account("victim@example.com").await;
    let client = browser();
    for i in 0..20 {
        let email = format!("guess{i}@example.com");
        let response = app
            .call::<SignIn>(
                &client,
                &[("panel", "portal"), ("email", &email), ("password", "guessing123")],
            )
            .await;
        assert_eq!(error_code(response).await.1, "invalid_credentials");
    }
    let response = app
        .call::<SignIn>(
            &client,
            &[
                ("panel", "portal"),
                ("email", "victim@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (429, "too_many_attempts".to_owned()));
}

#[tokio::test]
async fn a_success_resets_the_account_count() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = browser();
    let fail = || {
        app.call::<SignIn>(
            &client,
            &[
                ("panel", "admin"),
                ("email", "ops@example.com"),
                ("password", "nope nope nope"),
            ],
        )
    };
    for _ in 0..4 {
        fail().await;
    }
    app.signed_in("admin", "ops@example.com").await;
    for _ in 0..4 {
        assert_eq!(error_code(fail().await).await.1, "invalid_credentials");
    }
}

#[tokio::test]
async fn a_client_registers_and_lands_in_the_portal() {
    let app = spawn_app().await;
    let client = browser();
    let response = app
        .call::<Register>(
            &client,
            &[
                ("name", "Ada Lovelace"),
                ("email", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["location"], "/portal");
    let me = whoami(&app, &client).await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["role"], "client");
    assert_eq!(me["name"], "Ada Lovelace");
}

#[tokio::test]
async fn registration_refuses_bad_input_and_changes_nothing() {
    let app = spawn_app().await;
    app.client_account("taken@example.com").await;
    let client = browser();
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Form, u16, &str, &str)] = &[
        (
            &[("name", "Ada"), ("email", "not-an-email"), ("password", PASSWORD)],
            422,
            "validation_failed",
            "email",
        ),
        (
            &[("name", "Ada"), ("email", "ada@example.com"), ("password", "short")],
            422,
            "validation_failed",
            "password",
        ),
        (
            &[("name", "  "), ("email", "ada@example.com"), ("password", PASSWORD)],
            422,
            "validation_failed",
            "name",
        ),
        (
            &[("name", "Ada"), ("email", "Taken@Example.com"), ("password", PASSWORD)],
            409,
            "email_taken",
            "email",
        ),
    ];
    for (form, status, code, field) in cases {
        let response = app.call::<Register>(&client, form).await;
        assert_eq!(response.status().as_u16(), *status);
        assert!(response.headers().get("set-cookie").is_none());
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], *code);
        assert_eq!(body["field"], *field);
    }
    assert_eq!(app.store.count_users_with_role(Role::Client).await.unwrap(), 1);
    assert!(app.store.user_by_email("ada@example.com").await.unwrap().is_none());
}

#[tokio::test]
async fn operator_functions_refuse_anonymous_callers_and_clients() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    app.client_account("client@example.com").await;

    let anonymous = browser();
    let response = app.call::<AdminListProducts>(&anonymous, &[]).await;
    assert_eq!(error_code(response).await, (401, "unauthenticated".to_owned()));

    let client = app.signed_in("portal", "client@example.com").await;
    let response = app.call::<AdminListProducts>(&client, &[]).await;
    assert_eq!(error_code(response).await, (403, "forbidden".to_owned()));

    let operator = app.signed_in("admin", "ops@example.com").await;
    let response = app.call::<AdminListProducts>(&operator, &[]).await;
    assert_eq!(response.status(), 200);
    let products: Vec<serde_json::Value> = response.json().await.unwrap();
    assert!(products.is_empty());
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app().await;
    app.operator("ops@example.com").await;
    let client = browser();
    let form = [("panel", "admin"), ("email", "ops@example.com"), ("password", PASSWORD)];

    for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let response = client
            .post(app.url(SignIn::PATH))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        assert!(response.headers().get("set-cookie").is_none());
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "csrf_rejected");
    }

    // The same request from the app's own pages goes through.
    let host = app.address.trim_start_matches("http://").to_owned();
    let response = client
        .post(app.url(SignIn::PATH))
        .header("origin", format!("http://{host}"))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("set-cookie"));
}
