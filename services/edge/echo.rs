//! What an error repeats of a caller's value: a glimpse, never the whole. A caller who sends a
//! 100,000-character SKU gets an error of a few hundred bytes, not one that carries the SKU back.

use std::borrow::Cow;

/// How many characters of a caller's value an error repeats.
pub(crate) const ECHO_CHARS: usize = 64;

/// A caller's value as an error message repeats it: quoted (escaped as Rust's `{:?}` does), cut
/// after [`ECHO_CHARS`] characters, and then followed by its full length.
pub(crate) fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}… ({} characters)", &value[..cut], value.chars().count()),
    }
}

/// `text` cut to at most `max_bytes` bytes, at a character boundary, marked with `…` when cut: the
/// last bound on any text an error carries, whoever wrote it.
pub(crate) fn clip(text: &str, max_bytes: usize) -> Cow<'_, str> {
    if text.len() <= max_bytes {
        return Cow::Borrowed(text);
    }
    let mark = "…";
    let mut cut = max_bytes.saturating_sub(mark.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}{mark}", &text[..cut]))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_short_value_is_repeated_whole_and_a_long_one_cut_with_its_length() {
        assert_eq!(echo("FURN_5555"), "\"FURN_5555\"");
        let long = "A".repeat(100_000);
        assert_eq!(echo(&long), format!("{:?}… (100000 characters)", "A".repeat(ECHO_CHARS)));
    }

    proptest! {
        /// Whatever a caller sends, its echo stays under a fixed size: 64 characters, each escaped
        /// to at most 10 bytes (`\u{10ffff}`), the quotes and the length.
        #[test]
        fn an_echo_stays_small_whatever_the_value(value in any::<String>(), repeat in 1usize..2000) {
            let value = value.repeat(repeat);
            let echoed = echo(&value);
            prop_assert!(echoed.len() <= ECHO_CHARS * 10 + 40, "{} bytes", echoed.len());
            if value.chars().count() <= ECHO_CHARS {
                prop_assert_eq!(echoed, format!("{value:?}"));
            }
        }

        #[test]
        fn clipped_text_fits_its_budget_and_keeps_its_start(text in any::<String>(), max in 4usize..200) {
            let clipped = clip(&text, max);
            prop_assert!(clipped.len() <= max);
            let kept = clipped.trim_end_matches('…');
            prop_assert!(text.starts_with(kept));
        }
    }
}
