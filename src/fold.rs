//! Case folding for case-insensitive comparison of property values.
//!
//! Batch compares property values without regard to case. Folding maps each char on its own
//! to the lower case of its upper case, keeping a char whose mapping is more than one char.
//! Because the mapping is per char, folding commutes with concatenation, so a prefix, suffix
//! or substring of a folded value is the folded prefix, suffix or substring of the original.
//! For example `Σ`, `σ` and `ς` all fold to `σ`, while `ß` stays `ß` (its upper case is `SS`).

/// Returns `text` with every char case-folded.
///
/// ```
/// use batch_odata::fold::fold_case;
///
/// assert_eq!(fold_case("Task-MÜLLER"), "task-müller");
/// assert_eq!(fold_case("ΣΑΣ"), fold_case("σας"));
/// ```
pub fn fold_case(text: &str) -> String {
    // ASCII folds byte by byte, which is much faster than going through chars.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut folded = String::with_capacity(text.len());
    folded.extend(text.chars().map(fold_char));
    folded
}

/// Returns true when `text` is already folded, so callers can skip an allocation.
pub fn is_folded(text: &str) -> bool {
    text.chars().all(|c| fold_char(c) == c)
}

/// Folds one char: the lower case of its upper case, where both mappings are single chars.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let upper = single(c.to_uppercase()).unwrap_or(c);
    single(upper.to_lowercase()).unwrap_or(upper)
}

/// Returns the only char of a case mapping, or `None` when it maps to several.
fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_ignores_ascii_case() {
        assert_eq!(fold_case("Completed"), "completed");
    }

    #[test]
    fn fold_is_unicode_aware() {
        assert_eq!(fold_case("MÜLLER"), "müller");
        assert_eq!(fold_case("ς"), "σ");
        assert_eq!(fold_case("ẞ"), "ß");
        assert_eq!(fold_case("ß"), "ß");
    }

    #[test]
    fn fold_commutes_with_concatenation() {
        for (a, b) in [("ΣΑ", "Σ"), ("İ", "x"), ("ǅ", "ǆ"), ("ﬁ", "Ω")] {
            assert_eq!(fold_case(&format!("{a}{b}")), fold_case(a) + &fold_case(b));
        }
    }

    #[test]
    fn fold_is_idempotent() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(fold_char(fold_char(c)), fold_char(c), "{c:?}");
        }
    }
}
