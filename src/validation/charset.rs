//! The ASCII character sets of the rules (`Charset`): one byte-class table, scanned
//! a group of bytes at a time.

use vt4g_generated::rules::Charset;

pub(super) fn first_outside(cs: Charset, s: &str) -> Option<(usize, char)> {
    if cs == Charset::Digits && s.is_empty() {
        return Some((0, ' '));
    }
    // Every charset is ASCII-only: one table lookup per byte. The first byte outside
    // the set is either an ASCII character or the first byte of a non-ASCII one; every
    // byte before it is ASCII, so its byte index is its character index.
    let bit = charset_bit(cs);
    let b = s.as_bytes();
    // The common case (no character outside the set): one branch-free AND of table
    // entries over all bytes; the exact position is searched only after a miss.
    if and_of_classes(b) & bit != 0 {
        return None;
    }
    let i = b
        .iter()
        .position(|&c| CHARSET_BYTES[usize::from(c)] & bit == 0)?;
    s[i..].chars().next().map(|c| (i, c))
}

/// The AND of the [`CHARSET_BYTES`] entries of all bytes of `b`: the charsets that
/// allow every byte.
#[inline]
pub(super) fn and_of_classes(b: &[u8]) -> u8 {
    and_over_table(&CHARSET_BYTES, b)
}

/// The AND of `table[byte]` over every byte of `b` (`0xff` for an empty slice). The
/// AND is idempotent, so the last group of bytes may overlap the ones before it: whole
/// 8-byte groups (and one overlapping group for the rest), or two overlapping 4-byte
/// groups, with no byte-at-a-time tail loop except below 4 bytes.
#[inline]
fn and_over_table(table: &[u8; 256], b: &[u8]) -> u8 {
    #[inline(always)]
    fn group<const N: usize>(table: &[u8; 256], g: &[u8; N]) -> u8 {
        g.iter().fold(0xff, |acc, &c| acc & table[usize::from(c)])
    }
    let n = b.len();
    if n >= 8 {
        let mut acc = 0xff;
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            if let Ok(g) = <&[u8; 8]>::try_from(c) {
                acc &= group(table, g);
            }
        }
        if !chunks.remainder().is_empty() {
            if let Ok(g) = <&[u8; 8]>::try_from(&b[n - 8..]) {
                acc &= group(table, g);
            }
        }
        acc
    } else if n >= 4 {
        match (
            <&[u8; 4]>::try_from(&b[..4]),
            <&[u8; 4]>::try_from(&b[n - 4..]),
        ) {
            (Ok(x), Ok(y)) => group(table, x) & group(table, y),
            _ => 0,
        }
    } else {
        b.iter().fold(0xff, |acc, &c| acc & table[usize::from(c)])
    }
}

/// The bit of `cs` in [`CHARSET_BYTES`].
pub(super) const fn charset_bit(cs: Charset) -> u8 {
    match cs {
        Charset::Alnum => 1,
        Charset::AlnumHyphenUnderscore => 2,
        Charset::PaypayItemId => 4,
        Charset::Digits => 8,
        Charset::SingleByte => 16,
    }
}

/// The bit of [`CHARSET_BYTES`] set for every ASCII byte.
pub(super) const ASCII_BIT: u8 = 32;

/// For each byte, the charsets (bits of [`charset_bit`]) that allow it, and
/// [`ASCII_BIT`] for the ASCII bytes.
static CHARSET_BYTES: [u8; 256] = {
    const ALL: [Charset; 5] = [
        Charset::Alnum,
        Charset::AlnumHyphenUnderscore,
        Charset::PaypayItemId,
        Charset::Digits,
        Charset::SingleByte,
    ];
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 128 {
        t[c] = ASCII_BIT;
        let mut k = 0;
        while k < ALL.len() {
            if ALL[k].allows(c as u8 as char) {
                t[c] |= charset_bit(ALL[k]);
            }
            k += 1;
        }
        c += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte-table scan (8 bytes per step) finds what the per-character
        /// definition (`Charset::allows`) finds.
        #[test]
        fn first_outside_matches_the_definition(
            s in "[a-zA-Z0-9_*@. ~-]{0,30}(|[^a-z]{0,3})[a-z0-9]{0,12}",
            k in 0..5usize,
        ) {
            let cs = [
                Charset::Alnum,
                Charset::AlnumHyphenUnderscore,
                Charset::PaypayItemId,
                Charset::Digits,
                Charset::SingleByte,
            ][k];
            let expect = if cs == Charset::Digits && s.is_empty() {
                Some((0, ' '))
            } else {
                s.chars().enumerate().find(|(_, c)| !cs.allows(*c))
            };
            prop_assert_eq!(first_outside(cs, &s), expect);
        }
    }
}
