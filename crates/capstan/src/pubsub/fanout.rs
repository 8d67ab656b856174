//! One prepared message to many connections, paced as a topic is (see
//! `pacing`): while sends come far apart, each connection waiting with
//! nothing queued gets it written at once; under a flood it is queued, and
//! each connection writes what piled up in one system call. For code that
//! picks its recipients per message (a WAMP router's subscribers, filtered
//! by the publisher's lists) rather than keeping a [`Topic`](crate::Topic).

use super::pacing::Pacing;
use super::topic::Delivery;
use crate::conn::Conn;
use crate::stats;
use crate::ws::PreparedMessage;

/// A paced fan-out: keep one for a stream of messages (its pacing learns
/// from each send). Cheap to share by reference across threads.
#[derive(Debug)]
pub struct Fanout {
    pacing: Pacing,
}

impl Default for Fanout {
    fn default() -> Self {
        Self::new()
    }
}

impl Fanout {
    /// A fan-out that has sent nothing yet.
    pub fn new() -> Self {
        Self { pacing: Pacing::new() }
    }

    /// Sends `message` to each of `conns`.
    pub fn send<'a, I>(&self, message: &PreparedMessage, conns: I) -> Delivery
    where
        I: IntoIterator<Item = &'a Conn>,
        I::IntoIter: ExactSizeIterator,
    {
        let conns = conns.into_iter();
        deliver(&self.pacing, message, conns.len(), conns)
    }
}

/// Sends `message` to `conns` (at most `count` of them) under `pacing`.
pub(crate) fn deliver<'a>(
    pacing: &Pacing,
    message: &PreparedMessage,
    count: usize,
    conns: impl Iterator<Item = &'a Conn>,
) -> Delivery {
    let mut delivery = Delivery::default();
    let fanout = pacing.begin(count);
    let mut written_at_once = 0;
    for conn in conns {
        match conn.send_prepared_paced(message, fanout.at_once) {
            Ok(at_once) => {
                delivery.queued += 1;
                written_at_once += usize::from(at_once);
            }
            Err(_) => delivery.refused += 1,
        }
    }
    pacing.end(fanout, written_at_once);
    stats::delivered(delivery.queued);
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    fn conn() -> Conn {
        let request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        Conn::new("127.0.0.1:1".parse().unwrap(), request, None, None, 1 << 20, Default::default())
    }

    #[test]
    fn a_fanout_reaches_the_connections_it_is_given_and_counts_refusals() {
        let fanout = Fanout::new();
        let (a, b, closed) = (conn(), conn(), conn());
        closed.close(crate::CloseCode::NORMAL, "");
        let delivery = fanout.send(&PreparedMessage::new("hi"), [&a, &b, &closed]);
        assert_eq!(delivery, Delivery { queued: 2, refused: 1 });
        let delivery = fanout.send(&PreparedMessage::new("only a"), [&a]);
        assert_eq!(delivery, Delivery { queued: 1, refused: 0 });
    }
}
