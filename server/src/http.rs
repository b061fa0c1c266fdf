//! The HTTP surface: Leptos pages and server functions, the operations
//! endpoints (`/healthz`, `/readyz`, `/metrics`), and (in their own modules)
//! the partner and admin APIs, with the layers they share.

use crate::{config::HttpLimits, csrf, limits, problem::ApiError};

use app::{
    App,
    assets::SiteAssets,
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
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

/// What the operations endpoints need besides the state.
#[derive(Clone, Debug)]
pub struct Operations {
    pub metrics: crate::metrics::Metrics,
    pub metrics_token: Option<Arc<str>>,
    /// Set once shutdown began: `/readyz` answers 503.
    pub draining: Arc<AtomicBool>,
    pub trusted_proxies: app::net::TrustedProxies,
}

pub fn router(
    state: AppState,
    partner: crate::partner_api::PartnerState,
    options: LeptosOptions,
    assets: SiteAssets,
    http: HttpLimits,
    operations: Operations,
) -> Router {
    let routes = generate_route_list(App);
    let secure = state.settings.secure_cookies;
    let pkg = pkg_files(&options, assets.clone());
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(assets.clone());
        }
    };
    let pages = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(options)
        // Merged before the layer below, so it covers them too (a layer
        // applies only to the routes added before it).
        .merge(crate::exports::router(state.clone()))
        // Pages, server functions and CSV exports carry a reseller's or
        // the operator's data: no cache keeps them (`/pkg` says otherwise,
        // below).
        .layer(no_store())
        .nest_service("/pkg", pkg);

    let health = Router::new()
        .route("/healthz", get(healthz))
        .with_state(state.clone())
        .route("/readyz", get(readyz))
        .with_state((state.clone(), operations.draining.clone()))
        .route("/metrics", get(crate::metrics::scrape))
        .with_state(crate::metrics::Scrape {
            metrics: operations.metrics.clone(),
            state: state.clone(),
            token: operations.metrics_token.clone(),
        });

    // What browsers use: cross-site protection and request tracing. The
    // REST APIs authenticate with bearer credentials (no cookies, so no
    // CSRF), and the partner API records every request in its own log, so
    // its hot path carries neither layer.
    let timeout = middleware::from_fn_with_state(http.request_timeout, limits::timeout);
    let browser = pages
        .merge(health)
        .layer(middleware::from_fn(limits::server_fn_status))
        .layer(timeout.clone())
        .layer(middleware::from_fn(csrf::protect))
        .layer(TraceLayer::new_for_http());

    // Both APIs answer with accounts, statements (as CSV too) and logs:
    // never stored either.
    let routes = browser
        .nest(
            "/api/admin/v1",
            crate::admin_api::router(state, operations.metrics.clone())
                .layer(timeout.clone())
                .layer(no_store()),
        )
        .nest(
            "/api/v1",
            crate::partner_api::router(partner, http.request_timeout).layer(no_store()),
        )
        .layer(middleware::from_fn(limits::request_head));
    // Only when proxies are configured: without them nothing is believed
    // and the request path does no extra work.
    let routes = if operations.trusted_proxies.is_empty() {
        routes
    } else {
        routes.layer(middleware::from_fn_with_state(
            Arc::new(operations.trusted_proxies),
            forwarded_client,
        ))
    };
    // Behind https (the public URL says so) browsers are told to come back
    // only over https.
    let routes = if secure {
        routes.layer(security_header(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        routes
    };
    routes
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
}

/// `/pkg`: the wasm, JS and stylesheet, sent brotli- or gzip-compressed
/// from the copies the build made when the browser accepts them. A hashed
/// name never changes content, so browsers keep it a year without asking;
/// any other file is revalidated.
fn pkg_files(options: &LeptosOptions, assets: SiteAssets) -> Router {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let files = tower_http::services::ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(Arc::new(assets), asset_caching))
}

async fn asset_caching(
    State(assets): State<Arc<SiteAssets>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let immutable = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|name| assets.is_immutable(name));
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        let policy = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Names the client a trusted proxy forwarded the request for (see
/// `app::net::TrustedProxies`); `client_address` reads it.
async fn forwarded_client(
    State(proxies): State<Arc<app::net::TrustedProxies>>,
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(client) = peer.and_then(|peer| proxies.client(peer, request.headers())) {
        request.extensions_mut().insert(app::net::ForwardedClient(client));
    }
    next.run(request).await
}

/// `Cache-Control: no-store` unless the response chose its own policy.
fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    security_header(header::CACHE_CONTROL, "no-store")
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

#[derive(serde::Serialize)]
struct Readiness {
    status: &'static str,
    database: &'static str,
    migrations: &'static str,
}

/// 200 when this instance should get traffic: the database answers and
/// every migration this build knows is applied; 503 problem+json when not,
/// and while the instance drains on shutdown.
async fn readyz(State((state, draining)): State<(AppState, Arc<AtomicBool>)>) -> Result<Json<Readiness>, ApiError> {
    let not_ready = |why: &str| ApiError(AppError::new(ErrorCode::Unavailable, why));
    if draining.load(Ordering::Acquire) {
        return Err(not_ready("This instance is shutting down."));
    }
    let applied = state.store.migrations_applied().await.map_err(|err| {
        tracing::error!(%err, "readiness check: database unreachable");
        not_ready("The database is not answering.")
    })?;
    if !applied {
        return Err(not_ready(
            "The database lacks migrations this version needs: run `fluxbilling migrate`.",
        ));
    }
    let database = match state.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(Json(Readiness {
        status: "ready",
        database,
        migrations: "applied",
    }))
}
