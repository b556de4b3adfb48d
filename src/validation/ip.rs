//! Address classification for webhook URLs: private, loopback, link-local and
//! unspecified addresses, and `localhost` names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an IP address may not receive webhooks (`None` when it is public).
pub(crate) fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_reason(v4)
                    .map(|_| "an IPv4-mapped private, loopback or reserved address");
            }
            let seg = v6.segments();
            if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_loopback() {
                Some("a loopback address")
            } else if seg[0] & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("a unique-local (private) address")
            } else if seg[0] & 0xffc0 == 0xfec0 {
                Some("a site-local (private) address")
            } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
                Some("a documentation address")
            } else if seg[0] & 0xff00 == 0xff00 {
                Some("a multicast address")
            } else if seg[0] == 0
                && seg[1] == 0
                && seg[2] == 0
                && seg[3] == 0
                && seg[4] == 0
                && seg[5] == 0
            {
                Some("an IPv4-compatible (deprecated) address")
            } else {
                None
            }
        }
    }
}

fn v4_reason(v4: Ipv4Addr) -> Option<&'static str> {
    let o = v4.octets();
    if v4.is_unspecified() || o[0] == 0 {
        Some("the unspecified (\"this network\") address")
    } else if v4.is_loopback() {
        Some("a loopback address")
    } else if v4.is_private() {
        Some("a private address")
    } else if v4.is_link_local() {
        Some("a link-local address")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("a shared (carrier-grade NAT) address")
    } else if v4.is_broadcast() || o[0] >= 240 {
        Some("a reserved or broadcast address")
    } else if v4.is_multicast() {
        Some("a multicast address")
    } else if v4.is_documentation() || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("a documentation or benchmarking address")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("an IETF protocol assignment address")
    } else {
        None
    }
}

/// The host of a parsed URL as an IP address, when it is an IP literal.
pub(crate) fn host_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
        url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
        url::Host::Domain(_) => None,
    }
}

/// Whether a host name is a loopback name (`localhost`, `*.localhost`).
pub(crate) fn is_localhost_name(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        _ => false,
    }
}

/// Whether `ip` is a loopback address (the simulator relaxation accepts only these).
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6 == Ipv6Addr::LOCALHOST || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for a in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "0.0.0.0",
            "169.254.1.1",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            assert!(non_public_reason(ip).is_some(), "{a}");
        }
        for a in [
            "8.8.8.8",
            "172.32.0.1",
            "203.0.112.1",
            "2404:6800:4004::1",
            "1.1.1.1",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            assert_eq!(non_public_reason(ip), None, "{a}");
        }
    }
}
