//! Which network addresses the server may call (webhook targets): public
//! unicast only, unless the operator allows private ones (tests, local
//! development). Checked when a URL is saved and again at every delivery,
//! since DNS answers change.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A webhook URL as the server will call it: https (http only where private
/// targets are allowed, i.e. development), a host, no credentials, at most
/// 2,000 characters, and no IP literal outside public space. Checked when a
/// URL is saved and again before every attempt; host names are resolved
/// separately (on save, and by the delivery client's resolver).
pub fn webhook_url(raw: &str, allow_private: bool) -> Result<url::Url, &'static str> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err("The URL is too long.");
    }
    let url = url::Url::parse(raw).map_err(|_| "Enter a full URL such as https://example.com/webhooks.")?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("Webhook URLs must use https."),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Webhook URLs must not carry credentials.");
    }
    let literal = match url.host() {
        None => return Err("The URL has no host."),
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
    };
    if !allow_private && literal.is_some_and(|ip| !is_public(ip)) {
        return Err("The URL points to a private, loopback or link-local address.");
    }
    Ok(url)
}

/// Loopback, private, link-local, shared (CGNAT), multicast, documentation,
/// benchmarking, reserved and unspecified addresses are not public.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..=127).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..=19).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some networks)
        || is_nat64(ip) // translated to IPv4 by a gateway: could reach any IPv4 address
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || ip.to_ipv4().is_some_and(|v4| !is_public_v4(v4)) && first == 0) // IPv4-compatible
}

/// NAT64 prefixes: the well-known `64:ff9b::/96` and the local-use
/// `64:ff9b:1::/48` (RFC 6052, RFC 8215).
fn is_nat64(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    s[0] == 0x64 && s[1] == 0xff9b && (s[2] == 1 || s[2..6] == [0, 0, 0, 0])
}

/// The TCP peer's address, which throttles key on (`X-Forwarded-For` is
/// not trusted: see the README on running behind a reverse proxy).
pub fn client_address(extensions: &http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        assert!(webhook_url("https://93.184.216.34/hook", false).is_ok());
        assert!(webhook_url("https://hooks.example.com/x?y=1", false).is_ok());
        assert!(webhook_url("http://93.184.216.34/hook", false).is_err(), "https only");
        assert!(webhook_url("https://127.0.0.1/hook", false).is_err());
        assert!(webhook_url("https://[::1]/hook", false).is_err());
        assert!(webhook_url("https://10.1.1.1/hook", false).is_err());
        assert!(webhook_url("https://user:pw@example.com/", false).is_err());
        assert!(webhook_url(&format!("https://example.com/{}", "a".repeat(2000)), false).is_err());
        assert!(
            webhook_url("http://127.0.0.1:8080/hook", true).is_ok(),
            "allowed in development"
        );
        assert!(webhook_url("ftp://example.com", true).is_err());
        assert!(webhook_url("not a url", true).is_err());
    }

    #[test]
    fn refused_addresses() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::808:808",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:abcd::1",
            "fec0::1",
            "feff::1",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            assert!(!is_public(ip), "{text} must be refused");
        }
    }

    #[test]
    fn public_addresses() {
        for text in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            assert!(is_public(ip), "{text} is public");
        }
    }
}
