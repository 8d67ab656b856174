//! The message codes of WAMP v2.

/// A WAMP v2 message code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// 1
    Hello,
    /// 2
    Welcome,
    /// 3
    Abort,
    /// 4
    Challenge,
    /// 5
    Authenticate,
    /// 6
    Goodbye,
    /// 8
    Error,
    /// 16
    Publish,
    /// 17
    Published,
    /// 32
    Subscribe,
    /// 33
    Subscribed,
    /// 34
    Unsubscribe,
    /// 35
    Unsubscribed,
    /// 36
    Event,
    /// 48
    Call,
    /// 49
    Cancel,
    /// 50
    Result,
    /// 64
    Register,
    /// 65
    Registered,
    /// 66
    Unregister,
    /// 67
    Unregistered,
    /// 68
    Invocation,
    /// 69
    Interrupt,
    /// 70
    Yield,
}

/// Every code with its number and name.
const CODES: [(Code, u64, &str); 24] = [
    (Code::Hello, 1, "HELLO"),
    (Code::Welcome, 2, "WELCOME"),
    (Code::Abort, 3, "ABORT"),
    (Code::Challenge, 4, "CHALLENGE"),
    (Code::Authenticate, 5, "AUTHENTICATE"),
    (Code::Goodbye, 6, "GOODBYE"),
    (Code::Error, 8, "ERROR"),
    (Code::Publish, 16, "PUBLISH"),
    (Code::Published, 17, "PUBLISHED"),
    (Code::Subscribe, 32, "SUBSCRIBE"),
    (Code::Subscribed, 33, "SUBSCRIBED"),
    (Code::Unsubscribe, 34, "UNSUBSCRIBE"),
    (Code::Unsubscribed, 35, "UNSUBSCRIBED"),
    (Code::Event, 36, "EVENT"),
    (Code::Call, 48, "CALL"),
    (Code::Cancel, 49, "CANCEL"),
    (Code::Result, 50, "RESULT"),
    (Code::Register, 64, "REGISTER"),
    (Code::Registered, 65, "REGISTERED"),
    (Code::Unregister, 66, "UNREGISTER"),
    (Code::Unregistered, 67, "UNREGISTERED"),
    (Code::Invocation, 68, "INVOCATION"),
    (Code::Interrupt, 69, "INTERRUPT"),
    (Code::Yield, 70, "YIELD"),
];

impl Code {
    /// The code numbered `n`, if WAMP v2 has one.
    pub fn from_number(n: u64) -> Option<Self> {
        CODES.iter().find(|(_, number, _)| *number == n).map(|(code, _, _)| *code)
    }

    /// Its number on the wire.
    pub fn number(self) -> u64 {
        self.entry().1
    }

    /// Its name in the spec (`HELLO`, …).
    pub fn name(self) -> &'static str {
        self.entry().2
    }

    fn entry(self) -> &'static (Code, u64, &'static str) {
        CODES.iter().find(|(code, _, _)| *code == self).expect("every code is listed")
    }
}
