//! A NATS restart under a steady stream (issue #15): two nodes on a real
//! nats-server sharing one history; A publishes numbered plain
//! publications on one topic and numbered kept ones on another, a few
//! milliseconds apart, while the server is stopped and started again; B
//! listens to both. What B misses must be what NATS core's at-most-once
//! promises it may miss, and nothing else.
//!
//! What an answer means here (read from the broker, `broker.rs` and
//! `outbound.rs`):
//!
//! - **Ok** (plain): the NATS client took it and flushed its writes to its
//!   socket. Not that the server read it: a server killed at that moment
//!   loses what it had not routed yet. So an Ok just before the stop may
//!   be lost, and this test does not require those to arrive.
//! - **Unavailable "not connected …"** (or "… wait for NATS already", the
//!   queue full): refused before it was handed to the client. It goes
//!   nowhere, ever.
//! - **Unavailable otherwise** ("not flushed within …", "did not take
//!   it …"): it was handed to the client, which did not confirm in time.
//!   The client keeps what it was handed across a reconnect, so it may
//!   still reach B afterwards — once at most. Neither outcome is asserted.
//!
//! From one publisher over one connection to one subscriber NATS keeps
//! order, and a publication the server routes while B's subscription is in
//! effect reaches B. With one cut, B's plain stream is therefore complete
//! up to what it had heard when the server was stopped, complete again
//! from the first publication made after the restart that it hears, and
//! in between (the gap) holds some, none or all of the rest — never one
//! refused, never one twice, never out of order. That is the whole
//! at-most-once guarantee for one publisher, and what is asserted.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use capstan::Topics;
use capstan::pubsub::{Ack, BrokerError, HistoryLimits, Keep, MemoryHistory};
use capstan_testkit::nats::NatsServer;
use capstan_testkit::wait::{WAIT, within};
use common::*;
use tokio::sync::mpsc;

/// Between two rounds of the publisher (one plain, one kept publication).
const PAUSE: Duration = Duration::from_millis(3);
/// Plain publications B hears before the server is stopped.
const BEFORE: usize = 100;
/// How long A goes on publishing while the server is down.
const DOWN: Duration = Duration::from_millis(1500);
/// Rounds published after B hears again, before the publisher stops.
const AFTER: u64 = 300;
/// Rounds the publisher makes at most, whatever happens.
const MOST: u64 = 20_000;

/// When a round was published, as the test sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the server was stopped.
    Up,
    /// After it was stopped, before it was started again.
    Down,
    /// After it was started again.
    Restarted,
}

/// A plain publication's answer (see the file's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Ok,
    /// Unavailable before it was handed to the NATS client.
    NotSent(String),
    /// Unavailable after: the client may send it still.
    Unsure(String),
    Other(String),
}

impl Answer {
    fn of(answer: Result<capstan::pubsub::Acknowledged, BrokerError>) -> Answer {
        match answer {
            Ok(_) => Answer::Ok,
            Err(BrokerError::Unavailable(why))
                if why.contains("not connected") || why.contains("wait for NATS already") =>
            {
                Answer::NotSent(why)
            }
            Err(BrokerError::Unavailable(why)) => Answer::Unsure(why),
            Err(other) => Answer::Other(other.to_string()),
        }
    }
}

/// One round: when it was published, the plain publication's answer, and
/// the kept one's (its offset, or why not).
#[derive(Debug)]
struct Round {
    phase: Phase,
    plain: Answer,
    kept: Result<u64, String>,
}

/// The publisher's state, shared with the test under one lock: a round is
/// numbered, tagged and published under it, so a round tagged `Up` was
/// published before the test (under the lock) moved on to stop NATS.
struct Stream {
    phase: Phase,
    published: u64,
    last: u64,
}

/// Publishes rounds on `topics` until `stream.last`, a `PAUSE` apart;
/// every answer, in order, by the end.
async fn publish_steadily(topics: Topics, stream: Arc<Mutex<Stream>>) -> Vec<Round> {
    let (answers, mut answered) = mpsc::unbounded_channel::<(Phase, Ack, Ack)>();
    let collector = tokio::spawn(async move {
        let mut rounds = Vec::new();
        while let Some((phase, plain, kept)) = answered.recv().await {
            let plain = Answer::of(within("a plain publication's answer", plain).await);
            let kept = match within("a kept publication's answer", kept).await {
                Ok(ack) => Ok(ack.position.expect("a kept publication's position").offset),
                Err(error) => Err(error.to_string()),
            };
            rounds.push(Round { phase, plain, kept });
        }
        rounds
    });
    loop {
        let round = {
            let mut stream = stream.lock().unwrap();
            if stream.published >= stream.last {
                break;
            }
            stream.published += 1;
            let n = stream.published;
            let plain = topics.publish("plain", format!("p{n}"), &[]).ack;
            let kept = topics.publish_kept("kept", format!("k{n}"), &[], Keep::default()).ack;
            (stream.phase, plain, kept)
        };
        answers.send(round).expect("the collector runs");
        tokio::time::sleep(PAUSE).await;
    }
    drop(answers);
    within("every answer", collector).await.expect("the collector")
}

/// The numbers of `texts`, each `<prefix><n>`; panics on anything else
/// (B heard something A did not publish).
fn numbers(texts: &[String], prefix: char) -> Vec<u64> {
    texts
        .iter()
        .map(|text| {
            text.strip_prefix(prefix)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("B heard {text:?}, which A did not publish"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_under_load_loses_plain_publications_only_in_the_gap_and_no_kept_one() {
    let mut nats = NatsServer::start();
    // Roomy: the kept ones published while NATS is down stay in it.
    let history = Arc::new(MemoryHistory::new(HistoryLimits {
        max_len: 100_000,
        ttl: Duration::from_secs(600),
    }));
    let a = Node::start(&nats, history.clone()).await;
    let b = Node::start(&nats, history.clone()).await;
    let (_plain_listening, plain_on_b) = b.listen("plain");
    let (_kept_listening, kept_on_b) = b.listen("kept");
    for topic in ["plain", "kept"] {
        within("B's subscription", b.topics.ready(topic)).await.expect("B subscribed");
    }

    let stream = Arc::new(Mutex::new(Stream { phase: Phase::Up, published: 0, last: MOST }));
    let publisher = tokio::spawn(publish_steadily(a.topics.clone(), stream.clone()));

    wait_until("B hears the stream", WAIT, || plain_on_b.all().len() >= BEFORE).await;
    // What B heard before the cut: every plain publication up to the last
    // of these must be there in the end (nothing is lost before the gap).
    let heard_before_stop = numbers(&plain_on_b.all(), 'p');
    let last_before_stop = *heard_before_stop.last().unwrap();
    stream.lock().unwrap().phase = Phase::Down;
    nats.stop();
    wait_until("A sees the cut", RECONNECT_WAIT, || !a.broker.is_connected()).await;
    tokio::time::sleep(DOWN).await;
    tokio::task::block_in_place(|| nats.start_again());
    let published_before_restart = {
        let mut stream = stream.lock().unwrap();
        stream.phase = Phase::Restarted;
        stream.published
    };
    // Nothing subscribes again here: the broker must, by itself.
    wait_until("B hears a plain publication made after the restart", RECONNECT_WAIT, || {
        numbers(&plain_on_b.all(), 'p').iter().any(|&n| n > published_before_restart)
    })
    .await;
    let last = {
        let mut stream = stream.lock().unwrap();
        stream.last = stream.published + AFTER;
        stream.last
    };
    let rounds = within("the publisher ends", publisher).await.expect("the publisher");
    assert_eq!(rounds.len() as u64, last);
    let answer = |n: u64| &rounds[n as usize - 1];
    let (last_plain, last_kept) = (format!("p{last}"), format!("k{last}"));
    wait_until("B hears the last plain publication", WAIT, || {
        plain_on_b.all().contains(&last_plain)
    })
    .await;
    wait_until("B hears the last kept publication", WAIT, || kept_on_b.all().contains(&last_kept))
        .await;

    // ---- Plain: at most once, in order, lost only in the gap.
    let received = numbers(&plain_on_b.all(), 'p');
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "B heard the plain ones in A's order, none twice: {received:?}"
    );
    assert!(received.iter().all(|&n| (1..=last).contains(&n)), "only what A published");
    for (n, round) in (1..).zip(&rounds) {
        assert!(
            !matches!(round.plain, Answer::Other(_)),
            "p{n}: neither Ok nor Unavailable: {:?}",
            round.plain
        );
    }
    let heard = |n: u64| received.binary_search(&n).is_ok();
    let never_sent: Vec<u64> =
        (1..=last).filter(|&n| matches!(answer(n).plain, Answer::NotSent(_))).collect();
    assert!(
        !never_sent.is_empty(),
        "no plain publication was refused while NATS was down: the test saw no gap"
    );
    let never_sent_but_heard: Vec<u64> = never_sent.iter().copied().filter(|&n| heard(n)).collect();
    assert!(never_sent_but_heard.is_empty(), "refused, yet B heard {never_sent_but_heard:?}");
    // Before the gap: everything up to the last one B had heard at the stop.
    let lost_before: Vec<u64> = (1..=last_before_stop).filter(|&n| !heard(n)).collect();
    assert!(lost_before.is_empty(), "lost before the gap: {lost_before:?}");
    assert!(
        (1..=last_before_stop).all(|n| answer(n).plain == Answer::Ok),
        "answered Ok before the cut"
    );
    // After the gap: the first publication made after the restart that B
    // heard shows its subscription back (the broker's doing), and from it
    // on every one is there, each answered Ok.
    let back = *received
        .iter()
        .find(|&&n| answer(n).phase == Phase::Restarted)
        .expect("B heard publications made after the restart");
    let lost_after: Vec<u64> = (back..=last).filter(|&n| !heard(n)).collect();
    assert!(lost_after.is_empty(), "lost after B was back (from p{back}): {lost_after:?}");
    let not_ok_after: Vec<(u64, &Answer)> = (back..=last)
        .map(|n| (n, &answer(n).plain))
        .filter(|(_, answer)| **answer != Answer::Ok)
        .collect();
    assert!(not_ok_after.is_empty(), "not Ok after B was back: {not_ok_after:?}");
    assert!(last - back >= AFTER, "B heard at least {AFTER} rounds after it was back");
    // So whatever B missed lies in the gap, after what it had heard at the
    // stop and before what it heard first after the restart.
    let gap = last_before_stop + 1..back;
    let missed: Vec<u64> = (1..=last).filter(|&n| !heard(n)).collect();
    assert!(missed.iter().all(|n| gap.contains(n)), "missed outside {gap:?}: {missed:?}");

    // ---- Kept: every acknowledged one once, in offset order, none lost.
    let kept_heard = kept_on_b.all();
    let numbered = numbers(&kept_heard, 'k');
    let mut acknowledged: Vec<(u64, u64)> = (1..=last)
        .filter_map(|n| answer(n).kept.as_ref().ok().map(|&offset| (offset, n)))
        .collect();
    acknowledged.sort_unstable();
    let offsets: Vec<u64> = acknowledged.iter().map(|&(offset, _)| offset).collect();
    assert_eq!(offsets, (1..=offsets.len() as u64).collect::<Vec<_>>(), "one stream, no hole");
    let in_offset_order: Vec<u64> = acknowledged.iter().map(|&(_, n)| n).collect();
    assert_eq!(numbered, in_offset_order, "B heard every acknowledged kept one once, in order");
    let refused: Vec<u64> = (1..=last).filter(|&n| answer(n).kept.is_err()).collect();
    assert!(refused.iter().all(|n| !numbered.contains(n)), "refused kept ones heard");
    let kept_while_down = (1..=last).filter(|&n| answer(n).phase == Phase::Down).count();
    assert!(kept_while_down > 0, "kept ones were published while NATS was down");

    let count = |phase: Phase, what: fn(&Answer) -> bool| {
        rounds.iter().filter(|r| r.phase == phase && what(&r.plain)).count()
    };
    eprintln!(
        "{last} rounds; plain: stop after B heard p{last_before_stop}, back at p{back}; \
         heard in the gap {:?}; {} missed ({} refused, {} unsure, {} Ok); Up {} Ok / Down {} Ok {} refused {} unsure / \
         Restarted {} Ok {} refused {} unsure; kept: {} acknowledged, {} refused",
        gap.clone()
            .filter(|&n| heard(n))
            .map(|n| (n, answer(n).phase, &answer(n).plain))
            .collect::<Vec<_>>(),
        missed.len(),
        missed.iter().filter(|&&n| matches!(answer(n).plain, Answer::NotSent(_))).count(),
        missed.iter().filter(|&&n| matches!(answer(n).plain, Answer::Unsure(_))).count(),
        missed.iter().filter(|&&n| answer(n).plain == Answer::Ok).count(),
        count(Phase::Up, |a| *a == Answer::Ok),
        count(Phase::Down, |a| *a == Answer::Ok),
        count(Phase::Down, |a| matches!(a, Answer::NotSent(_))),
        count(Phase::Down, |a| matches!(a, Answer::Unsure(_))),
        count(Phase::Restarted, |a| *a == Answer::Ok),
        count(Phase::Restarted, |a| matches!(a, Answer::NotSent(_))),
        count(Phase::Restarted, |a| matches!(a, Answer::Unsure(_))),
        acknowledged.len(),
        refused.len(),
    );
}
