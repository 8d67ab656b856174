//! Offsets in, offsets out: once each, in order, gaps filled or reported.

use super::{Sequencer, Steps};
use crate::pubsub::{Position, Recovery, Stored};
use crate::ws::Message;

fn kept(offset: u64, epoch: &str) -> Stored {
    Stored { position: Position::new(offset, epoch), message: Message::text(format!("m{offset}")) }
}

fn offsets(steps: &Steps) -> Vec<u64> {
    steps.deliver.iter().map(|s| s.position.offset).collect()
}

#[test]
fn in_order_publications_pass_once_each() {
    let mut sequencer = Sequencer::default();
    assert_eq!(offsets(&sequencer.baseline(Position::new(4, "e"))), Vec::<u64>::new());
    assert_eq!(offsets(&sequencer.offer(kept(5, "e"))), [5]);
    assert_eq!(offsets(&sequencer.offer(kept(6, "e"))), [6]);
    assert_eq!(sequencer.offer(kept(6, "e")), Steps::default(), "a duplicate is dropped");
    assert_eq!(sequencer.offer(kept(3, "e")), Steps::default(), "before the baseline");
    assert_eq!(sequencer.at(), Some(&Position::new(6, "e")));
}

#[test]
fn an_early_publication_waits_for_the_gap_to_be_read_from_history() {
    let mut sequencer = Sequencer::default();
    sequencer.baseline(Position::new(1, "e"));
    let steps = sequencer.offer(kept(4, "e"));
    assert_eq!(offsets(&steps), Vec::<u64>::new());
    assert_eq!(steps.fill_after, Some(Position::new(1, "e")));
    // Another early one while the read is under way: no second read.
    assert_eq!(sequencer.offer(kept(5, "e")).fill_after, None);
    // The late one arrives by itself before the history answers.
    assert_eq!(offsets(&sequencer.offer(kept(2, "e"))), [2]);
    let steps =
        sequencer.filled(Some(Recovery::Recovered(vec![kept(2, "e"), kept(3, "e"), kept(4, "e")])));
    assert_eq!(offsets(&steps), [3, 4, 5]);
    assert!(!steps.lost);
    assert_eq!(steps.fill_after, None);
}

#[test]
fn a_gap_the_history_cannot_fill_is_reported_and_skipped() {
    let mut sequencer = Sequencer::default();
    sequencer.baseline(Position::new(1, "e"));
    assert!(sequencer.offer(kept(9, "e")).fill_after.is_some());
    let steps = sequencer.filled(Some(Recovery::NotRecovered { latest: Position::new(9, "e") }));
    assert!(steps.lost);
    assert_eq!(offsets(&steps), [9]);
    assert_eq!(offsets(&sequencer.offer(kept(10, "e"))), [10], "and it goes on");
}

#[test]
fn a_history_that_is_unreachable_or_short_counts_as_a_loss() {
    let mut sequencer = Sequencer::default();
    sequencer.baseline(Position::new(0, "e"));
    sequencer.offer(kept(3, "e"));
    let steps = sequencer.filled(None);
    assert!(steps.lost);
    assert_eq!(offsets(&steps), [3]);

    sequencer.offer(kept(6, "e"));
    // The history gives 4 but not 5.
    let steps = sequencer.filled(Some(Recovery::Recovered(vec![kept(4, "e")])));
    assert!(steps.lost);
    assert_eq!(offsets(&steps), [4, 6]);
    assert_eq!(steps.fill_after, None);
}

#[test]
fn a_new_epoch_restarts_the_stream_and_is_reported() {
    let mut sequencer = Sequencer::default();
    sequencer.baseline(Position::new(7, "old"));
    let steps = sequencer.offer(kept(1, "new"));
    assert!(steps.lost);
    assert_eq!(offsets(&steps), [1]);
    assert_eq!(offsets(&sequencer.offer(kept(2, "new"))), [2]);
}

#[test]
fn without_a_baseline_the_first_publication_sets_it() {
    let mut sequencer = Sequencer::default();
    assert_eq!(offsets(&sequencer.offer(kept(12, "e"))), [12]);
    assert_eq!(offsets(&sequencer.offer(kept(13, "e"))), [13]);
    // A baseline set later is ignored: the stream is known already.
    assert_eq!(sequencer.baseline(Position::new(40, "e")), Steps::default());
    assert_eq!(sequencer.at(), Some(&Position::new(13, "e")));
}

#[test]
fn early_ones_before_the_baseline_wait_for_it() {
    let mut sequencer = Sequencer::default();
    // None known yet: the first sets the baseline, so this one goes.
    assert_eq!(offsets(&sequencer.offer(kept(3, "e"))), [3]);
    let mut other = Sequencer::default();
    let steps = other.baseline(Position::new(5, "e"));
    assert_eq!(steps, Steps::default());
}

#[test]
fn after_a_reconnect_the_history_since_the_last_delivered_is_read() {
    let mut sequencer = Sequencer::default();
    assert_eq!(sequencer.reconnected(), Steps::default(), "nothing known: nothing to read");
    sequencer.baseline(Position::new(2, "e"));
    let steps = sequencer.reconnected();
    assert_eq!(steps.fill_after, Some(Position::new(2, "e")));
    let steps = sequencer.filled(Some(Recovery::Recovered(vec![kept(3, "e"), kept(4, "e")])));
    assert_eq!(offsets(&steps), [3, 4]);
    assert!(!steps.lost);
    let steps = sequencer.filled(Some(Recovery::Recovered(Vec::new())));
    assert_eq!(steps, Steps::default(), "nothing missed: nothing to say");
}
