//! The price book through the admin API: validation, derive, history, and
//! what the reseller then sees.

use crate::helpers::spawn_app;
use serde_json::json;

#[tokio::test]
async fn a_row_is_stored_exactly_and_amounts_are_strings() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = admin.product("vps-a", Some("19.99"), Some("0.0300")).await;
    let reseller = admin.reseller("r@example.com", "active").await;
    let (status, row) = admin
        .put(
            &format!("/resellers/{reseller}/products/{product}"),
            json!({
                "wholesale_monthly": "15.5",
                "wholesale_hourly": "0.0125",
                "wholesale_setup_fee": "0",
                "discount_rate_override": "12.5",
                "is_enabled": true,
                "max_quantity": 10
            }),
        )
        .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["wholesale_monthly"], "15.50");
    assert_eq!(row["wholesale_hourly"], "0.0125");
    assert!(row["wholesale_quarterly"].is_null(), "omitted terms are null");
    assert_eq!(row["wholesale_setup_fee"], "0.00");
    assert_eq!(row["discount_rate_override"], "12.5");
    assert_eq!(row["max_quantity"], 10);
    let (_, again) = admin.get(&format!("/resellers/{reseller}/products/{product}")).await;
    assert_eq!(again, row);
}

#[tokio::test]
async fn invalid_rows_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = admin.product("vps-b", Some("10"), None).await;
    let reseller = admin.reseller("r@example.com", "active").await;
    let path = format!("/resellers/{reseller}/products/{product}");
    let (status, _) = admin.put(&path, json!({ "wholesale_monthly": "8.00" })).await;
    assert_eq!(status, 200);
    let cases = [
        (json!({ "wholesale_monthly": "-1" }), "wholesale_monthly"),
        (json!({ "wholesale_monthly": "1.23456" }), "wholesale_monthly"),
        (json!({ "wholesale_hourly": "abc" }), "wholesale_hourly"),
        (json!({ "wholesale_setup_fee": "-0.01" }), "wholesale_setup_fee"),
        (json!({ "wholesale_monthly": "8", "max_quantity": 0 }), "max_quantity"),
    ];
    for (body, field) in cases {
        let (status, problem) = admin.put(&path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["field"], field, "{body}");
    }
    // Body-level refusals: override out of range, money as a JSON number, typos.
    for body in [
        json!({ "discount_rate_override": "100.5" }),
        json!({ "wholesale_monthly": 8.5 }),
        json!({ "wholesale_montly": "8.00" }),
    ] {
        let (status, problem) = admin.put(&path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["code"], "validation_failed");
    }
    let (_, row) = admin.get(&path).await;
    assert_eq!(row["wholesale_monthly"], "8.00");
    let (_, history) = admin.get(&format!("{path}/history")).await;
    assert_eq!(
        history["data"].as_array().unwrap().len(),
        1,
        "only the valid write is in the history"
    );

    // Unknown reseller or product.
    let (status, _) = admin
        .put(
            &format!("/resellers/rsl_01jd8x2m3n4p5q6r7s8t9v0w1x/products/{product}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = admin
        .put(
            &format!("/resellers/{reseller}/products/prd_01jd8x2m3n4p5q6r7s8t9v0w1x"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn derive_uses_the_override_else_the_default_and_leaves_unpriced_terms_null() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // Retail: monthly 19.99, hourly 0.0275, nothing else.
    let product = admin.product("vps-c", Some("19.99"), Some("0.0275")).await;
    let reseller = admin.reseller("r@example.com", "active").await;
    admin
        .patch(
            &format!("/resellers/{reseller}"),
            json!({ "default_discount_rate": "10" }),
        )
        .await;
    let path = format!("/resellers/{reseller}/products/{product}");

    // No row yet: the default rate (10 %), the retail setup fee, enabled.
    let (status, row) = admin.post(&format!("{path}/derive"), json!({})).await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["wholesale_monthly"], "17.99"); // 17.991
    assert_eq!(row["wholesale_hourly"], "0.0248"); // 0.02475 -> half away from zero
    assert!(row["wholesale_quarterly"].is_null());
    assert!(row["wholesale_annual"].is_null());
    assert_eq!(row["wholesale_setup_fee"], "5.00");
    assert_eq!(row["is_enabled"], true);

    // With an override of 15 %, the override wins; the rest of the row stays.
    admin
        .put(
            &path,
            json!({ "wholesale_monthly": "1", "discount_rate_override": "15", "is_enabled": false, "max_quantity": 3, "wholesale_setup_fee": "2" }),
        )
        .await;
    let (_, row) = admin.post(&format!("{path}/derive"), json!({})).await;
    assert_eq!(row["wholesale_monthly"], "16.99"); // 16.9915
    assert_eq!(row["wholesale_hourly"], "0.0234"); // 0.023375
    assert_eq!(row["discount_rate_override"], "15");
    assert_eq!(row["is_enabled"], false);
    assert_eq!(row["max_quantity"], 3);
    assert_eq!(row["wholesale_setup_fee"], "2.00");
}

#[tokio::test]
async fn every_change_is_in_the_history_with_who_old_and_new() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let product = admin.product("vps-d", Some("10"), None).await;
    let reseller = admin.reseller("r@example.com", "active").await;
    let path = format!("/resellers/{reseller}/products/{product}");
    admin.put(&path, json!({ "wholesale_monthly": "9.00" })).await;
    admin.put(&path, json!({ "wholesale_monthly": "9.00" })).await; // no change
    admin
        .put(&path, json!({ "wholesale_monthly": "8.50", "is_enabled": false }))
        .await;
    let (status, history) = admin.get(&format!("{path}/history")).await;
    assert_eq!(status, 200);
    let entries = history["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history}");
    let newest = &entries[0];
    assert_eq!(newest["actor_name"], "admin token `tests`");
    assert_eq!(newest["old"]["prices"]["monthly"], "9.00");
    assert_eq!(newest["new"]["prices"]["monthly"], "8.50");
    assert_eq!(newest["old"]["is_enabled"], true);
    assert_eq!(newest["new"]["is_enabled"], false);
    assert!(entries[1]["old"].is_null(), "the first entry creates the row");
    assert!(newest["at"].is_string());
}
