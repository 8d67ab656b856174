//! What a session may be authorized to do on a URI.

use std::fmt;

/// An action on a URI that the authorizer judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// CALL a procedure.
    Call,
    /// REGISTER a procedure (or pattern).
    Register,
    /// PUBLISH to a topic.
    Publish,
    /// SUBSCRIBE to a topic (or pattern).
    Subscribe,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 4] = [Self::Call, Self::Register, Self::Publish, Self::Subscribe];

    /// Its name, as in the config file's permission fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Register => "register",
            Self::Publish => "publish",
            Self::Subscribe => "subscribe",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
