//! Character-level rules for free text in requests: invisible characters,
//! bidirectional overrides, line separators, and card-number-shaped tokens.
//! Pure functions; callers decide which field each rule applies to.

/// Characters that render as nothing: zero-width spaces and joiners, word
/// joiner, soft hyphen, BOM, invisible math operators, Hangul fillers.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{3164}' | '\u{FEFF}'
        | '\u{FFA0}')
}

/// Bidirectional embedding, override and isolate controls (the "Trojan
/// Source" characters) that reorder how text is displayed.
pub(super) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Line and paragraph separators, which split log lines and CSV rows.
pub(super) fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{0085}')
}

/// `value` without leading and trailing whitespace or invisible characters.
pub(super) fn visible_trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
}

/// Whether `value` is 13–19 ASCII digits (spaces and dashes allowed between
/// them) that pass the Luhn check: the shape of a payment card number.
pub(super) fn looks_like_card_number(value: &str) -> bool {
    let digits: Vec<u32> = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .unwrap_or_default();
    (13..=19).contains(&digits.len()) && luhn_valid(&digits)
}

fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match i % 2 {
            1 if d * 2 > 9 => d * 2 - 9,
            1 => d * 2,
            _ => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_luhn_valid_16_digit_number_is_card_shaped() {
        assert!(looks_like_card_number("4111111111111111"));
        assert!(looks_like_card_number("4111 1111 1111 1111"));
        assert!(looks_like_card_number("4111-1111-1111-1111"));
    }

    #[test]
    fn short_luhn_failing_or_non_digit_tokens_are_not_card_shaped() {
        assert!(!looks_like_card_number("4111111111111112"), "fails Luhn");
        assert!(!looks_like_card_number("411111111111"), "12 digits");
        assert!(!looks_like_card_number("tok_visa"));
        assert!(!looks_like_card_number("41111111111111111111"), "20 digits");
    }

    #[test]
    fn zero_width_padding_is_trimmed_away() {
        assert_eq!(visible_trim("\u{200B}\u{FEFF} \u{2060}"), "");
        assert_eq!(visible_trim("\u{200B}c-1 "), "c-1");
    }

    #[test]
    fn bidi_overrides_and_line_separators_are_recognised() {
        assert!("a\u{202E}b".chars().any(is_bidi_control));
        assert!("a\u{2028}b".chars().any(is_line_separator));
        assert!(!"plain".chars().any(|c| is_bidi_control(c) || is_line_separator(c)));
    }
}
