//! Ids and secrets from the OS's random source: a game id is 128 random
//! bits (a private game cannot be found by guessing), a resume token 256.

/// `bytes` random bytes as lowercase hex.
fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    // Without the OS's random source no id could be trusted: stop.
    getrandom::fill(&mut raw).expect("the OS random source is available");
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new game id: 32 hex digits.
pub fn game_id() -> String {
    random_hex(16)
}

/// A new player id: 16 hex digits. Public (opponents see it), not a
/// credential.
pub fn player_id() -> String {
    random_hex(8)
}

/// A new resume token: 64 hex digits, known only to its player.
pub fn resume_token() -> String {
    random_hex(32)
}

/// Whether `id` looks like an id this server makes (safe to echo back).
pub fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_of_their_length_and_differ() {
        let (a, b) = (game_id(), game_id());
        assert_eq!(a.len(), 32);
        assert!(is_plain_id(&a));
        assert_ne!(a, b);
        assert_eq!(resume_token().len(), 64);
        assert_eq!(player_id().len(), 16);
        assert!(!is_plain_id("<script>"));
        assert!(!is_plain_id(""));
    }
}
