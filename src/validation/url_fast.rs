//! The URL fast path: the common `http(s)://host[:port]/…` shape recognised without
//! allocating, with exactly the parser's answer; everything else goes to
//! `url::Url::parse`.

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

/// Longest URL the fast path looks at.
const MAX_LEN: usize = 4096;

/// Recognises the common, unambiguous URL shape without allocating: ASCII,
/// `http://` or `https://`, a domain host of `[A-Za-z0-9-]` labels (the last label not
/// a number in the URL standard's sense — decimal, or `0x` hex — so never an IP
/// literal; never `localhost`; no `xn--` label, whose punycode the parser validates),
/// an optional decimal port, and a path/query/fragment of printable ASCII.
/// Everything else returns `None` and goes through `url::Url::parse`: the fast path
/// accepts only what the parser accepts, with the same scheme, host and port
/// (property-tested below).
///
/// Two scans decide it: [`common_shape`], 16 bytes at a time, accepts the usual URL
/// (a host of sound labels, no port) cheaply; the byte-by-byte [`quick_url_general`]
/// decides everything else. The first only ever accepts what the second accepts,
/// with the same answer (property-tested), so `quick_url` is exactly
/// `quick_url_general`, only cheaper.
pub(crate) fn quick_url(s: &str) -> Option<QuickUrl<'_>> {
    match common_shape(s) {
        Some(q) => Some(q),
        None => quick_url_general(s),
    }
}

/// `(https, index of the host)` for an `https://` or `http://` URL.
#[inline]
fn scheme(b: &[u8]) -> Option<(bool, usize)> {
    if b.starts_with(b"https://") {
        Some((true, 8))
    } else if b.starts_with(b"http://") {
        Some((false, 7))
    } else {
        None
    }
}

/// Bytes per window of [`common_shape`]'s host scan: one 128-bit vector register
/// (SSE2 on x86-64, NEON on aarch64). The per-window loops below are branch-free
/// folds over fixed-size arrays, which LLVM turns into a few vector instructions
/// each (a compare per byte class and a `pmovmskb`); elsewhere they are plain loops.
const WINDOW: usize = 16;

/// The accepting half of [`quick_url`], for the usual shape: `http(s)://`, a host
/// whose labels need no per-label look (no two adjacent `-`/`.` anywhere in its
/// windows, at most 63 bytes, starting and ending with a letter or digit), then `/`,
/// `?`, `#` or the end (no port), then a [`tail_ok`] path/query/fragment, the whole at
/// least 17 bytes past the scheme. `None` leaves the URL to [`quick_url_general`]
/// (which also rejects what must be rejected); `Some` is always its answer too.
///
/// Why it agrees: the host ends at the first byte that is not `[A-Za-z0-9.-]`, as
/// there. A host of at most 63 bytes, not starting or ending with `-`/`.`, without
/// two adjacent `-`/`.` has labels that are non-empty, at most 63 bytes long, do not
/// start or end with `-` (a `-` next to a `.`, or at either end of the host) and are
/// not `xn--` (no `--`): the general scan's [`label_ok`] holds for each. The last
/// label, the delimiter and the tail get the general scan's own tests.
#[inline]
fn common_shape(s: &str) -> Option<QuickUrl<'_>> {
    let b = s.as_bytes();
    let (https, start) = scheme(b)?;
    if b.len() > MAX_LEN {
        return None;
    }
    // The host, window by window: 16 bytes and the byte after them, which the
    // pair test needs and which ends the host when the window is all host bytes.
    // A URL too short for one window past the scheme is left to the general scan.
    if b.len() < start + WINDOW + 1 {
        return None;
    }
    let last_window = b.len() - (WINDOW + 1);
    // The host starts with a letter or digit (so it is not empty).
    if HOST_CLASS[usize::from(b[start])] & (H_ALPHA | H_DIGIT) == 0 {
        return None;
    }
    let mut i = start;
    // The host's end, its last byte, and the byte after it (`None`: the string's end).
    let (end, last, delim) = loop {
        // Near the end of the string the window slides back to end with it:
        // re-reading host bytes is harmless.
        let j = i.min(last_window);
        let w = b.get(j..)?.first_chunk::<{ WINDOW + 1 }>()?;
        // ".." ".-" "-." "--" (an `xn--` label has one): the general scan sorts it
        // out label by label. The pair may lie past the host (a path "/.."), which
        // only costs that scan.
        let pairs = (0..WINDOW).fold(0u8, |acc, k| {
            acc | u8::from(is_dot_or_hyphen(w[k]) & is_dot_or_hyphen(w[k + 1]))
        });
        if pairs != 0 {
            return None;
        }
        if let Some(k) = first_non_host_byte(w) {
            // k > 0: w[0] is b[start], or a byte the previous window found in the host.
            break (j + k, w[k.checked_sub(1)?], Some(w[k]));
        }
        if HOST_CLASS[usize::from(w[WINDOW])] & (H_LABEL | H_DOT) == 0 {
            break (j + WINDOW, w[WINDOW - 1], Some(w[WINDOW]));
        }
        if j == last_window {
            break (b.len(), w[WINDOW], None);
        }
        i = j + WINDOW;
    };
    if delim.is_some_and(|c| HOST_CLASS[usize::from(c)] & H_PATH == 0) {
        return None;
    }
    // The only host bytes below '0' are '-' and '.'.
    if end - start > 63 || last < b'0' {
        return None;
    }
    if !ends_last_label_plainly(last) && !last_label_ok(b.get(start..end)?) {
        return None;
    }
    if !tail_ok(b, end) {
        return None;
    }
    Some(QuickUrl {
        https,
        // ASCII on both sides, so never the default; written without a `?` so that
        // callers which ignore the host (request validation) do not pay for it.
        host: s.get(start..end).unwrap_or_default(),
        port: if https { 443 } else { 80 },
    })
}

/// Whether `c` may be in a fast-path host: an ASCII letter or digit, `-` or `.`.
#[inline(always)]
const fn is_host_byte(c: u8) -> bool {
    // Letters of either case, then 0x2d..=0x39 ("-./0123456789") less the '/'.
    ((c | 0x20).wrapping_sub(b'a') < 26) | ((c.wrapping_sub(b'-') < 13) & (c != b'/'))
}

/// Whether `c` is `-` or `.`.
#[inline(always)]
const fn is_dot_or_hyphen(c: u8) -> bool {
    c.wrapping_sub(b'-') < 2
}

/// The index of the first of the `WINDOW` bytes of `w` (the byte after them is not
/// looked at) that [`is_host_byte`] rejects.
#[inline(always)]
fn first_non_host_byte(w: &[u8; WINDOW + 1]) -> Option<usize> {
    let w = &w[..WINDOW];
    // Usually none: one vector compare answers that.
    if w.iter()
        .fold(0u8, |acc, &c| acc | u8::from(!is_host_byte(c)))
        == 0
    {
        return None;
    }
    // 0xff for each rejected byte, read as a little-endian integer: the first one is
    // at trailing_zeros / 8.
    let mut m = [0u8; WINDOW];
    for (m, &c) in m.iter_mut().zip(w) {
        *m = if is_host_byte(c) { 0 } else { 0xff };
    }
    Some((u128::from_le_bytes(m).trailing_zeros() / 8) as usize)
}

/// Whether the last label of `host` (`[A-Za-z0-9.-]`, not ending in '.') is neither
/// a number in the URL standard's sense — all decimal digits, or `0x`/`0X` and hex
/// digits (the "ends in a number" rule makes the parser read the host as IPv4, or
/// fail) — nor `localhost` (which also rules out `*.localhost`).
#[inline(always)]
fn last_label_ok(host: &[u8]) -> bool {
    host.last().is_some_and(|&c| ends_last_label_plainly(c)) || last_label_ok_slow(host)
}

/// Whether a host ending in `c` passes [`last_label_ok`] for that alone: a last label
/// ending in a letter g–z other than t or x is neither a number nor `localhost`. The
/// common case ("com", "jp", …) then needs no search for the label.
#[inline(always)]
const fn ends_last_label_plainly(c: u8) -> bool {
    matches!(c | 0x20, b'g'..=b's' | b'u'..=b'w' | b'y' | b'z')
}

/// [`last_label_ok`] for a last label that ends in a digit, a–f, t or x.
#[inline(never)]
fn last_label_ok_slow(host: &[u8]) -> bool {
    let last = &host[host.iter().rposition(|&c| c == b'.').map_or(0, |p| p + 1)..];
    let number = last.iter().all(u8::is_ascii_digit)
        || (last.len() >= 2
            && last[0] == b'0'
            && (last[1] | 0x20) == b'x'
            && last[2..].iter().all(u8::is_ascii_hexdigit));
    !number && !last.eq_ignore_ascii_case(b"localhost")
}

/// [`quick_url`] byte by byte, for every shape (explicit ports, labels next to
/// `-`/`.` pairs, short or odd URLs, rejections).
#[cold]
#[inline(never)]
fn quick_url_general(s: &str) -> Option<QuickUrl<'_>> {
    let b = s.as_bytes();
    let (https, mut i) = scheme(b)?;
    if b.len() > MAX_LEN {
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
    if i < b.len() && HOST_CLASS[usize::from(b[i])] & H_END == 0 {
        return None;
    }
    let host = &s[host_start..i];
    if host.len() > 253 || !last_label_ok(host.as_bytes()) {
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
    // Path, query, fragment: printable ASCII only.
    if !tail_ok(b, i) {
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
/// `/`, `?`, `#`: the start of the path, query or fragment.
const H_PATH: u8 = 16;
/// `:`: the start of the port.
const H_PORT: u8 = 32;
/// The bytes that may end a host.
const H_END: u8 = H_PATH | H_PORT;
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
        } else if matches!(b, b'/' | b'?' | b'#') {
            H_PATH
        } else if b == b':' {
            H_PORT
        } else {
            H_BAD
        };
        c += 1;
    }
    t
};

/// Whether every byte of `b[from..]` is printable ASCII (`!`..=`~`, 0x21–0x7e), given
/// that the bytes before `from` are too (they may be read again: the fast path's
/// scheme, host and port are).
///
/// Which printable bytes the path, query and fragment hold does not matter to the
/// fast path's contract: once the authority has ended (at the '/', '?' or '#' after
/// the host or port, or at the end), the URL parser's path, query and fragment
/// states cannot fail (they percent-encode what needs it; `url`'s only error there is
/// an over-4 GiB URL) nor change the host or port ('\' is just a path separator
/// there). So the tail test only keeps the fast path to plain printable URLs; it is
/// a range test, which vectorises like the host scan (one window of 16 bytes at a
/// time, the last one sliding back to end with `b`).
#[inline(always)]
fn tail_ok(b: &[u8], from: usize) -> bool {
    let Some(last) = b.len().checked_sub(WINDOW) else {
        return b
            .get(from..)
            .is_some_and(|t| t.iter().all(|&c| is_tail_byte(c)));
    };
    let mut j = from.min(last);
    loop {
        let Some(w) = b.get(j..j + WINDOW) else {
            return false;
        };
        if w.iter()
            .fold(0u8, |acc, &c| acc | u8::from(!is_tail_byte(c)))
            != 0
        {
            return false;
        }
        if j == last {
            return true;
        }
        j = (j + WINDOW).min(last);
    }
}

/// Whether `c` is printable ASCII other than the space: 0x21..=0x7e.
#[inline(always)]
const fn is_tail_byte(c: u8) -> bool {
    c.wrapping_sub(0x21) < 0x5e
}

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
            // Shapes around the 16-byte windows of `common_shape`.
            "https://shop.example.com/pay/success?order=000001",
            "https://shop.example.com/webhooks/vt4g",
            "https://shop.example.com",
            "https://shop.example.com?x",
            "https://shop.example.co/x",
            "https://www.shop-example.co.jp/cb",
            "https://www.shop-example.co.jp/checkout/complete?id=1",
            "https://a--b.example.com/path/to/somewhere",
            "https://xn--r8jz45g.example.com/path/to/somewhere",
            "https://shop.example.com./path/to/somewhere",
            "https://shop.example.com-/path/to/somewhere",
            "https://-shop.example.com/path/to/somewhere",
            "https://shop..example.com/path/to/somewhere",
            "https://shop.example.com/../path/to/somewhere",
            "https://shop.example.123/path/to/somewhere",
            "https://shop.example.0x1F/path/to/somewhere",
            "https://shop.example.localhost/path/to/somewhere",
            "https://shop.example.net/path/to/somewhere",
            "https://shop.example.com:8443/path/to/somewhere",
            "https://shop.example.com@evil.example/path/x",
            "https://shop.example.com\\evil.example/path/x",
            "https://SHOP.EXAMPLE.COM/PATH/TO/SOMEWHERE",
            "https://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.example.com/x/y/z",
            "https://shop.example.com/pay/success?order=000001&x=\"",
            // Any printable ASCII after the authority: the parser cannot fail there.
            "https://a.b/{x}|[y]^`z`\"<>\\..\\",
            "https://a.b?q=\\x#\\y",
            "https://a.b#\\x",
            "https://a.b:8080/\\x",
            "https://shop.example.com/a\\b/c{d}?e=[f]&g=<h>#|i|",
            "https://a.b/ x",
            "https://a.b/\tx",
            "https://a.b/\u{7f}",
            "https://a.b/\u{e9}",
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
        assert!(quick_url("https://shop.example.com:8443/x").is_some());
        assert!(quick_url("https://a--b.example.com/path/to/somewhere").is_some());
        assert!(quick_url("https://xn--r8jz45g.example.com/path/to/somewhere").is_none());
        assert!(quick_url("https://shop.example.com/a\\b/c{d}?e=[f]&g=<h>#|i|").is_some());
        assert!(quick_url("https://a.b:8080/\\x").is_some());
        for bad in [
            "https://a.b/ x",
            "https://a.b/\tx",
            "https://a.b/\u{7f}",
            "https://a.b/\u{e9}",
        ] {
            assert!(quick_url(bad).is_none(), "{bad:?}");
        }
        assert!(quick_url("https://a.b\\x").is_none());
        assert!(quick_url("https://a.b:443\\x").is_none());
    }

    /// The window scan's byte class is the general scan's.
    #[test]
    fn host_byte_classes_agree() {
        for c in 0..=255u8 {
            let class = HOST_CLASS[usize::from(c)];
            assert_eq!(is_host_byte(c), class & (H_LABEL | H_DOT) != 0, "{c:#x}");
            assert_eq!(
                is_dot_or_hyphen(c),
                class & (H_HYPHEN | H_DOT) != 0,
                "{c:#x}"
            );
        }
    }

    /// The URL shapes of the validation benchmark take the 16-byte scan, not the
    /// general one (an instruction-count regression guard, not a correctness one).
    #[test]
    fn common_urls_take_the_window_scan() {
        for s in [
            "https://shop.example.com/pay/success?order=000001",
            "https://shop.example.com/webhooks/vt4g",
            "http://shop.example.com/pay/cancel?order=000001",
            "https://www.shop-example.co.jp/checkout/complete?id=1",
            "https://shop.example.net/path/to/somewhere",
            "https://Shop.Example.COM/a/b/c/d/e/f/g/h",
            "https://api.payments.shop-example.co.jp/v1/notify",
        ] {
            let q = common_shape(s);
            assert!(q.is_some(), "{s}");
            assert_eq!(q, quick_url_general(s), "{s}");
        }
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

    /// Merchant-like URLs: longer hosts and paths, so that the window scan of
    /// `common_shape` (hosts across windows, windows sliding back at the end) runs;
    /// mostly well-formed, with the odd piece that the scans must reject or defer.
    fn realistic() -> impl Strategy<Value = String> {
        let scheme = prop::sample::select(vec!["https://", "http://"]);
        let label = prop_oneof![
            8 => prop::sample::select(vec![
                "shop", "example", "www", "api", "co", "jp", "com", "net", "de", "io", "a", "b2",
                "shop-example", "EXAMPLE", "Pay", "x1", "payments-gateway-for-merchants",
            ]),
            1 => prop::sample::select(vec![
                "a--b", "xn--r8jz45g", "0x1f", "123", "localhost", "t", "x", "-a", "a-", "", "ドメイン",
                "a_b", "0x",
            ]),
        ];
        let host = prop::collection::vec(label, 1..7).prop_map(|ls| ls.join("."));
        let after = prop_oneof![
            6 => Just(""),
            1 => prop::sample::select(vec![".", ":443", ":8080", ":", "@x", "\\", "_", "-"]),
        ];
        let piece = prop_oneof![
            8 => prop::sample::select(vec![
                "/", "pay", "success", "?order=000001", "#top", "webhooks", "vt4g", "&x=1", "%41",
                "~u", "-", ".", "=",
            ]),
            1 => prop::sample::select(vec!["..", " ", "\"", "\\", "é", "--", "{", "\t"]),
        ];
        let path = prop::collection::vec(piece, 0..12).prop_map(|p| p.concat());
        (scheme, host, after, path).prop_map(|(s, h, a, p)| format!("{s}{h}{a}{p}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The windows of [`tail_ok`] are the byte-by-byte test, at every length and
        /// offset.
        #[test]
        fn tail_ok_is_bytewise(
            prefix in "[ -~]{0,24}".prop_map(|p| p.replace(' ', "a")),
            b in prop::collection::vec(prop_oneof![
                8 => prop::sample::select(b"az09/?#-._~%!$&'()*+,;=:@\"<>[]{}|^`\\".to_vec()),
                1 => any::<u8>(),
            ], 0..40),
        ) {
            let mut v = prefix.clone().into_bytes();
            v.extend_from_slice(&b);
            prop_assert_eq!(tail_ok(&v, prefix.len()), b.iter().all(|&c| (0x21..=0x7e).contains(&c)));
        }

        /// The window scan accepts only what the general scan accepts, with the same
        /// answer, so `quick_url` is the general scan.
        #[test]
        fn common_shape_agrees_with_the_general_scan(
            s in prop_oneof![url_like(), realistic(), ".{0,40}", "https?://[a-zA-Z0-9.-]{0,40}[/:?#]?[ -~]{0,40}"],
        ) {
            let general = quick_url_general(&s);
            if let Some(q) = common_shape(&s) {
                prop_assert_eq!(Some(q), general, "{:?}", s);
            }
            prop_assert_eq!(quick_url(&s), general, "{:?}", s);
        }

        /// Fast-path accept ⇒ `Url::parse` accepts, with the same scheme, host and port.
        #[test]
        fn fast_path_accept_implies_parser_agrees(
            s in prop_oneof![url_like(), realistic(), ".{0,40}"],
        ) {
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
