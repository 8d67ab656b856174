//! What a connection is a member of, to be left when it ends. The groups
//! (pub/sub topics, above this module) register themselves through
//! [`Membership`], so that a connection need not know what they are.

use std::sync::{Arc, Mutex, MutexGuard};

use super::ConnId;

/// A group a connection can be in, and leave.
pub trait Membership: Send + Sync + 'static {
    /// Takes the connection `id` out (it has ended).
    fn leave(&self, id: ConnId);
}

/// The groups of one connection, boxed when first used: most connections
/// join few groups or none, and an empty slot costs 8 bytes instead of a
/// `Vec`'s 24.
#[allow(clippy::box_collection)]
type Groups = Option<Box<Vec<Arc<dyn Membership>>>>;

/// The groups one connection is in.
#[derive(Default)]
pub(crate) struct Memberships(Mutex<Groups>);

impl Memberships {
    fn lock(&self) -> MutexGuard<'_, Groups> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `group`, once.
    pub(crate) fn join(&self, group: Arc<dyn Membership>) {
        let mut groups = self.lock();
        let groups = groups.get_or_insert_with(Box::default);
        if !groups.iter().any(|g| Arc::ptr_eq(g, &group)) {
            groups.push(group);
        }
    }

    /// Removes `group`.
    pub(crate) fn remove(&self, group: &Arc<dyn Membership>) {
        let mut groups = self.lock();
        if let Some(list) = groups.as_mut() {
            list.retain(|g| !Arc::ptr_eq(g, group));
            if list.is_empty() {
                *groups = None;
            }
        }
    }

    /// How many groups.
    pub(crate) fn len(&self) -> usize {
        self.lock().as_ref().map_or(0, |list| list.len())
    }

    /// Leaves every group, as `id`.
    pub(crate) fn leave_all(&self, id: ConnId) {
        let groups = std::mem::take(&mut *self.lock());
        for group in groups.into_iter().flat_map(|list| *list) {
            group.leave(id);
        }
    }
}

impl std::fmt::Debug for Memberships {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memberships").field("len", &self.len()).finish()
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
        memberships.join(a.clone());
        memberships.join(a.clone());
        memberships.join(b.clone());
        assert_eq!(memberships.len(), 2);
        let b_dyn: Arc<dyn Membership> = b.clone();
        memberships.remove(&b_dyn);
        assert_eq!(memberships.len(), 1);
        memberships.leave_all(ConnId::from_raw(7));
        assert_eq!((a.0.load(Relaxed), b.0.load(Relaxed)), (7, 0));
        assert_eq!(memberships.len(), 0);
    }
}
