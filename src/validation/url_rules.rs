//! URL checks: parseability, https, port 443, no private/loopback/link-local address.

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

/// What the allocation-free fast path learned about a plain `http(s)://host[:port]/…` URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuickUrl<'a> {
    /// The scheme is `https`.
    pub https: bool,
    /// The host as written (the parser lowercases it).
    pub host: &'a str,
    /// The port (explicit, or the scheme's default).
    pub port: u16,
}

/// Recognises the common, unambiguous URL shape without allocating: ASCII,
/// `http://` or `https://`, a domain host of `[A-Za-z0-9-]` labels (the last label not
/// a number in the URL standard's sense — decimal, or `0x` hex — so never an IP
/// literal; never `localhost`; no `xn--` label, whose punycode the parser validates),
/// an optional decimal port, and a path/query/fragment of printable URL characters.
/// Everything else returns `None` and goes through `url::Url::parse`: the fast path
/// accepts only what the parser accepts, with the same scheme, host and port
/// (property-tested below).
pub(crate) fn quick_url(s: &str) -> Option<QuickUrl<'_>> {
    let b = s.as_bytes();
    let (https, mut i) = if b.starts_with(b"https://") {
        (true, 8)
    } else if b.starts_with(b"http://") {
        (false, 7)
    } else {
        return None;
    };
    if b.len() > 4096 {
        return None;
    }
    // Host: labels of [A-Za-z0-9-], not starting/ending with '-', separated by '.'.
    // Each label is one tight scan (a table lookup and a test per byte); the label's
    // checks run once at its end.
    let host_start = i;
    let mut label_start;
    loop {
        label_start = i;
        i += b[i..]
            .iter()
            .position(|&c| HOST_CLASS[usize::from(c)] & H_LABEL == 0)
            .unwrap_or(b.len() - i);
        if !label_ok(&b[label_start..i]) {
            return None;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
        } else {
            break;
        }
    }
    if i < b.len() && HOST_CLASS[usize::from(b[i])] != H_END {
        return None;
    }
    let host = &s[host_start..i];
    let last = &b[label_start..i];
    if last.iter().all(u8::is_ascii_digit) || host.len() > 253 {
        return None;
    }
    // The URL standard's "ends in a number": the last label `0x`/`0X` + hex digits is
    // an IPv4 number too.
    if last.len() >= 2
        && last[0] == b'0'
        && (last[1] | 0x20) == b'x'
        && last[2..].iter().all(u8::is_ascii_hexdigit)
    {
        return None;
    }
    // `localhost` or `*.localhost`: labels are non-empty and hold no '.', so that is
    // exactly "the last label is `localhost`" (one 9-byte test instead of two).
    if last.eq_ignore_ascii_case(b"localhost") {
        return None;
    }
    let mut port = if https { 443 } else { 80 };
    if i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        let mut n: u32 = 0;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 5 {
            n = n * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        if i == start || n > u32::from(u16::MAX) {
            return None;
        }
        port = n as u16;
        if i < b.len() && !matches!(b[i], b'/' | b'?' | b'#') {
            return None;
        }
    }
    // Path, query, fragment: printable URL characters only (branch-free over the tail).
    if !tail_ok(&b[i..]) {
        return None;
    }
    Some(QuickUrl { https, host, port })
}

/// A label of a fast-path host: 1 to 63 bytes, not starting or ending with '-', and
/// not a punycode (`xn--`) label, which the parser decodes
/// and validates (IDNA).
fn label_ok(l: &[u8]) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && l[0] != b'-'
        && l[l.len() - 1] != b'-'
        && !(l.len() >= 4 && l[..4].eq_ignore_ascii_case(b"xn--"))
}

const H_BAD: u8 = 0;
const H_ALPHA: u8 = 1;
const H_DIGIT: u8 = 2;
const H_HYPHEN: u8 = 4;
const H_DOT: u8 = 8;
const H_END: u8 = 16;
/// The classes of the bytes inside a label.
const H_LABEL: u8 = H_ALPHA | H_DIGIT | H_HYPHEN;

/// The class of each byte in a fast-path host.
static HOST_CLASS: [u8; 256] = {
    let mut t = [H_BAD; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() {
            H_ALPHA
        } else if b.is_ascii_digit() {
            H_DIGIT
        } else if b == b'-' {
            H_HYPHEN
        } else if b == b'.' {
            H_DOT
        } else if matches!(b, b':' | b'/' | b'?' | b'#') {
            H_END
        } else {
            H_BAD
        };
        c += 1;
    }
    t
};

/// Whether every byte of `b` is one [`TAIL_OK`] accepts (empty: yes).
#[inline]
fn tail_ok(b: &[u8]) -> bool {
    super::and_over_table(&TAIL_OK, b) != 0
}

/// The bytes accepted unescaped in the path/query/fragment by the fast path (ASCII
/// only): 1 for an accepted byte, 0 otherwise.
static TAIL_OK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 128 {
        let b = c as u8;
        let ok = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'?'
                    | b'#'
                    | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        t[c] = ok as u8;
        c += 1;
    }
    t
};

#[cfg(test)]
mod quick_tests {
    use super::*;

    #[test]
    fn quick_path_agrees_with_the_parser() {
        let samples = [
            "https://shop.example.com/cb?x=1&y=2#f",
            "http://shop.example.com:8080/",
            "https://a.b",
            "https://shop.example.com:443",
            "https://xn--r8jz45g.jp/path",
            "https://a.0x1f/",
            "https://a.0X/",
            "https://a.0xg/",
            "https://127.0.0.1/",
            "https://localhost/",
            "https://a..b/",
            "https://-a.b/",
            "https://a.b:99999/",
            "https://a.b/ space",
            "https://ドメイン.jp/",
            "https://user@a.b/",
            "https://a.123/",
            "https://a-.b/",
            "https://a.b-/",
            "https://a.b:/",
            "https://a.b:80x/",
            "https://a.b.",
            "https://A.B/%41",
            "https://a.b?q=1",
            "https://a.b#f",
        ];
        for s in samples {
            if let Some(q) = quick_url(s) {
                let u = url::Url::parse(s).expect(s);
                assert_eq!(q.https, u.scheme() == "https", "{s}");
                assert_eq!(Some(q.port), u.port_or_known_default(), "{s}");
                assert!(matches!(u.host(), Some(url::Host::Domain(_))), "{s}");
                assert_eq!(
                    u.host_str(),
                    Some(q.host.to_ascii_lowercase().as_str()),
                    "{s}"
                );
            }
        }
        assert!(quick_url("https://a.0x1f/").is_none());
        assert!(quick_url("https://xn--r8jz45g.jp/").is_none());
        assert!(quick_url("https://shop.example.com/cb").is_some());
        assert!(quick_url("https://127.0.0.1/").is_none());
        assert!(quick_url("https://localhost/").is_none());
        assert!(quick_url("https://api.localhost/").is_none());
    }
}

#[cfg(test)]
mod quick_props {
    use super::*;
    use proptest::prelude::*;

    /// Pieces that make URL-like strings near the fast path's edges.
    fn url_like() -> impl Strategy<Value = String> {
        let scheme = prop::sample::select(vec![
            "https://", "http://", "HTTPS://", "ftp://", "https:/", "https:", "",
        ]);
        let label = prop::sample::select(vec![
            "a",
            "shop",
            "A",
            "xn--r8jz45g",
            "xn--zz",
            "XN--ab",
            "0x1f",
            "0X",
            "0xg",
            "123",
            "0",
            "-a",
            "a-",
            "a-b",
            "localhost",
            "LOCALHOST",
            "ドメイン",
            "%41",
            "a_b",
            "",
            "127",
            "0x",
            "09",
            "a1",
            "1a",
        ]);
        let host = prop::collection::vec(label, 1..5).prop_map(|ls| ls.join("."));
        let dot = prop::sample::select(vec!["", ".", ".."]);
        let port = prop::sample::select(vec![
            "", ":", ":443", ":80", ":0", ":65535", ":65536", ":99999", ":0443", ":4a", ":-1",
        ]);
        let tail = prop::collection::vec(
            prop::sample::select(vec![
                "/", "?", "#", "a", "%", "%zz", "%41", " ", "\\", "\t", "é", "@", ":", "[", "]",
                "{", "|", "^", "`", "\"", "<", "'", "~", "=", "&", ";", ",", "!", "$", "(", ")",
                "*", "+",
            ]),
            0..8,
        )
        .prop_map(|p| p.concat());
        (scheme, host, dot, port, tail).prop_map(|(s, h, d, p, t)| format!("{s}{h}{d}{p}{t}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The grouped AND of [`tail_ok`] is the byte-by-byte test, at every length.
        #[test]
        fn tail_ok_is_bytewise(b in prop::collection::vec(prop_oneof![
            8 => prop::sample::select(b"az09/?#-._~%!$&'()*+,;=:@".to_vec()),
            1 => any::<u8>(),
        ], 0..40)) {
            prop_assert_eq!(tail_ok(&b), b.iter().all(|&c| TAIL_OK[usize::from(c)] == 1));
        }

        /// Fast-path accept ⇒ `Url::parse` accepts, with the same scheme, host and port.
        #[test]
        fn fast_path_accept_implies_parser_agrees(s in prop_oneof![url_like(), ".{0,40}"]) {
            if let Some(q) = quick_url(&s) {
                let u = url::Url::parse(&s);
                prop_assert!(u.is_ok(), "{s:?}: {u:?}");
                let u = u.unwrap();
                prop_assert_eq!(u.scheme(), if q.https { "https" } else { "http" });
                prop_assert!(matches!(u.host(), Some(url::Host::Domain(_))), "{s:?}");
                let host = q.host.to_ascii_lowercase();
                prop_assert_eq!(u.host_str(), Some(host.as_str()));
                prop_assert_eq!(u.port_or_known_default(), Some(q.port));
            }
        }
    }
}
