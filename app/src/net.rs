//! Which network addresses the server may call (webhook targets): public
//! unicast only, unless the operator allows private ones (tests, local
//! development). Checked when a URL is saved and again at every delivery,
//! since DNS answers change. And who is calling: the TCP peer, or behind
//! trusted proxies the client they name in `X-Forwarded-For`; and what the
//! per-address limits count that client as (an IPv6 client by its /64).

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

/// The client's address when a trusted proxy forwarded the request
/// (inserted by the server's first layer, see [`TrustedProxies`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardedClient(pub IpAddr);

/// The client a trusted proxy named, else the TCP peer (`X-Forwarded-For`
/// from anyone else is ignored: it is whatever the sender wants it to be).
fn client_ip(extensions: &http::Extensions) -> Option<IpAddr> {
    if let Some(ForwardedClient(ip)) = extensions.get::<ForwardedClient>() {
        return Some(*ip);
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The address the API log records: the client's own.
pub fn client_address(extensions: &http::Extensions) -> String {
    client_ip(extensions).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// What every per-address limit counts the client as (failed
/// authentication, sign-ins, registrations): see [`limit_key`].
pub fn client_limit_key(extensions: &http::Extensions) -> String {
    client_ip(extensions).map_or_else(|| "unknown".to_owned(), limit_key)
}

/// An IPv4 address as itself; an IPv6 address as its /64. An IPv6
/// subscriber is given at least a /64 and may send from any of its 2^64
/// addresses, so counting single addresses would let one client rotate
/// past every limit. IPv4 addresses written as IPv6 (`::ffff:a.b.c.d`, as
/// a dual-stack listener sees them) count as the IPv4 address, not as one
/// /64 shared by every IPv4 client.
pub fn limit_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
    }
}

/// The proxies (load balancers) whose `X-Forwarded-For` is believed
/// (`FLUX_TRUSTED_PROXIES`: addresses or networks, comma-separated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("`{item}` is not an IP address or network (such as 10.0.0.0/8)"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request from `peer`: when `peer` is trusted, the
    /// right-most address of `X-Forwarded-For` that is not itself a
    /// trusted proxy. Each proxy appends the address it saw, to the last
    /// line or as a line of its own, so the lines are read as one list
    /// (a client's own line comes first and could name anyone); entries
    /// left of the first untrusted one could be forged. `None` when the
    /// peer is the client (untrusted peer, no header, or an entry right of
    /// the client's that is not an address).
    pub fn client(&self, peer: IpAddr, headers: &http::HeaderMap) -> Option<IpAddr> {
        if !self.trusts(peer) {
            return None;
        }
        let mut nearest = None;
        for line in headers.get_all("x-forwarded-for").iter().rev() {
            for entry in line.to_str().ok()?.rsplit(',') {
                let ip = forwarded_address(entry.trim())?;
                if !self.trusts(ip) {
                    return Some(ip);
                }
                nearest = Some(ip);
            }
        }
        nearest
    }
}

/// One `X-Forwarded-For` entry: an address, or an address with the port
/// some proxies add (`203.0.113.7:5678`, `[2001:db8::1]:443`), or a
/// bracketed IPv6 address without one.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(lines: &[&str]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", line.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        let lb = ip("10.0.0.5");
        let client = |lines: &[&str]| proxies.client(lb, &forwarded(lines));
        assert_eq!(client(&["203.0.113.7"]), Some(ip("203.0.113.7")));
        assert_eq!(
            client(&["198.51.100.1, 203.0.113.7, 10.0.0.9"]),
            Some(ip("203.0.113.7")),
            "a forged left-most entry is not believed"
        );
        assert_eq!(client(&["10.0.0.8"]), Some(ip("10.0.0.8")));
        assert_eq!(client(&[]), None);
        assert_eq!(client(&["not an address"]), None);
        assert_eq!(
            client(&["198.51.100.1, not an address"]),
            None,
            "what the nearest proxy wrote is not an address: nobody is named"
        );
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &forwarded(&["198.51.100.1"])),
            None,
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.5"), &forwarded(&["203.0.113.7"])),
            Some(ip("203.0.113.7")),
            "a trusted IPv4 proxy seen by a dual-stack listener"
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }

    #[test]
    fn header_lines_are_read_as_one_list_from_the_last() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let client = |lines: &[&str]| proxies.client(ip("10.0.0.5"), &forwarded(lines));
        // The client sent the first line; the proxy appended the second.
        assert_eq!(client(&["203.0.113.50", "198.51.100.7"]), Some(ip("198.51.100.7")));
        assert_eq!(
            client(&["203.0.113.50", "198.51.100.7, 10.0.0.9", "10.0.0.8"]),
            Some(ip("198.51.100.7")),
            "past the trusted hops of every line"
        );
        assert_eq!(client(&["198.51.100.7", "10.0.0.9"]), Some(ip("198.51.100.7")));
    }

    #[test]
    fn ports_are_not_part_of_the_address() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let client = |line: &str| proxies.client(ip("10.0.0.5"), &forwarded(&[line]));
        assert_eq!(client("203.0.113.7:5678"), Some(ip("203.0.113.7")));
        assert_eq!(client("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(client("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(client("2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(
            client("203.0.113.7:5678, 10.0.0.9:80"),
            Some(ip("203.0.113.7")),
            "a trusted hop with a port is still trusted"
        );
        for malformed in [
            "203.0.113.7:",
            "[2001:db8::1",
            "2001:db8::1]:443",
            "203.0.113.7:99999",
            "",
        ] {
            assert_eq!(client(malformed), None, "{malformed:?}");
        }
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(limit_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), "2001:db8:1:2::/64");
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
        assert_eq!(
            limit_key(ip("::ffff:203.0.113.7")),
            "203.0.113.7",
            "IPv4 as IPv6 is IPv4"
        );
        assert_ne!(limit_key(ip("::ffff:203.0.113.7")), limit_key(ip("::ffff:203.0.113.8")));
        assert_eq!(limit_key(ip("::1")), "::/64");
    }

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
