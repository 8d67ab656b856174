//! What a connection is a member of, to be left when it ends. The groups
//! (pub/sub topics, above this module) register themselves through
//! [`Membership`], so that a connection need not know what they are.
//!
//! A group may also hold messages for its members and hand them over
//! later, in batches (a topic under a flood does: `pubsub::batch`). The
//! memberships keep the connection's place in the process's order of
//! publishes (`handover`): the number up to which everything its groups
//! held for it has been handed over. Handing over happens under their
//! lock, so it is in order and once.

use std::sync::{Arc, Mutex, MutexGuard};

use super::ConnId;
use crate::ws::PreparedMessage;

/// A group a connection can be in, and leave.
pub trait Membership: Send + Sync + 'static {
    /// Takes the connection `id` out (it has ended).
    fn leave(&self, id: ConnId);

    /// Adds to `out` the messages this group holds for the connection `id`
    /// and has not handed over yet, numbered after `after` and up to
    /// `upto` (numbers from the process's order of publishes), with their
    /// numbers. A group that delivers at once (the default) holds none.
    fn held_for(&self, id: ConnId, after: u64, upto: u64, out: &mut Vec<(u64, PreparedMessage)>) {
        let _ = (id, after, upto, out);
    }
}

/// A group and the number of the last publish before the connection
/// joined it (what it held before is not the connection's).
type Joined = (Arc<dyn Membership>, u64);

/// The groups of one connection, boxed when first used: most connections
/// join few groups or none, and an empty slot costs 8 bytes instead of a
/// `Vec`'s 24.
#[allow(clippy::box_collection)]
type Groups = Option<Box<Vec<Joined>>>;

#[derive(Default)]
struct State {
    groups: Groups,
    /// Everything numbered up to here that the groups held for this
    /// connection has been handed over.
    handed_over: u64,
}

impl State {
    /// How many groups.
    fn len(&self) -> usize {
        self.groups.as_ref().map_or(0, |list| list.len())
    }
}

/// The groups one connection is in.
#[derive(Default)]
pub(crate) struct Memberships(Mutex<State>);

/// A connection's memberships, locked: what a group handing a batch over
/// reads and moves on.
pub(crate) struct Handover<'a>(MutexGuard<'a, State>);

impl Handover<'_> {
    /// The number up to which everything held has been handed over.
    pub(crate) fn handed_over(&self) -> u64 {
        self.0.handed_over
    }

    /// Everything up to `upto` has been handed over.
    pub(crate) fn set_handed_over(&mut self, upto: u64) {
        self.0.handed_over = self.0.handed_over.max(upto);
    }

    /// What the groups (all of them) hold for `id` numbered up to `upto`
    /// and not handed over yet, in the order of their numbers.
    pub(crate) fn held(&self, id: ConnId, upto: u64) -> Vec<(u64, PreparedMessage)> {
        let mut due = Vec::new();
        for (group, joined) in self.0.groups.iter().flat_map(|list| list.iter()) {
            group.held_for(id, self.0.handed_over.max(*joined), upto, &mut due);
        }
        due.sort_unstable_by_key(|(number, _)| *number);
        due
    }

    /// How many groups.
    pub(crate) fn groups(&self) -> usize {
        self.0.len()
    }
}

impl Memberships {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `group`, once; `joined`: the number of the last publish before.
    pub(crate) fn join(&self, group: Arc<dyn Membership>, joined: u64) {
        let mut state = self.lock();
        let groups = state.groups.get_or_insert_with(Box::default);
        if !groups.iter().any(|(g, _)| Arc::ptr_eq(g, &group)) {
            groups.push((group, joined));
        }
    }

    /// Removes `group`.
    pub(crate) fn remove(&self, group: &Arc<dyn Membership>) {
        let mut state = self.lock();
        if let Some(list) = state.groups.as_mut() {
            list.retain(|(g, _)| !Arc::ptr_eq(g, group));
            if list.is_empty() {
                state.groups = None;
            }
        }
    }

    /// How many groups.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Locks the memberships to hand messages over to the connection.
    pub(crate) fn handover(&self) -> Handover<'_> {
        Handover(self.lock())
    }

    /// Leaves every group, as `id`.
    pub(crate) fn leave_all(&self, id: ConnId) {
        let groups = std::mem::take(&mut self.lock().groups);
        for (group, _) in groups.into_iter().flat_map(|list| *list) {
            group.leave(id);
        }
    }
}

impl std::fmt::Debug for Memberships {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Memberships")
            .field("len", &state.len())
            .field("handed_over", &state.handed_over)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use super::*;

    #[derive(Default)]
    struct Group(AtomicU64);

    impl Membership for Group {
        fn leave(&self, id: ConnId) {
            self.0.store(id.get(), Relaxed);
        }
    }

    #[test]
    fn joined_once_left_all_at_the_end() {
        let memberships = Memberships::default();
        let (a, b) = (Arc::new(Group::default()), Arc::new(Group::default()));
        memberships.join(a.clone(), 0);
        memberships.join(a.clone(), 0);
        memberships.join(b.clone(), 0);
        assert_eq!(memberships.len(), 2);
        let b_dyn: Arc<dyn Membership> = b.clone();
        memberships.remove(&b_dyn);
        assert_eq!(memberships.len(), 1);
        memberships.leave_all(ConnId::from_raw(7));
        assert_eq!((a.0.load(Relaxed), b.0.load(Relaxed)), (7, 0));
        assert_eq!(memberships.len(), 0);
    }
}
