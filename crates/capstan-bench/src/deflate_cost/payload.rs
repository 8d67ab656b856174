//! The JSON texts sent: distinct per message, of a chosen size, shaped
//! like application data (repeated keys, varied values).

/// Size of the message each client sends and gets echoed (active phase).
pub const ECHO_SIZE: usize = 2048;
/// Size of each broadcast message.
pub const BROADCAST_SIZE: usize = 4096;

const SYMBOLS: [&str; 16] = [
    "AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "ORCL", "INTC", "AMD", "IBM", "CSCO",
    "ADBE", "NFLX", "QCOM", "SAP",
];
const VENUES: [&str; 4] = ["XNAS", "XNYS", "BATS", "IEXG"];

/// The text a client sends (and gets back) in the active phase.
pub fn echo(conn: usize) -> String {
    json("echo", conn as u64, ECHO_SIZE)
}

/// Broadcast message number `seq`.
pub fn broadcast(seq: u64) -> String {
    json("quotes", seq, BROADCAST_SIZE)
}

/// A JSON object of at most `size` bytes (and close to it), distinct for
/// each `seq`: a batch of quotes with pseudo-random values.
pub fn json(kind: &str, seq: u64, size: usize) -> String {
    let mut rng = SplitMix(seq ^ ((kind.len() as u64) << 56));
    let mut out = String::with_capacity(size);
    out.push_str(&format!("{{\"type\":\"{kind}\",\"seq\":{seq},\"quotes\":["));
    let mut item = String::new();
    for id in 0.. {
        item.clear();
        let r = rng.next();
        let price = 10_000 + r % 90_000;
        item.push_str(&format!(
            "{}{{\"id\":{},\"symbol\":\"{}\",\"venue\":\"{}\",\"bid\":{}.{:02},\"ask\":{}.{:02},\"size\":{},\"ts\":{}}}",
            if id == 0 { "" } else { "," },
            seq * 1000 + id,
            SYMBOLS[(r >> 20) as usize % SYMBOLS.len()],
            VENUES[(r >> 28) as usize % VENUES.len()],
            price / 100,
            price % 100,
            (price + 1 + (r >> 40) % 20) / 100,
            (price + 1 + (r >> 40) % 20) % 100,
            100 * (1 + (r >> 48) % 50),
            1_718_000_000_000 + seq * 250 + rng.next() % 250,
        ));
        if out.len() + item.len() + 2 > size {
            break;
        }
        out.push_str(&item);
    }
    out.push_str("]}");
    out
}

/// SplitMix64: a small, good-enough generator for varied values.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_to_the_size_and_distinct() {
        let a = broadcast(1);
        let b = broadcast(2);
        assert_ne!(a, b);
        assert!(a.len() <= BROADCAST_SIZE && a.len() > BROADCAST_SIZE - 200, "{}", a.len());
        assert!(echo(7).len() <= ECHO_SIZE && echo(7).len() > ECHO_SIZE - 200);
        assert!(a.starts_with("{\"type\":\"quotes\",\"seq\":1,") && a.ends_with("]}"));
    }
}
