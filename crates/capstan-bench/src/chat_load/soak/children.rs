//! The parent's side of its worker processes: starting them (this program,
//! `soak-worker PLAN…`), their stdout lines as events, commands to all.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;
use tokio::sync::mpsc;

use super::error::SoakError;
use super::plan::Plan;

/// One line from a worker: its word and its JSON, or its end.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A line `word {json}`.
    Line(String, Value),
    /// Its stdout closed: it exited.
    Exited,
}

/// The running workers; killed when dropped.
#[derive(Debug)]
pub struct Children {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    events: mpsc::UnboundedReceiver<(usize, Event)>,
}

impl Children {
    /// Starts one worker per plan.
    pub fn spawn(plans: &[Plan]) -> Result<Self, SoakError> {
        let exe = std::env::current_exe()
            .map_err(|e| SoakError::Setup(format!("own executable: {e}")))?;
        let (tx, events) = mpsc::unbounded_channel();
        let mut all = Self { children: Vec::new(), stdins: Vec::new(), events };
        for (index, plan) in plans.iter().enumerate() {
            let mut child = Command::new(&exe)
                .arg("soak-worker")
                .args(plan.to_args())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| SoakError::Worker { index, why: format!("start: {e}") })?;
            all.stdins.push(child.stdin.take().expect("piped"));
            let stdout = child.stdout.take().expect("piped");
            all.children.push(child);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((index, parse(&line))).is_err() {
                        return;
                    }
                }
                let _ = tx.send((index, Event::Exited));
            });
        }
        Ok(all)
    }

    /// Their process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// The next event of any worker (`None` once none is left).
    pub async fn next(&mut self) -> Option<(usize, Event)> {
        self.events.recv().await
    }

    /// Sends `command` to every worker.
    pub fn tell(&mut self, command: &str) -> Result<(), SoakError> {
        for (index, stdin) in self.stdins.iter_mut().enumerate() {
            writeln!(stdin, "{command}").and_then(|()| stdin.flush()).map_err(|e| {
                SoakError::Worker { index, why: format!("telling it {command}: {e}") }
            })?;
        }
        Ok(())
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.children {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// A worker's line: `word {json}` (a line that is not is kept whole, as
/// the word, with null).
fn parse(line: &str) -> Event {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    match serde_json::from_str(rest) {
        Ok(value) => Event::Line(word.to_owned(), value),
        Err(_) => Event::Line(line.to_owned(), Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            parse(r#"ready {"connected":5}"#),
            Event::Line("ready".into(), serde_json::json!({"connected": 5}))
        );
        assert_eq!(parse("garbage here"), Event::Line("garbage here".into(), Value::Null));
    }
}
