//! How a worker process hears its parent: the lines of its stdin, read by
//! a thread of their own and handed to the runtime through a channel.

use std::io::BufRead;

use tokio::sync::mpsc;

/// Stdin's lines, trimmed, as they come; the channel closes at the end of
/// input (the parent went away).
pub fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line.trim().to_owned()).is_err() {
                break;
            }
        }
    });
    rx
}
