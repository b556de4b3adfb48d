//! Character measures: bytes vs characters, double-byte (Shift_JIS) classification,
//! device-dependent characters, and the full-width helper.

use encoding_rs::{EncoderResult, SHIFT_JIS};

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

/// Classifies every character of `s` by its windows-31j encoding (encoding_rs's
/// `SHIFT_JIS` is the WHATWG Shift_JIS = windows-31j). Encodes in chunks into a stack
/// buffer (no heap allocation); each character maps to one 1- or 2-byte code, or is
/// unmappable.
pub(crate) fn sjis_scan(s: &str) -> SjisScan {
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
