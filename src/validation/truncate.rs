//! Truncation to a provider's length limit, as the server does for the fields it
//! truncates.

use std::borrow::Cow;

use vt4g_generated::rules::{command_spec, Check};

use crate::{Command, PayType};

/// Truncates `value` at a character boundary to the provider's length limit of the field
/// `path` (rules-file form, e.g. `item[].name`) of `command`: the smallest of its
/// `max_bytes` (UTF-8) and `max_chars` rules for `pay_type`. Returns the value unchanged
/// (borrowed) when it fits or when the provider has no length limit for the field.
///
/// This mirrors what the server does for the fields it truncates, so the merchant
/// sees the same text the consumer will.
///
/// ```
/// use vt4g::validation::truncate_for;
/// use vt4g::{Command, PayType};
/// let name = "あいうえおかきくけこさしすせそたちつてとなにぬね";
/// let cut = truncate_for(Command::Pay, "item[].name", PayType::Docomo, name);
/// assert_eq!(cut.chars().count(), 20);
/// ```
pub fn truncate_for<'a>(
    command: Command,
    path: &str,
    pay_type: PayType,
    value: &'a str,
) -> Cow<'a, str> {
    let Some((_, field)) = command_spec(command).field(path) else {
        return Cow::Borrowed(value);
    };
    let mut end = value.len();
    for rule in field.rules {
        if !(rule.all_providers || rule.providers.contains(pay_type)) {
            continue;
        }
        match rule.check {
            Check::MaxBytes(n) => {
                let mut cut = (n as usize).min(end);
                while !value.is_char_boundary(cut) {
                    cut -= 1;
                }
                end = end.min(cut);
            }
            Check::MaxChars(n) => {
                if let Some((i, _)) = value.char_indices().nth(n as usize) {
                    end = end.min(i);
                }
            }
            _ => {}
        }
    }
    if end == value.len() {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value[..end].to_string())
    }
}
