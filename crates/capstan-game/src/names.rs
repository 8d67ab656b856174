//! Player names: short, and made only of characters that mean nothing in
//! HTML — the original client inserts names into its page as HTML, so a
//! name is safe in it only if it cannot hold markup at all.

use std::fmt;

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 24;

/// A name that keeps the rules: 1–24 characters, letters and digits of any
/// script, spaces (not at either end), `-`, `_` and `.`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlayerName(String);

/// A name refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// Empty once the spaces at its ends are trimmed.
    Empty,
    /// More than [`MAX_NAME_CHARS`] characters.
    TooLong,
    /// A character outside letters, digits, space, `-`, `_`, `.`.
    Character,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameError::Empty => "the name is empty.",
            NameError::TooLong => "at most 24 characters.",
            NameError::Character => "letters, digits, spaces, - _ and . only.",
        })
    }
}

impl PlayerName {
    /// Checks `raw` (trimmed first).
    pub fn parse(raw: &str) -> Result<PlayerName, NameError> {
        let name = raw.trim_matches(' ');
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.');
        if !name.chars().all(allowed) {
            return Err(NameError::Character);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        Ok(PlayerName(name.to_owned()))
    }

    /// The bot's name.
    pub fn bot() -> PlayerName {
        PlayerName("Capstan bot".to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PlayerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_of_any_script_pass_trimmed() {
        assert_eq!(PlayerName::parse("  Bob ").unwrap().as_str(), "Bob");
        assert_eq!(PlayerName::parse("Žofie Nováková").unwrap().as_str(), "Žofie Nováková");
        assert_eq!(PlayerName::parse("李雷_2.0-x").unwrap().as_str(), "李雷_2.0-x");
        assert!(PlayerName::parse(&"a".repeat(24)).is_ok());
    }

    #[test]
    fn markup_control_characters_and_long_names_are_refused() {
        for hostile in ["<script>", "a&b", "\"x\"", "it's", "a\u{0}", "tab\there", "x\u{202e}y"] {
            assert_eq!(PlayerName::parse(hostile), Err(NameError::Character), "{hostile:?}");
        }
        assert_eq!(PlayerName::parse("   "), Err(NameError::Empty));
        assert_eq!(PlayerName::parse(&"a".repeat(25)), Err(NameError::TooLong));
    }
}
