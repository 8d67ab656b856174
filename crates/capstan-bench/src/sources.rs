//! Source addresses: one address has about 28,000 ephemeral ports (see
//! /proc/sys/net/ipv4/ip_local_port_range), so beyond [`PER_SOURCE`]
//! connections the clients bind to 127.0.0.1, 127.0.0.2, … in turn, at
//! most [`PER_BOUND_SOURCE`] on each.

use std::net::{IpAddr, Ipv4Addr};

/// Connections from one unbound source at most, leaving ports to spare.
pub const PER_SOURCE: usize = 25_000;
/// Connections per source address at most once the clients bind: a
/// `bind(2)` to port 0 takes the ports of one parity first, half the
/// range, and past them each bind searches that half in vain before the
/// other (95,000 connections over 4 addresses went from ~9,000 to ~300
/// opened per second at about 14,000 per address).
pub const PER_BOUND_SOURCE: usize = 12_000;
/// 127.0.0.1 to 127.0.0.254.
pub const MAX_SOURCES: usize = 254;

/// Source addresses enough for `connections` at once.
pub fn needed(connections: usize) -> usize {
    if connections <= PER_SOURCE { 1 } else { connections.div_ceil(PER_BOUND_SOURCE) }
}

/// Checks that `count` source addresses can be used to reach `dest`.
pub fn check(count: usize, dest: IpAddr) -> Result<(), String> {
    if count == 0 || count > MAX_SOURCES {
        return Err(format!("source addresses: 1 to {MAX_SOURCES}, not {count}"));
    }
    if count > 1 && !dest.is_ipv4() {
        return Err(format!("several source addresses need an IPv4 server address, not {dest}"));
    }
    Ok(())
}

/// The source address of connection `index` among `count` addresses:
/// `None` (let the kernel choose) for a single one, else 127.0.0.(1 + index mod count).
pub fn source_for(index: usize, count: usize) -> Option<IpAddr> {
    (count > 1).then(|| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (index % count) as u8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_connections() {
        assert_eq!(needed(0), 1);
        assert_eq!(needed(25_000), 1);
        assert_eq!(needed(25_001), 3);
        assert_eq!(needed(95_000), 8);
        assert_eq!(source_for(7, 1), None);
        assert_eq!(source_for(0, 3), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(source_for(5, 3), Some("127.0.0.3".parse().unwrap()));
        assert_eq!(source_for(253, 254), Some("127.0.0.254".parse().unwrap()));
        assert!(check(2, "127.0.0.1".parse().unwrap()).is_ok());
        assert!(check(2, "::1".parse().unwrap()).is_err());
        assert!(check(255, "127.0.0.1".parse().unwrap()).is_err());
    }
}
