//! User names: what a name may hold, the one form it is kept in (NFKC,
//! white space collapsed), and the keys that decide when two names are the
//! same user (case) or only look alike (the UTS #39 confusable skeleton).

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::GeneralSecurityProfile;
use unicode_security::general_security_profile::IdentifierType;

use crate::errors::{ErrorCode, Refusal};

/// The longest user name, in characters (after normalization).
pub const MAX_NAME_CHARS: usize = 32;
/// Most combining marks allowed on one character ("Zalgo" text is refused).
pub const MAX_MARKS_IN_A_ROW: usize = 4;

/// A rule a user name breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// Nothing but white space.
    Empty,
    /// Over [`MAX_NAME_CHARS`] characters.
    TooLong,
    /// A control character (C0, C1).
    Control(char),
    /// A character that draws nothing or reorders what follows: format
    /// characters (Cf: zero-width space and joiners, bidi controls), line
    /// and paragraph separators, and the other default-ignorable code points.
    Invisible(char),
    /// A code point with no character assigned, or for private use.
    Unassigned(char),
    /// More than [`MAX_MARKS_IN_A_ROW`] combining marks on one character.
    StackedMarks,
    /// `|`, which separates the two names of a direct conversation.
    Bar,
}

impl NameRule {
    /// The refusal sent for this rule.
    pub fn refusal(self) -> Refusal {
        let (code, message) = match self {
            Self::Empty => (ErrorCode::NameEmpty, "the name is empty".to_owned()),
            Self::TooLong => {
                (ErrorCode::NameTooLong, format!("the name is over {MAX_NAME_CHARS} characters"))
            }
            Self::Control(c) => {
                (ErrorCode::NameInvalid, format!("the name has a control character ({})", hex(c)))
            }
            Self::Invisible(c) => (
                ErrorCode::NameInvalid,
                format!("the name has an invisible or formatting character ({})", hex(c)),
            ),
            Self::Unassigned(c) => (
                ErrorCode::NameInvalid,
                format!("the name has an unassigned or private-use code point ({})", hex(c)),
            ),
            Self::StackedMarks => (
                ErrorCode::NameInvalid,
                format!("the name has more than {MAX_MARKS_IN_A_ROW} marks on one character"),
            ),
            Self::Bar => (ErrorCode::NameInvalid, "the name has a \"|\"".to_owned()),
        };
        Refusal::new(code, message)
    }
}

impl From<NameRule> for Refusal {
    fn from(rule: NameRule) -> Self {
        rule.refusal()
    }
}

fn hex(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Checks a user name and returns the form it is kept in: NFKC, trimmed,
/// each run of white space made one space.
pub fn user_name(raw: &str) -> Result<String, Refusal> {
    normalize(raw).map_err(Refusal::from)
}

/// [`user_name`], with the rule broken.
pub fn normalize(raw: &str) -> Result<String, NameRule> {
    let mut name = String::with_capacity(raw.len());
    let mut space = false;
    let mut marks = 0;
    for c in raw.trim().nfkc() {
        if c.general_category() == GeneralCategory::SpaceSeparator {
            space = !name.is_empty();
            marks = 0;
            continue;
        }
        check_char(c)?;
        if std::mem::take(&mut space) {
            name.push(' ');
        }
        let mark = matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
        );
        marks = if mark { marks + 1 } else { 0 };
        if marks > MAX_MARKS_IN_A_ROW {
            return Err(NameRule::StackedMarks);
        }
        name.push(c);
    }
    if name.is_empty() {
        return Err(NameRule::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameRule::TooLong);
    }
    Ok(name)
}

fn check_char(c: char) -> Result<(), NameRule> {
    if c == '|' {
        return Err(NameRule::Bar);
    }
    match c.general_category() {
        GeneralCategory::Control => return Err(NameRule::Control(c)),
        GeneralCategory::Format
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator => return Err(NameRule::Invisible(c)),
        GeneralCategory::Unassigned | GeneralCategory::PrivateUse | GeneralCategory::Surrogate => {
            return Err(NameRule::Unassigned(c));
        }
        _ => {}
    }
    // The default-ignorable code points that are not format characters:
    // Hangul fillers, variation selectors, the combining grapheme joiner…
    if c.identifier_type() == Some(IdentifierType::Default_Ignorable) {
        return Err(NameRule::Invisible(c));
    }
    Ok(())
}

/// The keys of a (normalized) name. Two names belong to the same user when
/// their `case` keys are equal; they are too alike to be held by two users
/// at once when either key is equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameKey {
    /// The name in lower case: `Ann` and `aNN` are one user.
    pub case: String,
    /// The UTS #39 skeleton, lower-cased and skeletonized again: `аlice`
    /// (Cyrillic а), `AIice` (capital i) and `alice` look the same.
    pub look: String,
}

impl NameKey {
    /// The keys of `name`, a name as [`user_name`] returns it.
    pub fn of(name: &str) -> Self {
        // The skeleton maps some capitals and small letters differently
        // (I → l, but i stays; m → rn, but M stays): take it before and
        // after lower-casing, so that a look-alike in other case clashes.
        let skeleton: String = unicode_security::skeleton(name).collect();
        let look = unicode_security::skeleton(&skeleton.to_lowercase()).collect();
        Self { case: name.to_lowercase(), look }
    }

    /// Whether a user named `other` could pass for this one.
    pub fn clashes_with(&self, other: &NameKey) -> bool {
        self.case == other.case || self.look == other.look
    }
}

/// The key names are unique by, for lookups by case (a direct message's
/// recipient).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(raw: &str) -> NameRule {
        normalize(raw).unwrap_err()
    }

    #[test]
    fn plain_names_are_kept_trimmed() {
        assert_eq!(user_name("  ann  ").unwrap(), "ann");
        assert_eq!(user_name("Zoë 🚀").unwrap(), "Zoë 🚀");
        assert_eq!(user_name("José Núñez").unwrap(), "José Núñez");
        assert_eq!(user_name("李小龍").unwrap(), "李小龍");
        assert_eq!(user_name("ไทย").unwrap(), "ไทย");
        assert_eq!(user_name(&"é".repeat(32)).unwrap().chars().count(), 32);
    }

    #[test]
    fn length_and_emptiness() {
        assert_eq!(rule(""), NameRule::Empty);
        assert_eq!(rule(" \u{3000} "), NameRule::Empty);
        assert_eq!(rule(" \t "), NameRule::Empty);
        assert_eq!(rule("a\tb"), NameRule::Control('\t'));
        assert_eq!(rule(&"x".repeat(33)), NameRule::TooLong);
        assert_eq!(user_name("").unwrap_err().code, ErrorCode::NameEmpty);
        assert_eq!(user_name(&"x".repeat(33)).unwrap_err().code, ErrorCode::NameTooLong);
    }

    #[test]
    fn names_are_kept_in_nfkc_with_single_spaces() {
        // Fullwidth letters, a ligature, a decomposed é, odd spaces.
        assert_eq!(user_name("ａｌｉｃｅ").unwrap(), "alice");
        assert_eq!(user_name("ﬁona").unwrap(), "fiona");
        assert_eq!(user_name("Jose\u{301}").unwrap(), "José");
        assert_eq!(user_name("al\u{a0}\u{2003} ice").unwrap(), "al ice");
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for (raw, bad) in [
            ("alice\u{200b}", '\u{200b}'), // zero-width space
            ("al\u{200d}ice", '\u{200d}'), // zero-width joiner
            ("\u{202e}ecila", '\u{202e}'), // right-to-left override
            ("a\u{2066}b", '\u{2066}'),    // left-to-right isolate
            ("\u{feff}bob", '\u{feff}'),   // byte order mark
            ("bo\u{ad}b", '\u{ad}'),       // soft hyphen
            ("a\u{2028}b", '\u{2028}'),    // line separator
        ] {
            assert_eq!(rule(raw), NameRule::Invisible(bad), "{raw:?}");
        }
        assert_eq!(rule("a\u{7}b"), NameRule::Control('\u{7}'));
        assert_eq!(rule("a\u{e000}b"), NameRule::Unassigned('\u{e000}'));
        assert_eq!(rule("a\u{40000}b"), NameRule::Unassigned('\u{40000}'));
        assert_eq!(rule("a|b"), NameRule::Bar);
        let refusal = user_name("alice\u{200b}").unwrap_err();
        assert_eq!(refusal.code, ErrorCode::NameInvalid);
        assert!(refusal.message.contains("U+200B"), "{}", refusal.message);
    }

    /// Every default-ignorable code point (DerivedCoreProperties.txt,
    /// Unicode 16, typed in here from the file, not from the crates).
    #[test]
    fn every_default_ignorable_code_point_is_refused() {
        let ranges: &[(u32, u32)] = &[
            (0x00AD, 0x00AD),
            (0x034F, 0x034F),
            (0x061C, 0x061C),
            (0x115F, 0x1160),
            (0x17B4, 0x17B5),
            (0x180B, 0x180F),
            (0x200B, 0x200F),
            (0x202A, 0x202E),
            (0x2060, 0x206F),
            (0x3164, 0x3164),
            (0xFE00, 0xFE0F),
            (0xFEFF, 0xFEFF),
            (0xFFA0, 0xFFA0),
            (0xFFF0, 0xFFF8),
            (0x1BCA0, 0x1BCA3),
            (0x1D173, 0x1D17A),
            (0xE0000, 0xE0FFF),
        ];
        for &(first, last) in ranges {
            for cp in first..=last {
                let c = char::from_u32(cp).unwrap();
                let raw = format!("a{c}b");
                assert!(normalize(&raw).is_err(), "U+{cp:04X} was accepted");
            }
        }
    }

    #[test]
    fn stacked_marks_are_refused_a_few_are_not() {
        assert!(user_name("Ti\u{302}\u{323}n").is_ok());
        assert_eq!(
            rule(&format!("z{}", "\u{300}\u{301}\u{302}\u{303}\u{304}")),
            NameRule::StackedMarks
        );
    }

    #[test]
    fn case_makes_the_same_user() {
        assert_eq!(NameKey::of("Ann").case, NameKey::of("aNN").case);
        assert!(NameKey::of("ALICE").clashes_with(&NameKey::of("alice")));
        assert_eq!(name_key("Ann"), name_key("aNN"));
    }

    #[test]
    fn look_alikes_clash() {
        let alice = NameKey::of("alice");
        for raw in ["аlice", "ａlice", "AIice", "aIice", "a1ice", "ɑlice"] {
            let other = NameKey::of(&user_name(raw).unwrap());
            assert!(alice.clashes_with(&other), "{raw:?} passes for alice: {other:?}");
        }
        assert!(NameKey::of("bob").clashes_with(&NameKey::of("b0b")));
        assert!(NameKey::of("paypal").clashes_with(&NameKey::of("раураl")));
        assert!(NameKey::of("mallory").clashes_with(&NameKey::of("MaIlory")));
        assert!(NameKey::of("Mallory").clashes_with(&NameKey::of("rnallory")));
    }

    #[test]
    fn different_names_do_not_clash() {
        for (a, b) in [("alice", "alicia"), ("bob", "rob"), ("ann", "anna"), ("李", "季")] {
            assert!(!NameKey::of(a).clashes_with(&NameKey::of(b)), "{a} vs {b}");
        }
    }
}
