//! Where challenges get their randomness and WAMP-CRA its timestamp: the
//! OS in the router, fixed values in tests (so that a real peer's
//! signatures of a known challenge can be pasted into them).

use std::time::SystemTime;

use super::error::AuthError;

/// Random bytes and the time.
pub(crate) trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), AuthError>;
    /// The time now.
    fn now(&mut self) -> SystemTime;
}

/// The OS's random source and clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), AuthError> {
        // No fallback: a challenge that is not random is no challenge.
        getrandom::fill(buf)
            .map_err(|error| AuthError::RandomnessUnavailable { reason: error.to_string() })
    }

    fn now(&mut self) -> SystemTime {
        SystemTime::now()
    }
}

/// Known bytes (repeated as needed) and a known time, for tests.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct FixedEntropy {
    /// The bytes handed out, in order, cycling.
    pub bytes: Vec<u8>,
    /// The time.
    pub now: SystemTime,
    /// Fail instead (the OS source broken).
    pub broken: bool,
}

#[cfg(test)]
impl Entropy for FixedEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), AuthError> {
        if self.broken {
            return Err(AuthError::RandomnessUnavailable { reason: "test".into() });
        }
        for (to, from) in buf.iter_mut().zip(self.bytes.iter().cycle()) {
            *to = *from;
        }
        Ok(())
    }

    fn now(&mut self) -> SystemTime {
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_gives_bytes_that_differ() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        OsEntropy.fill(&mut a).unwrap();
        OsEntropy.fill(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
