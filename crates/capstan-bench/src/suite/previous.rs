//! What `--from DIR` reads back of DIR's summary.json: how that suite was
//! described, to describe it again. Every field may be missing (an older
//! or hand-made file); a file that is not a summary counts as none.

use std::path::Path;

use serde::Deserialize;

use super::servers::Server;

/// The parts of a summary.json that `--from` keeps.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Previous {
    /// The preset's name.
    pub preset: Option<String>,
    /// When it started (readable).
    pub started: Option<String>,
    /// How long it took, s.
    pub seconds: Option<f64>,
    /// Servers left out, and why.
    pub skipped: Vec<Skipped>,
}

/// A server left out.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Skipped {
    /// Its id.
    pub server: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

impl Previous {
    /// DIR's summary.json, if there is a readable one.
    pub fn read(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The servers left out that are known, and why.
    pub fn skipped(&self) -> Vec<(&'static Server, String)> {
        self.skipped
            .iter()
            .filter_map(|s| Some((Server::by_id(s.server.as_deref()?)?, s.reason.clone()?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_summary_wrote() {
        let text = r#"{"complete": true, "preset": "smoke", "seconds": 20.5,
            "started": "2025-01-01 00:00:00 UTC", "runs": [],
            "skipped": [{"reason": "`node` is not on PATH", "server": "ws-default", "server_label": "x"},
                        {"reason": "gone", "server": "no-such-server"}, {"server": "floor"}]}"#;
        let p: Previous = serde_json::from_str(text).unwrap();
        assert_eq!(p.preset.as_deref(), Some("smoke"));
        assert_eq!(p.started.as_deref(), Some("2025-01-01 00:00:00 UTC"));
        assert_eq!(p.seconds, Some(20.5));
        let skipped = p.skipped();
        assert_eq!(skipped.len(), 1, "unknown servers and missing reasons left out");
        assert_eq!(
            (skipped[0].0.id, skipped[0].1.as_str()),
            ("ws-default", "`node` is not on PATH")
        );
        let none: Previous = serde_json::from_str("{}").unwrap();
        assert_eq!(none, Previous::default());
    }
}
