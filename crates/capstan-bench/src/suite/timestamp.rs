//! The date and time (UTC), for the results directory's name and the
//! machine notes; no time-zone data needed.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, PrimitiveDateTime};

/// A moment, UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    /// Now.
    pub fn now() -> Self {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self::from_unix(secs as i64)
    }

    /// Seconds since the Unix epoch, as a date and time (clamped to the
    /// years -9999..=9999).
    pub fn from_unix(secs: i64) -> Self {
        let at = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
            PrimitiveDateTime::MIN.assume_utc()
        } else {
            PrimitiveDateTime::MAX.assume_utc()
        });
        Self {
            year: i64::from(at.year()),
            month: u32::from(u8::from(at.month())),
            day: u32::from(at.day()),
            hour: u32::from(at.hour()),
            minute: u32::from(at.minute()),
            second: u32::from(at.second()),
        }
    }

    /// `2025-06-01-143005`.
    pub fn dir_name(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}-{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `2025-06-01 14:30:05 UTC`.
    pub fn readable(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(Utc::from_unix(0).readable(), "1970-01-01 00:00:00 UTC");
        assert_eq!(Utc::from_unix(951_782_400).dir_name(), "2000-02-29-000000");
        assert_eq!(Utc::from_unix(1_748_788_205).dir_name(), "2025-06-01-143005");
        assert_eq!(Utc::from_unix(4_107_542_399).readable(), "2100-02-28 23:59:59 UTC");
        assert!(Utc::now().year >= 2025);
    }
}
