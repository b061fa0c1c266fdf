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

pub fn build(timeout: Duration, allow_private: bool) -> anyhow::Result<reqwest::Client> {
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
        .pool_max_idle_per_host(32);
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

/// Refuses a URL before sending: https unless private targets are allowed
/// (development), and no IP literal outside public space (the resolver is
/// not asked for literals).
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "the webhook URL is not valid".to_owned())?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("webhook URLs must use https".to_owned()),
    }
    if !allow_private {
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(|ip| !net::is_public(ip)) {
            return Err("the webhook URL points to a non-public address".to_owned());
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn urls_checked_before_sending() {
        assert!(check_url("https://93.184.216.34/hook", false).is_ok());
        assert!(check_url("http://93.184.216.34/hook", false).is_err(), "https only");
        assert!(check_url("https://127.0.0.1/hook", false).is_err());
        assert!(check_url("https://[::1]/hook", false).is_err());
        assert!(check_url("https://10.1.1.1/hook", false).is_err());
        assert!(
            check_url("http://127.0.0.1:8080/hook", true).is_ok(),
            "allowed in development"
        );
        assert!(check_url("ftp://example.com", true).is_err());
    }
}
