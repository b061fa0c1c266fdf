//! The HTTP client deliveries go out with: a timeout per attempt, no
//! redirects (a redirect could lead to an internal address), and a DNS
//! resolver that drops loopback, private, link-local and other non-public
//! addresses unless `FLUX_WEBHOOK_ALLOW_PRIVATE` is on. The check runs at
//! delivery time, on every attempt: DNS answers change after a URL is saved.

use app::net;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::{net::SocketAddr, sync::Arc, time::Duration};

struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| net::is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// `in_flight`: attempts the worker runs at once; as many idle connections
/// per host are kept, so a busy receiver's connections are reused rather
/// than closed and opened again after each attempt.
pub fn build(timeout: Duration, allow_private: bool, in_flight: usize) -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a default TLS provider (no aws-lc C build):
    // install ring's once per process; a second call just reports "already".
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("FluxBilling-Webhooks/", env!("CARGO_PKG_VERSION")))
        // HTTP(S)_PROXY in the environment must not route deliveries (nor
        // carry them past the address checks below).
        .no_proxy()
        .pool_max_idle_per_host(in_flight.max(1));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

/// Refuses a URL before sending (the rules of `app::net::webhook_url`;
/// the resolver above refuses host names that resolve privately).
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    net::webhook_url(url, allow_private).map_err(str::to_owned)
}
