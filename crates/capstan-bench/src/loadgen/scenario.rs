//! The four scenarios.

/// What the load generator does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// N connections, each keeping F messages of S bytes in flight to `/echo`.
    Echo,
    /// One publisher, N subscribers on `/broadcast`, at an offered rate.
    Broadcast,
    /// N connections held open with pings; the server's memory per connection.
    Idle,
    /// Connections opened and closed, a bounded number of times; the
    /// server's memory before and after.
    Churn,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 4] =
        [Scenario::Echo, Scenario::Broadcast, Scenario::Idle, Scenario::Churn];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Echo => "echo",
            Scenario::Broadcast => "broadcast",
            Scenario::Idle => "idle",
            Scenario::Churn => "churn",
        }
    }

    /// The scenario called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The server path used unless told otherwise.
    pub fn default_path(self) -> &'static str {
        match self {
            Scenario::Broadcast => "/broadcast",
            _ => "/echo",
        }
    }

    /// Whether its connections stay open through the run (all but churn).
    pub fn holds_connections(self) -> bool {
        self != Scenario::Churn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::parse(s.name()), Some(s));
        }
        assert_eq!(Scenario::parse("flood"), None);
    }
}
