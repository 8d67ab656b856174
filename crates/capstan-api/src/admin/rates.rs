//! One point of the charts: the rates between two samples (what the
//! counters gained, divided by the seconds between them), the gauge, and
//! the closes of that interval by cause.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::source::AdminSample;

/// The traffic of one interval, as the page charts it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Point {
    /// When the interval ended: Unix time in milliseconds.
    pub(crate) t: u64,
    /// Connections open at its end.
    pub(crate) connections: u64,
    /// Connections accepted per second.
    pub(crate) accepted_per_s: f64,
    /// Messages received per second.
    pub(crate) messages_in_per_s: f64,
    /// Messages sent per second.
    pub(crate) messages_out_per_s: f64,
    /// Bytes received per second.
    pub(crate) bytes_in_per_s: f64,
    /// Bytes sent per second.
    pub(crate) bytes_out_per_s: f64,
    /// Connections closed during the interval, by cause (causes with none
    /// left out).
    pub(crate) closes: BTreeMap<String, u64>,
}

impl Point {
    /// The interval from `before` to `now`, `elapsed` apart, ending at Unix
    /// time `t` (ms). A counter that went down (the application reset it)
    /// counts as no traffic, never as a negative rate.
    pub(crate) fn between(
        before: &AdminSample,
        now: &AdminSample,
        elapsed: Duration,
        t: u64,
    ) -> Self {
        let seconds = elapsed.as_secs_f64();
        let rate = |old: u64, new: u64| {
            if seconds <= 0.0 {
                return 0.0;
            }
            // Two decimals are all a chart shows; the frame stays short.
            (new.saturating_sub(old) as f64 / seconds * 100.0).round() / 100.0
        };
        let closes = now
            .closes
            .iter()
            .filter_map(|(cause, &count)| {
                let gained = count.saturating_sub(before.closes.get(cause).copied().unwrap_or(0));
                (gained > 0).then(|| (cause.clone(), gained))
            })
            .collect();
        Self {
            t,
            connections: now.connections_open,
            accepted_per_s: rate(before.connections_accepted_total, now.connections_accepted_total),
            messages_in_per_s: rate(before.messages_in_total, now.messages_in_total),
            messages_out_per_s: rate(before.messages_out_total, now.messages_out_total),
            bytes_in_per_s: rate(before.bytes_in_total, now.bytes_in_total),
            bytes_out_per_s: rate(before.bytes_out_total, now.bytes_out_total),
            closes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(messages_in: u64, closes: &[(&str, u64)]) -> AdminSample {
        AdminSample {
            connections_open: 3,
            messages_in_total: messages_in,
            closes: closes.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            ..AdminSample::default()
        }
    }

    #[test]
    fn counters_become_rates_per_second() {
        let point =
            Point::between(&sample(100, &[]), &sample(150, &[]), Duration::from_millis(500), 7);
        assert_eq!(point.messages_in_per_s, 100.0);
        assert_eq!(point.messages_out_per_s, 0.0);
        assert_eq!((point.connections, point.t), (3, 7));
    }

    #[test]
    fn closes_are_those_of_the_interval() {
        let before = sample(0, &[("peer_closed", 4), ("slow_consumer", 1)]);
        let now = sample(0, &[("peer_closed", 6), ("slow_consumer", 1), ("rate_limited", 2)]);
        let point = Point::between(&before, &now, Duration::from_secs(1), 0);
        let closes: Vec<_> = point.closes.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        assert_eq!(closes, [("peer_closed", 2), ("rate_limited", 2)]);
    }

    #[test]
    fn a_reset_counter_or_no_time_is_no_traffic() {
        let point = Point::between(&sample(50, &[]), &sample(10, &[]), Duration::from_secs(1), 0);
        assert_eq!(point.messages_in_per_s, 0.0);
        let point = Point::between(&sample(0, &[]), &sample(10, &[]), Duration::ZERO, 0);
        assert_eq!(point.messages_in_per_s, 0.0);
    }
}
