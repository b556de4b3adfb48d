//! Minimal hex helpers shared by the webhook and redirect modules.
//!
//! Decoding is not constant-time: it only ever sees public values (a MAC taken
//! from a header, a key being loaded once at configuration time).

const LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`.
pub(crate) fn encode_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(LOWER[usize::from(b >> 4)]));
        out.push(char::from(LOWER[usize::from(b & 0x0f)]));
    }
    out
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes exactly `2 * N` hex digits (either case) into `N` bytes.
pub(crate) fn decode_fixed<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Decodes an even number of hex digits (either case).
pub(crate) fn decode_vec(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

/// `true` when every byte is a hex digit.
pub(crate) fn is_hex(s: &[u8]) -> bool {
    s.iter().all(|&c| nibble(c).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_case() {
        let bytes = [0u8, 1, 0xab, 0xff, 0x10];
        let h = encode_lower(&bytes);
        assert_eq!(h, "0001abff10");
        assert_eq!(decode_fixed::<5>(h.as_bytes()), Some(bytes));
        assert_eq!(decode_fixed::<5>(b"0001ABFF10"), Some(bytes));
        assert_eq!(decode_vec(b"0001aBfF10"), Some(bytes.to_vec()));
        assert_eq!(decode_fixed::<5>(b"0001abff1"), None);
        assert_eq!(decode_fixed::<5>(b"0001abff1g"), None);
        assert_eq!(decode_vec(b"abc"), None);
        assert_eq!(decode_vec(b"zz"), None);
        assert!(is_hex(b"09afAF"));
        assert!(!is_hex(b"09afAFg"));
    }
}
