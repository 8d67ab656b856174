//! What a test's server process needs from the machine before it starts: a
//! loopback port nobody listens on, and an empty directory of its own.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A port of 127.0.0.1 nobody listens on now (another process may take
/// it before the server binds it: callers retry on a clash).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("its address").port()
}

/// A new empty directory under the system's temporary one, its name
/// starting with `capstan-<what>-` (the caller removes it).
pub fn fresh_dir(what: &str) -> PathBuf {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(
        "capstan-{what}-{}-{}-{nanos}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).expect("make a directory for a test's server");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_and_directories_new() {
        let port = free_port();
        TcpListener::bind(("127.0.0.1", port)).expect("nobody listens there");
        let (a, b) = (fresh_dir("x"), fresh_dir("x"));
        assert_ne!(a, b);
        assert!(a.is_dir() && std::fs::read_dir(&a).unwrap().next().is_none());
        std::fs::remove_dir_all(a).unwrap();
        std::fs::remove_dir_all(b).unwrap();
    }
}
