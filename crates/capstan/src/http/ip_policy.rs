//! IP allow and deny lists by CIDR block (Ratchet's `IpBlackList`, both
//! ways): a refused peer gets 403 before any upgrade.

use std::net::IpAddr;
use std::str::FromStr;

use super::component::{Decision, HttpComponent};
use crate::request::Rejection;
use crate::request::Request;

/// An address block: `10.0.0.0/8`, `::1/128`, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A CIDR block that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCidr(pub String);

impl std::fmt::Display for InvalidCidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid CIDR block {:?}", self.0)
    }
}

impl std::error::Error for InvalidCidr {}

impl FromStr for Cidr {
    type Err = InvalidCidr;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidCidr(text.to_owned());
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr.trim().parse().map_err(|_| invalid())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(invalid)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    /// Whether `addr` is in this block (IPv4-mapped IPv6 addresses count as
    /// their IPv4 address).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_eq(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (bytes, bits) = ((prefix / 8) as usize, prefix % 8);
    if a[..bytes] != b[..bytes] {
        return false;
    }
    bits == 0 || (a[bytes] ^ b[bytes]) >> (8 - bits) == 0
}

/// Who may connect: denied blocks always lose; when an allow list is
/// given, only its blocks pass.
#[derive(Debug, Clone, Default)]
pub struct IpPolicy {
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
}

impl IpPolicy {
    /// Everyone, until told otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these blocks (plus other `allow` calls).
    pub fn allow(mut self, block: Cidr) -> Self {
        self.allow.push(block);
        self
    }

    /// Never these blocks.
    pub fn deny(mut self, block: Cidr) -> Self {
        self.deny.push(block);
        self
    }

    /// Whether `addr` passes.
    pub fn permits(&self, addr: IpAddr) -> bool {
        !self.deny.iter().any(|b| b.contains(addr))
            && (self.allow.is_empty() || self.allow.iter().any(|b| b.contains(addr)))
    }
}

/// Wraps a layer and answers 403 to peers the policy refuses.
pub struct IpFilter<C> {
    inner: C,
    policy: IpPolicy,
}

impl<C: HttpComponent> IpFilter<C> {
    /// Filters requests by peer address before `inner` sees them.
    pub fn new(inner: C, policy: IpPolicy) -> Self {
        Self { inner, policy }
    }
}

impl<C: HttpComponent> HttpComponent for IpFilter<C> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        match request.remote_addr() {
            Some(addr) if !self.policy.permits(addr.ip()) => {
                Decision::Reject(Rejection::new(403, "your address is not allowed"))
            }
            _ => self.inner.on_request(request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses() {
        assert!(cidr("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(cidr("192.168.1.0/25").contains(ip("192.168.1.127")));
        assert!(!cidr("192.168.1.0/25").contains(ip("192.168.1.128")));
        assert!(cidr("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(cidr("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(!cidr("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(cidr("fd00::/8").contains(ip("fd12::1")));
        assert!(!cidr("fd00::/8").contains(ip("fe80::1")));
        assert!(cidr("127.0.0.0/8").contains(ip("::ffff:127.0.0.5")), "v4-mapped v6");
        assert!(!cidr("::/0").contains(ip("1.2.3.4")), "families do not mix");
    }

    #[test]
    fn bad_blocks_do_not_parse() {
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0/8", "x/8", "10.0.0.0/-1"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn deny_wins_over_allow() {
        let policy = IpPolicy::new().allow(cidr("10.0.0.0/8")).deny(cidr("10.0.0.66"));
        assert!(policy.permits(ip("10.1.2.3")));
        assert!(!policy.permits(ip("10.0.0.66")));
        assert!(!policy.permits(ip("192.0.2.1")), "not in the allow list");
        assert!(IpPolicy::new().permits(ip("192.0.2.1")), "no list: everyone");
    }
}
