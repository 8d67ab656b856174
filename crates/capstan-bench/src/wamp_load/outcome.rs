//! What each scenario found, as one JSON line (every figure, for
//! `wamp-load table` and scripts) and one line for people.

use serde_json::{Value, json};

use super::figures::{CpuWindow, kib_per_session, lost, rate, surplus};

/// What `events` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsOutcome {
    /// Subscriber sessions.
    pub subscribers: u64,
    /// Publisher sessions.
    pub publishers: u64,
    /// Publications written per window.
    pub window: u64,
    /// Events published (all publishers, markers apart).
    pub published: u64,
    /// EVENTs received by the subscribers (markers apart).
    pub delivered: u64,
    /// End markers received.
    pub markers: u64,
    /// Subscribers that received every publisher's marker.
    pub complete: u64,
    /// From the first publication to the last subscriber's last marker.
    pub cpu: CpuWindow,
    /// Wall time of the deliveries (to the last marker received).
    pub delivery_seconds: f64,
    /// What went wrong, if anything (router ended sessions, stalls).
    pub problems: Vec<String>,
}

impl EventsOutcome {
    /// Deliveries expected: every subscriber, every event.
    pub fn expected(&self) -> u64 {
        self.subscribers * self.published
    }

    /// Deliveries per second.
    pub fn rate(&self) -> f64 {
        rate(
            self.delivered + self.markers,
            std::time::Duration::from_secs_f64(self.delivery_seconds),
        )
    }

    /// Whether everything arrived and nothing went wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
            && lost(self.expected(), self.delivered) == 0
            && surplus(self.expected(), self.delivered) == 0
            && self.complete == self.subscribers
    }

    /// The JSON line's fields.
    pub fn json(&self, label: &str, serializer: &str) -> Value {
        let deliveries = self.delivered + self.markers;
        let publications = self.published + self.publishers;
        json!({
            "scenario": "events",
            "router": label,
            "serializer": serializer,
            "subscribers": self.subscribers,
            "publishers": self.publishers,
            "window": self.window,
            "published": self.published,
            "expected": self.expected(),
            "delivered": self.delivered,
            "lost": lost(self.expected(), self.delivered),
            "duplicated": surplus(self.expected(), self.delivered),
            "markers": self.markers,
            "subscribers_complete": self.complete,
            "seconds": self.delivery_seconds,
            "deliveries_per_s": self.rate(),
            "publications_per_s": rate(publications, std::time::Duration::from_secs_f64(self.delivery_seconds)),
            "router_cpu_s": self.cpu.router_seconds(),
            "router_cores": self.cpu.router_cores(),
            "router_us_per_delivery": self.cpu.router_us_per(deliveries),
            "router_us_per_publication": self.cpu.router_us_per(publications),
            "deliveries_per_core_s": self.cpu.per_core_rate(deliveries),
            "loadgen_cores": self.cpu.own_cores(),
            "other_cores": self.cpu.other_cores(),
            "problems": self.problems,
        })
    }

    /// The line for people.
    pub fn human(&self, label: &str) -> String {
        let deliveries = self.delivered + self.markers;
        format!(
            "events {label}: {} subscribers × {} events = {} delivered of {} ({} lost) in {:.2} s: \
             {:.0} deliveries/s; router CPU {:.0} % of a core, {} µs per delivery, {} µs per \
             publication, {} deliveries/s per core; loadgen {:.0} %{}",
            self.subscribers,
            self.published,
            self.delivered,
            self.expected(),
            lost(self.expected(), self.delivered),
            self.delivery_seconds,
            self.rate(),
            self.cpu.router_cores() * 100.0,
            opt(self.cpu.router_us_per(deliveries), 3),
            opt(self.cpu.router_us_per(self.published + self.publishers), 1),
            opt(self.cpu.per_core_rate(deliveries), 0),
            self.cpu.own_cores() * 100.0,
            problems(&self.problems),
        )
    }
}

/// What `calls` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsOutcome {
    /// Caller sessions.
    pub callers: u64,
    /// Callee sessions.
    pub callees: u64,
    /// Calls outstanding per caller.
    pub in_flight: u64,
    /// Results received in the measured window.
    pub completed: u64,
    /// ERRORs received for calls (whole run).
    pub errors: u64,
    /// Calls sent and never answered by the end of the drain.
    pub unanswered: u64,
    /// The measured window.
    pub cpu: CpuWindow,
    /// Round-trip quantiles in the window, µs: p50, p99, max.
    pub latency_us: [Option<f64>; 3],
    /// What went wrong, if anything.
    pub problems: Vec<String>,
}

impl CallsOutcome {
    /// Calls per second.
    pub fn rate(&self) -> f64 {
        rate(self.completed, self.cpu.wall)
    }

    /// Whether every call was answered with a result.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.errors == 0 && self.unanswered == 0
    }

    /// The JSON line's fields.
    pub fn json(&self, label: &str, serializer: &str) -> Value {
        json!({
            "scenario": "calls",
            "router": label,
            "serializer": serializer,
            "callers": self.callers,
            "callees": self.callees,
            "in_flight": self.in_flight,
            "completed": self.completed,
            "errors": self.errors,
            "unanswered": self.unanswered,
            "seconds": self.cpu.wall.as_secs_f64(),
            "calls_per_s": self.rate(),
            "latency_p50_us": self.latency_us[0],
            "latency_p99_us": self.latency_us[1],
            "latency_max_us": self.latency_us[2],
            "router_cpu_s": self.cpu.router_seconds(),
            "router_cores": self.cpu.router_cores(),
            "router_us_per_call": self.cpu.router_us_per(self.completed),
            "calls_per_core_s": self.cpu.per_core_rate(self.completed),
            "loadgen_cores": self.cpu.own_cores(),
            "other_cores": self.cpu.other_cores(),
            "problems": self.problems,
        })
    }

    /// The line for people.
    pub fn human(&self, label: &str) -> String {
        format!(
            "calls {label}: {} callers × {} in flight, {} callee(s): {} calls in {:.2} s: {:.0} \
             calls/s, p50 {} µs, p99 {} µs; router CPU {:.0} % of a core, {} µs per call, {} \
             calls/s per core; {} errors, {} unanswered; loadgen {:.0} %{}",
            self.callers,
            self.in_flight,
            self.callees,
            self.completed,
            self.cpu.wall.as_secs_f64(),
            self.rate(),
            opt(self.latency_us[0], 0),
            opt(self.latency_us[1], 0),
            self.cpu.router_cores() * 100.0,
            opt(self.cpu.router_us_per(self.completed), 2),
            opt(self.cpu.per_core_rate(self.completed), 0),
            self.errors,
            self.unanswered,
            self.cpu.own_cores() * 100.0,
            problems(&self.problems),
        )
    }
}

/// What `idle` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleOutcome {
    /// Sessions joined.
    pub sessions: u64,
    /// The router's VmRSS before the first session, KiB.
    pub rss_before_kib: u64,
    /// Its VmRSS once all had joined and settled, KiB.
    pub rss_joined_kib: u64,
    /// Its VmRSS after the hold, KiB.
    pub rss_held_kib: u64,
    /// Seconds the sessions took to join.
    pub join_seconds: f64,
    /// Sessions the router ended while held.
    pub ended: u64,
    /// What went wrong, if anything.
    pub problems: Vec<String>,
}

impl IdleOutcome {
    /// KiB per session, from before the first to all joined.
    pub fn kib_per_session(&self) -> Option<f64> {
        kib_per_session(self.rss_before_kib, self.rss_joined_kib, self.sessions)
    }

    /// Whether every session stayed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.ended == 0
    }

    /// The JSON line's fields.
    pub fn json(&self, label: &str, serializer: &str) -> Value {
        json!({
            "scenario": "idle",
            "router": label,
            "serializer": serializer,
            "sessions": self.sessions,
            "rss_before_kib": self.rss_before_kib,
            "rss_joined_kib": self.rss_joined_kib,
            "rss_held_kib": self.rss_held_kib,
            "kib_per_session": self.kib_per_session(),
            "kib_per_session_held": kib_per_session(self.rss_before_kib, self.rss_held_kib, self.sessions),
            "join_seconds": self.join_seconds,
            "joins_per_s": rate(self.sessions, std::time::Duration::from_secs_f64(self.join_seconds)),
            "ended": self.ended,
            "problems": self.problems,
        })
    }

    /// The line for people.
    pub fn human(&self, label: &str) -> String {
        format!(
            "idle {label}: {} sessions joined in {:.2} s; router RSS {} KiB before, {} KiB joined, \
             {} KiB held: {} KiB per session; {} ended{}",
            self.sessions,
            self.join_seconds,
            self.rss_before_kib,
            self.rss_joined_kib,
            self.rss_held_kib,
            opt(self.kib_per_session(), 2),
            self.ended,
            problems(&self.problems),
        )
    }
}

/// A figure with `digits` decimals, or `–`.
fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.digits$}"))
}

fn problems(list: &[String]) -> String {
    match list {
        [] => String::new(),
        [one] => format!("; PROBLEM: {one}"),
        [first, rest @ ..] => format!("; PROBLEMS: {first} (and {} more)", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cpu() -> CpuWindow {
        CpuWindow {
            wall: Duration::from_secs(4),
            router_ticks: 200,
            own_ticks: 380,
            busy_ticks: 600,
            ticks_per_second: 100,
        }
    }

    #[test]
    fn events_figures() {
        let outcome = EventsOutcome {
            subscribers: 1000,
            publishers: 2,
            window: 100,
            published: 4000,
            delivered: 3_999_000,
            markers: 2000,
            complete: 999,
            cpu: cpu(),
            delivery_seconds: 4.0,
            problems: vec![],
        };
        assert_eq!(outcome.expected(), 4_000_000);
        assert_eq!(outcome.rate(), 1_000_250.0);
        assert!(!outcome.is_clean());
        let line = outcome.json("capstan", "wamp.2.json");
        assert_eq!(line["lost"], 1000);
        assert_eq!(line["duplicated"], 0);
        // 2 s of router CPU over 4,001,000 deliveries and 4,002 publications.
        let per_delivery = line["router_us_per_delivery"].as_f64().unwrap();
        assert!((per_delivery - 2e6 / 4_001_000.0).abs() < 1e-9);
        let per_publication = line["router_us_per_publication"].as_f64().unwrap();
        assert!((per_publication - 2e6 / 4002.0).abs() < 1e-9);
        assert_eq!(line["deliveries_per_core_s"].as_f64().unwrap(), 2_000_500.0);
        assert!(outcome.human("capstan").contains("(1000 lost)"));
    }

    #[test]
    fn calls_figures() {
        let outcome = CallsOutcome {
            callers: 100,
            callees: 1,
            in_flight: 4,
            completed: 200_000,
            errors: 0,
            unanswered: 0,
            cpu: cpu(),
            latency_us: [Some(350.0), Some(900.0), Some(2000.0)],
            problems: vec![],
        };
        assert!(outcome.is_clean());
        let line = outcome.json("crossbar", "wamp.2.msgpack");
        assert_eq!(line["calls_per_s"].as_f64().unwrap(), 50_000.0);
        assert_eq!(line["router_us_per_call"].as_f64().unwrap(), 10.0);
        assert_eq!(line["calls_per_core_s"].as_f64().unwrap(), 100_000.0);
        assert_eq!(line["router_cores"].as_f64().unwrap(), 0.5);
        assert!(outcome.human("crossbar").contains("50000 calls/s"));
    }

    #[test]
    fn idle_figures() {
        let outcome = IdleOutcome {
            sessions: 5000,
            rss_before_kib: 4000,
            rss_joined_kib: 19_000,
            rss_held_kib: 19_500,
            join_seconds: 2.5,
            ended: 0,
            problems: vec!["x".into(), "y".into()],
        };
        assert_eq!(outcome.kib_per_session(), Some(3.0));
        let line = outcome.json("capstan", "wamp.2.json");
        assert_eq!(line["kib_per_session_held"].as_f64().unwrap(), 3.1);
        assert_eq!(line["joins_per_s"].as_f64().unwrap(), 2000.0);
        assert!(outcome.human("capstan").ends_with("PROBLEMS: x (and 1 more)"));
        assert_eq!(opt(None, 2), "–");
    }
}
