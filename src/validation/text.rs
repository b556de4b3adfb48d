//! Character measures: bytes vs characters, double-byte (Shift_JIS) classification,
//! device-dependent characters, and the full-width helper.

use std::sync::OnceLock;

use encoding_rs::SHIFT_JIS;

/// The Shift_JIS (windows-31j) classification of a string, computed without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SjisScan {
    /// Characters that encode to one byte (ASCII and half-width katakana).
    pub single_byte: usize,
    /// Characters not representable in windows-31j (emoji, combining marks, …).
    pub unmappable: usize,
    /// Characters in the NEC special, NEC-selected IBM extension or IBM extension rows.
    pub device_dependent: usize,
    /// The first single-byte or unmappable character.
    pub first_not_double: Option<char>,
    /// The first device-dependent character.
    pub first_device_dependent: Option<char>,
}

/// Whether a windows-31j double-byte code is device-dependent: NEC special characters
/// (0x8740–0x879C: ①…⑳, Ⅰ…Ⅹ, ㍉, ㌔, ㈱, …), NEC-selected IBM extensions (0xED40–0xEEFC)
/// and IBM extensions (0xFA40–0xFC4B).
pub(crate) const fn is_device_dependent_code(code: u16) -> bool {
    matches!(code, 0x8740..=0x879C | 0xED40..=0xEEFC | 0xFA40..=0xFC4B)
}

/// The class of a character by its windows-31j encoding (2 bits in [`class_table`]).
const UNMAPPABLE: u8 = 0;
const SINGLE: u8 = 1;
const DOUBLE: u8 = 2;
const DOUBLE_DEVICE_DEPENDENT: u8 = 3;

/// 2 bits per BMP code point (4 per byte, low bits first).
type ClassTable = [u8; 0x10000 / 4];

fn set_class(table: &mut ClassTable, cp: u32, class: u8) {
    let shift = (cp & 3) * 2;
    let byte = &mut table[(cp >> 2) as usize];
    *byte = (*byte & !(3 << shift)) | (class << shift);
}

#[inline(always)]
fn class_in(table: &ClassTable, cp: u32) -> u8 {
    (table[(cp >> 2) as usize] >> ((cp & 3) * 2)) & 3
}

/// The class of every BMP code point under the WHATWG Shift_JIS encoder (= encoding_rs's
/// `SHIFT_JIS` encoder, windows-31j), built once from 48 decoder calls (its cost is in
/// BENCHMARKS.md). Code points above U+FFFF are never encodable (the index is BMP-only).
///
/// The encoder (WHATWG Encoding, "Shift_JIS encoder"): ASCII and U+0080 → that byte;
/// U+00A5 → 0x5C; U+203E → 0x7E; U+FF61..=U+FF9F → 0xA1..=0xDF; U+2212 is encoded as
/// U+FF0D; anything else → the *first* pointer of the code point in index jis0208
/// excluding pointers 8272..=8835 (the NEC-selected IBM extensions, lead bytes 0xED/0xEE),
/// or unmappable. So walking every double-byte code in pointer order with the decoder and
/// keeping the first code per decoded character reproduces the encoder exactly. The
/// decoder's extra mapping of EUDC codes (lead bytes 0xF0..=0xF9, pointers 8836..=10715)
/// to U+E000..=U+E757 is not in the index and is skipped. Checked against the encoder for
/// every BMP code point by the tests.
fn class_table() -> &'static ClassTable {
    static TABLE: OnceLock<Box<ClassTable>> = OnceLock::new();
    TABLE.get_or_init(build_class_table)
}

/// The trail bytes of double-byte codes in pointer order: 0x40..=0x7E, 0x80..=0xFC.
const TRAILS: [u8; 188] = {
    let mut trails = [0u8; 188];
    let mut i = 0;
    while i < 188 {
        trails[i] = if i < 0x3F {
            0x40 + i as u8
        } else {
            0x41 + i as u8
        };
        i += 1;
    }
    trails
};

fn build_class_table() -> Box<ClassTable> {
    let mut table: Box<ClassTable> = Box::new([UNMAPPABLE; 0x10000 / 4]);
    // Double-byte codes in pointer order: lead 0x81..=0x9F, 0xE0..=0xFC, trail
    // 0x40..=0x7E, 0x80..=0xFC (188 per lead).
    let mut src = [0u8; 2 * 188];
    let mut dst = [0u16; 2 * 188];
    for lead in (0x81u8..=0x9F).chain(0xE0..=0xFC) {
        if matches!(lead, 0xED | 0xEE | 0xF0..=0xF9) {
            // Excluded from the encoder's index lookup (pointers 8272..=8835), or EUDC.
            continue;
        }
        for (pair, &trail) in src.chunks_exact_mut(2).zip(&TRAILS) {
            pair.copy_from_slice(&[lead, trail]);
        }
        let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
        let (_, read, written, _) = decoder.decode_to_utf16(&src, &mut dst, true);
        debug_assert_eq!(read, src.len());
        // A mapped code decodes to one non-ASCII unit; an unmapped one to U+FFFD, followed
        // by the trail byte itself when that is ASCII (the decoder re-reads it).
        let mut units = dst[..written].iter().copied();
        for &trail in &TRAILS {
            let Some(unit) = units.next() else { break };
            if unit == 0xFFFD {
                if trail < 0x80 {
                    units.next();
                }
                continue;
            }
            let cp = u32::from(unit);
            if class_in(&table, cp) == UNMAPPABLE {
                let code = u16::from_be_bytes([lead, trail]);
                let class = if is_device_dependent_code(code) {
                    DOUBLE_DEVICE_DEPENDENT
                } else {
                    DOUBLE
                };
                set_class(&mut table, cp, class);
            }
        }
        debug_assert!(units.next().is_none());
    }
    // The encoder's special cases, which take precedence over the index.
    for cp in (0..=0x80).chain([0xA5, 0x203E]).chain(0xFF61..=0xFF9F) {
        set_class(&mut table, cp, SINGLE);
    }
    let minus = class_in(&table, 0xFF0D);
    set_class(&mut table, 0x2212, minus);
    table
}

/// The windows-31j class of `c` ([`UNMAPPABLE`], [`SINGLE`], [`DOUBLE`] or
/// [`DOUBLE_DEVICE_DEPENDENT`]).
#[inline(always)]
fn class_of(table: &ClassTable, c: char) -> u8 {
    let cp = c as u32;
    if cp > 0xFFFF {
        UNMAPPABLE
    } else {
        class_in(table, cp)
    }
}

/// Classifies every character of `s` by its windows-31j encoding (encoding_rs's
/// `SHIFT_JIS` is the WHATWG Shift_JIS = windows-31j): one lookup per character in a
/// 16 KiB table built once ([`class_table`]), instead of the encoder, which searches its
/// index for every kanji.
pub(crate) fn sjis_scan(s: &str) -> SjisScan {
    let mut scan = SjisScan::default();
    if s.is_ascii() {
        scan.single_byte = s.len();
        scan.first_not_double = s.chars().next();
        return scan;
    }
    let table = class_table();
    for c in s.chars() {
        match class_of(table, c) {
            DOUBLE => {}
            DOUBLE_DEVICE_DEPENDENT => {
                scan.device_dependent += 1;
                scan.first_device_dependent.get_or_insert(c);
            }
            SINGLE => {
                scan.single_byte += 1;
                scan.first_not_double.get_or_insert(c);
            }
            _ => {
                scan.unmappable += 1;
                scan.first_not_double.get_or_insert(c);
            }
        }
    }
    scan
}

/// What the fast accept needs of a string's windows-31j classes: its number of
/// characters, whether every character is double-byte, and whether none is
/// device-dependent (the same classes as [`sjis_scan`], without positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SjisSummary {
    /// Characters (Unicode scalar values).
    pub chars: usize,
    /// Every character encodes to a double-byte code (vacuously for "").
    pub all_double: bool,
    /// No character is device-dependent.
    pub no_device_dependent: bool,
}

/// The [`SjisSummary`] of `s`.
pub(crate) fn sjis_summary(s: &str) -> SjisSummary {
    if s.is_ascii() {
        return SjisSummary {
            chars: s.len(),
            all_double: s.is_empty(),
            no_device_dependent: true,
        };
    }
    let table = class_table();
    let (mut chars, mut all, mut any) = (0usize, 0xffu8, 0u8);
    for c in s.chars() {
        let class = class_of(table, c);
        chars += 1;
        // DOUBLE = 2 and DOUBLE_DEVICE_DEPENDENT = 3 have bit 1; only the latter has
        // bit 0 among the double-byte ones.
        all &= class;
        any |= u8::from(class == DOUBLE_DEVICE_DEPENDENT);
    }
    SjisSummary {
        chars,
        all_double: all & DOUBLE != 0,
        no_device_dependent: any == 0,
    }
}

/// The number of characters (Unicode scalar values) of `s`; fast for ASCII.
pub(crate) fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Half-width katakana U+FF61..=U+FF9F → full-width (index = code − 0xFF61).
const HALF_KATAKANA: [char; 63] = [
    '。', '「', '」', '、', '・', 'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ', 'ッ', 'ー',
    'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ',
    'チ', 'ツ', 'テ', 'ト', 'ナ', 'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'マ', 'ミ',
    'ム', 'メ', 'モ', 'ヤ', 'ユ', 'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ', 'ン', '゛', '゜',
];

fn voiced(base: char) -> Option<char> {
    match base {
        'カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ' | 'タ' | 'チ'
        | 'ツ' | 'テ' | 'ト' | 'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => {
            char::from_u32(base as u32 + 1)
        }
        'ウ' => Some('ヴ'),
        'ワ' => Some('ヷ'),
        'ヲ' => Some('ヺ'),
        _ => None,
    }
}

fn semi_voiced(base: char) -> Option<char> {
    match base {
        'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => char::from_u32(base as u32 + 2),
        _ => None,
    }
}

/// Widens half-width characters so that a string can pass a "double byte characters"
/// rule (docomo and au item names).
///
/// - ASCII letters, digits and symbols `!`..=`~` become their full-width forms
///   (U+FF01..=U+FF5E), except `"` → `”` and `'` → `’`, because the full-width
///   quotation mark and apostrophe (U+FF02, U+FF07) are IBM extensions in windows-31j,
///   i.e. device-dependent characters that docomo and au reject;
/// - the space becomes the ideographic space U+3000;
/// - half-width katakana (U+FF61..=U+FF9F) become full-width katakana, composing a
///   following voiced/semi-voiced sound mark: `ｶﾞ` → `ガ`, `ﾊﾟ` → `パ`, `ｳﾞ` → `ヴ`
///   (a mark that cannot compose becomes the full-width `゛`/`゜`);
/// - everything else is unchanged (control characters, emoji and combining marks are
///   not double-byte and still fail the rule).
///
/// ```
/// use vt4g::validation::to_full_width;
/// assert_eq!(to_full_width("ｶﾞｲﾄﾞ Book-1"), "ガイド　Ｂｏｏｋ－１");
/// ```
pub fn to_full_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let w = match c {
            ' ' => '\u{3000}',
            '"' => '”',
            '\'' => '’',
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            '\u{FF61}'..='\u{FF9F}' => HALF_KATAKANA[(c as u32 - 0xFF61) as usize],
            other => other,
        };
        if ('\u{FF61}'..='\u{FF9D}').contains(&c) {
            let composed = match chars.peek() {
                Some('\u{FF9E}') => voiced(w),
                Some('\u{FF9F}') => semi_voiced(w),
                _ => None,
            };
            if let Some(v) = composed {
                chars.next();
                out.push(v);
                continue;
            }
        }
        out.push(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::EncoderResult;
    use proptest::prelude::*;

    /// The former implementation, with encoding_rs's encoder: the reference.
    fn reference_scan(s: &str) -> SjisScan {
        let mut scan = SjisScan::default();
        if s.is_ascii() {
            scan.single_byte = s.len();
            scan.first_not_double = s.chars().next();
            return scan;
        }
        let mut encoder = SHIFT_JIS.new_encoder();
        let mut buf = [0u8; 256];
        let mut pos = 0;
        while pos < s.len() {
            let (result, read, written) =
                encoder.encode_from_utf8_without_replacement(&s[pos..], &mut buf, false);
            let mut chars = s[pos..pos + read].chars();
            let out = &buf[..written];
            let mut i = 0;
            while i < out.len() {
                let Some(c) = chars.next() else { break };
                let lead = out[i];
                let double = matches!(lead, 0x81..=0x9F | 0xE0..=0xFC) && i + 1 < out.len();
                if double {
                    let code = u16::from_be_bytes([lead, out[i + 1]]);
                    if is_device_dependent_code(code) {
                        scan.device_dependent += 1;
                        scan.first_device_dependent.get_or_insert(c);
                    }
                    i += 2;
                } else {
                    scan.single_byte += 1;
                    scan.first_not_double.get_or_insert(c);
                    i += 1;
                }
            }
            if let EncoderResult::Unmappable(c) = result {
                scan.unmappable += 1;
                scan.first_not_double.get_or_insert(c);
            }
            if read == 0 {
                break;
            }
            pos += read;
        }
        scan
    }

    /// The class of every character of `s` by the encoder, in few encoder calls (one per
    /// unmappable character and per 64 KiB of output).
    fn reference_classes(s: &str) -> Vec<u8> {
        let mut classes = Vec::with_capacity(s.len());
        let mut encoder = SHIFT_JIS.new_encoder();
        let mut buf = vec![0u8; 1 << 16];
        let mut pos = 0;
        while pos < s.len() {
            let (result, read, written) =
                encoder.encode_from_utf8_without_replacement(&s[pos..], &mut buf, true);
            let mut out = &buf[..written];
            let mut encoded = s[pos..pos + read].chars();
            if let EncoderResult::Unmappable(_) = result {
                encoded.next_back();
            }
            for c in encoded {
                let len = if matches!(out[0], 0x81..=0x9F | 0xE0..=0xFC) {
                    2
                } else {
                    1
                };
                assert!(out.len() >= len, "{c:?}");
                classes.push(match len {
                    1 => SINGLE,
                    _ if is_device_dependent_code(u16::from_be_bytes([out[0], out[1]])) => {
                        DOUBLE_DEVICE_DEPENDENT
                    }
                    _ => DOUBLE,
                });
                out = &out[len..];
            }
            assert!(out.is_empty());
            if let EncoderResult::Unmappable(_) = result {
                classes.push(UNMAPPABLE);
            }
            assert!(read > 0);
            pos += read;
        }
        classes
    }

    #[test]
    fn class_table_equals_the_encoder_for_every_bmp_char() {
        let bmp: Vec<char> = (0..=0xFFFF).filter_map(char::from_u32).collect();
        let s: String = bmp.iter().collect();
        let expected = reference_classes(&s);
        assert_eq!(expected.len(), bmp.len());
        let table = class_table();
        let mut counts = [0usize; 4];
        for (&c, &want) in bmp.iter().zip(&expected) {
            assert_eq!(class_of(table, c), want, "U+{:04X}", c as u32);
            counts[usize::from(want)] += 1;
        }
        // Sanity: 128 + U+0080, U+00A5, U+203E + 63 half-width katakana are single-byte;
        // the double-byte repertoire is about 7,000 characters (388 device-dependent).
        assert_eq!(counts[usize::from(SINGLE)], 129 + 2 + 63);
        assert!(counts[usize::from(DOUBLE)] > 6500, "{counts:?}");
        assert!(
            counts[usize::from(DOUBLE_DEVICE_DEPENDENT)] > 300,
            "{counts:?}"
        );
        // The same through sjis_scan, one character at a time, for the non-ASCII ones.
        for &c in bmp.iter().filter(|c| !c.is_ascii()).step_by(7) {
            let s = c.to_string();
            assert_eq!(sjis_scan(&s), reference_scan(&s), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn astral_chars_are_unmappable() {
        let astral: Vec<char> = (0x1_0000..=0x10_FFFF)
            .step_by(97)
            .chain([0x1_0000, 0x1F600, 0x2_0B9F, 0x2_A6B2, 0x10_FFFF])
            .filter_map(char::from_u32)
            .collect();
        let s: String = astral.iter().collect();
        let classes = reference_classes(&s);
        assert_eq!(classes.len(), astral.len());
        assert!(classes.iter().all(|&class| class == UNMAPPABLE));
        let scan = sjis_scan(&s);
        assert_eq!(scan.unmappable, astral.len());
        assert_eq!(scan, reference_scan(&s));
    }

    fn sjis_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            proptest::char::range('\u{0}', '\u{FF}'),
            proptest::char::range('\u{2000}', '\u{33FF}'),
            proptest::char::range('\u{3000}', '\u{30FF}'),
            proptest::char::range('\u{4E00}', '\u{9FFF}'),
            proptest::char::range('\u{E000}', '\u{E800}'),
            proptest::char::range('\u{F900}', '\u{FAFF}'),
            proptest::char::range('\u{FF00}', '\u{FFFF}'),
            proptest::sample::select(vec![
                '①', '⑳', 'Ⅰ', 'ⅰ', '㍉', '㈱', '№', '∵', '￢', '≒', '髙', '﨑', '＇', '＂',
                '\u{2212}', '\u{FF0D}', '\u{A5}', '\u{203E}', '\u{80}', '😀',
            ]),
        ]
    }

    proptest! {
        #[test]
        fn scan_equals_the_encoder_reference(
            chars in proptest::collection::vec(sjis_char(), 0..40)
        ) {
            let s: String = chars.into_iter().collect();
            let got = sjis_scan(&s);
            let want = reference_scan(&s);
            prop_assert_eq!(got.single_byte, want.single_byte);
            prop_assert_eq!(got.unmappable, want.unmappable);
            prop_assert_eq!(got.device_dependent, want.device_dependent);
            prop_assert_eq!(got.first_not_double, want.first_not_double);
            prop_assert_eq!(got.first_device_dependent, want.first_device_dependent);
            // The summary agrees with the encoder too.
            let sum = sjis_summary(&s);
            prop_assert_eq!(sum.chars, s.chars().count());
            prop_assert_eq!(sum.all_double, want.single_byte + want.unmappable == 0);
            prop_assert_eq!(sum.no_device_dependent, want.device_dependent == 0);
        }
    }

    #[test]
    fn widening_composes_sound_marks() {
        assert_eq!(to_full_width("ｶﾞｷﾞｸﾞｹﾞｺﾞ"), "ガギグゲゴ");
        assert_eq!(to_full_width("ｻﾞｼﾞｽﾞｾﾞｿﾞﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ"), "ザジズゼゾダヂヅデド");
        assert_eq!(to_full_width("ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"), "バビブベボパピプペポ");
        assert_eq!(to_full_width("ｳﾞﾜﾞｦﾞ"), "ヴヷヺ");
        assert_eq!(to_full_width("ｱﾞﾏﾟ"), "ア゛マ゜");
        assert_eq!(to_full_width("ｯﾞ"), "ッ゛");
        assert_eq!(to_full_width("A1 \"x'"), "Ａ１　”ｘ’");
    }

    #[test]
    fn widened_ascii_is_double_byte_and_not_device_dependent() {
        let all: String = (0x20u8..=0x7E).map(char::from).collect();
        let wide = to_full_width(&all);
        let scan = sjis_scan(&wide);
        assert_eq!(scan.single_byte, 0, "{wide}");
        assert_eq!(scan.unmappable, 0, "{wide}");
        assert_eq!(scan.device_dependent, 0, "{wide}");
        let kana: String = (0xFF61u32..=0xFF9F).filter_map(char::from_u32).collect();
        let scan = sjis_scan(&to_full_width(&kana));
        assert_eq!(
            (scan.single_byte, scan.unmappable, scan.device_dependent),
            (0, 0, 0)
        );
    }

    #[test]
    fn device_dependent_classes() {
        for c in [
            '①', '⑳', 'Ⅰ', 'Ⅹ', '㍉', '㌔', '㈱', '№', '髙', '﨑', 'ⅰ', '￤',
        ] {
            let scan = sjis_scan(&c.to_string());
            assert_eq!(scan.device_dependent, 1, "{c}");
        }
        for c in ['あ', 'ア', '漢', 'Ａ', '１', '。'] {
            assert_eq!(sjis_scan(&c.to_string()), SjisScan::default(), "{c}");
        }
    }

    #[test]
    fn single_byte_and_unmappable() {
        let scan = sjis_scan("aｱ😀\u{3099}");
        assert_eq!(scan.single_byte, 2);
        assert_eq!(scan.unmappable, 2);
        assert_eq!(scan.first_not_double, Some('a'));
    }
}
