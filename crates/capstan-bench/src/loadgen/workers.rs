//! The coordinator's side of its worker processes: starting them, sending
//! a command to all and collecting one answer from each.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::plan::WorkerPlan;
use super::wire::Line;

/// Longest a worker may take to answer a command.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a worker may take to exit once stopped.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The running workers; killed when dropped.
#[derive(Debug)]
pub struct Workers {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    /// Each worker's stdout lines, tagged with its number; `None` at its end.
    lines: mpsc::UnboundedReceiver<(usize, Option<String>)>,
}

impl Workers {
    /// Starts one worker process (this program, `worker PLAN…`) per plan.
    pub fn spawn(plans: &[WorkerPlan]) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        let (tx, lines) = mpsc::unbounded_channel();
        let mut workers = Self { children: Vec::new(), stdins: Vec::new(), lines };
        for (index, plan) in plans.iter().enumerate() {
            let mut child = Command::new(&exe)
                .arg("worker")
                .args(plan.to_args())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("starting worker {index}: {e}"))?;
            workers.stdins.push(child.stdin.take().expect("piped"));
            let stdout = child.stdout.take().expect("piped");
            workers.children.push(child);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((index, Some(line))).is_err() {
                        return;
                    }
                }
                let _ = tx.send((index, None));
            });
        }
        Ok(workers)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Their process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// Sends `command` to every worker; returns each one's answer, in
    /// worker order. Fails on an `error` line, a worker's end, or silence.
    pub async fn command(&mut self, command: &str) -> Result<Vec<Line>, String> {
        for index in 0..self.stdins.len() {
            let stdin = &mut self.stdins[index];
            if let Err(e) = writeln!(stdin, "{command}").and_then(|()| stdin.flush()) {
                // It has probably exited; its last line says why.
                return Err(self
                    .last_words(index)
                    .await
                    .unwrap_or_else(|| format!("worker {index}: sending {command:?}: {e}")));
            }
        }
        let mut answers: Vec<Option<Line>> = vec![None; self.len()];
        let until = tokio::time::Instant::now() + REPLY_TIMEOUT;
        while answers.iter().any(Option::is_none) {
            let next = tokio::time::timeout_at(until, self.lines.recv()).await;
            let (index, text) = match next {
                Err(_) => {
                    return Err(format!(
                        "no answer to {command:?} from a worker within {REPLY_TIMEOUT:?}"
                    ));
                }
                Ok(None) => return Err("every worker has gone".into()),
                Ok(Some((index, None))) => return Err(format!("worker {index} exited")),
                Ok(Some((index, Some(text)))) => (index, text),
            };
            let line = Line::parse(&text).map_err(|e| format!("worker {index}: {e}"))?;
            if line.kind == "error" {
                return Err(format!("worker {index}: {}", line.get("msg").unwrap_or("failed")));
            }
            answers[index] = Some(line);
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// The `error` line a worker printed before it ended, if any (waiting
    /// a moment for it).
    async fn last_words(&mut self, worker: usize) -> Option<String> {
        let until = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(Some((index, text))) = tokio::time::timeout_at(until, self.lines.recv()).await
        {
            let line = text.and_then(|t| Line::parse(&t).ok());
            match line {
                Some(line) if index == worker && line.kind == "error" => {
                    return Some(format!(
                        "worker {index}: {}",
                        line.get("msg").unwrap_or("failed")
                    ));
                }
                None if index == worker => return None,
                _ => {}
            }
        }
        None
    }

    /// Tells every worker to stop and waits (a bounded time) for each to exit.
    pub async fn stop(mut self) {
        let _ = self.command("stop").await;
        let until = Instant::now() + EXIT_TIMEOUT;
        for child in &mut self.children {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.children {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}
