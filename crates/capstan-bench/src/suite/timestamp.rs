//! The date and time (UTC), for the results directory's name and the
//! machine notes; no time-zone data needed.

use std::time::{SystemTime, UNIX_EPOCH};

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

    /// Seconds since the Unix epoch, as a date and time.
    pub fn from_unix(secs: i64) -> Self {
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Days to a civil date (Howard Hinnant's algorithm), March-based years.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year,
            month,
            day,
            hour: (rest / 3600) as u32,
            minute: (rest % 3600 / 60) as u32,
            second: (rest % 60) as u32,
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
