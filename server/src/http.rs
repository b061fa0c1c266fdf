//! The HTTP surface: Leptos pages and server functions, `/healthz`, and (in
//! their own modules) the partner and admin APIs, with the layers they share.

use crate::{config::HttpLimits, csrf, limits, problem::ApiError};

use app::{
    App,
    error::{AppError, ErrorCode},
    shell,
    state::AppState,
    store::Backend,
};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderName, HeaderValue, header},
    middleware,
    routing::get,
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

pub fn router(
    state: AppState,
    partner: crate::partner_api::PartnerState,
    options: LeptosOptions,
    http: HttpLimits,
) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let pages = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(options);

    let health = Router::new().route("/healthz", get(healthz)).with_state(state.clone());

    // What browsers use: cross-site protection and request tracing. The
    // REST APIs authenticate with bearer credentials (no cookies, so no
    // CSRF), and the partner API records every request in its own log, so
    // its hot path carries neither layer.
    let timeout = middleware::from_fn_with_state(http.request_timeout, limits::timeout);
    let browser = pages
        .merge(health)
        .merge(crate::exports::router(state.clone()))
        .layer(middleware::from_fn(limits::server_fn_status))
        .layer(timeout.clone())
        .layer(middleware::from_fn(csrf::protect))
        .layer(TraceLayer::new_for_http());

    browser
        .nest("/api/admin/v1", crate::admin_api::router(state).layer(timeout.clone()))
        .nest("/api/v1", crate::partner_api::router(partner, http.request_timeout))
        .layer(middleware::from_fn(limits::request_head))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

/// 200 when the database answers, 503 problem+json when it does not.
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await.map_err(|err| {
        tracing::error!(%err, "health check: database unreachable");
        ApiError(AppError::new(ErrorCode::Unavailable, "The database is not answering."))
    })?;
    let database = match state.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(Json(Health { status: "ok", database }))
}
