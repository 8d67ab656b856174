//! Who is where: connections in rooms, rooms in worker processes. A room's
//! members are all in one worker, so that a worker alone can tell whether
//! every message of its rooms reached every member.

use std::ops::Range;

/// Connections one worker process holds at most when the count of
/// workers is chosen: the limit on open files here is 20,000 per process,
/// and the server, which holds every connection, needs the rest.
pub const PER_WORKER: usize = 9_500;

/// Connections in rooms, rooms in workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Connections in all.
    pub connections: usize,
    /// Rooms in all (`soak-0` …).
    pub rooms: usize,
    /// Worker processes.
    pub workers: usize,
}

impl Layout {
    /// `connections` in rooms of about `room_size`, over `workers`
    /// processes (by default enough for [`PER_WORKER`] each, and at least
    /// two, so that a small run goes through the same merging as a large
    /// one). Never more workers than rooms, nor rooms than connections.
    pub fn new(connections: usize, room_size: usize, workers: Option<usize>) -> Self {
        let connections = connections.max(1);
        let rooms = connections.div_ceil(room_size.max(1));
        let workers = workers.unwrap_or_else(|| connections.div_ceil(PER_WORKER).max(2));
        Self { connections, rooms, workers: workers.clamp(1, rooms) }
    }

    /// The first connection of room `room` (or the count, past the last).
    fn first_of(&self, room: usize) -> usize {
        (room * self.connections).div_ceil(self.rooms)
    }

    /// The room of connection `index`.
    pub fn room_of(&self, index: usize) -> usize {
        index * self.rooms / self.connections
    }

    /// Connection `index`'s place among its room's members, from 0.
    pub fn rank_of(&self, index: usize) -> usize {
        index - self.first_of(self.room_of(index))
    }

    /// Members of room `room`.
    pub fn room_size(&self, room: usize) -> usize {
        self.first_of(room + 1) - self.first_of(room)
    }

    /// Worker `worker`'s rooms.
    pub fn rooms_of(&self, worker: usize) -> Range<usize> {
        worker * self.rooms / self.workers..(worker + 1) * self.rooms / self.workers
    }

    /// Worker `worker`'s connections: every member of its rooms.
    pub fn connections_of(&self, worker: usize) -> Range<usize> {
        let rooms = self.rooms_of(worker);
        self.first_of(rooms.start)..self.first_of(rooms.end)
    }

    /// Worker `worker`'s connections in the order they take turns to
    /// publish: one from each room in turn, so that no room gets a run of
    /// messages while the others wait.
    pub fn publish_order(&self, worker: usize) -> Vec<usize> {
        let mut order: Vec<usize> = self.connections_of(worker).collect();
        order.sort_by_key(|&i| (self.rank_of(i), self.room_of(i)));
        order
    }
}

/// The name of room `room`.
pub fn room_name(room: usize) -> String {
    format!("soak-{room}")
}

/// The room numbered in `name`, if it is a soak room.
pub fn room_number(name: &str) -> Option<usize> {
    name.strip_prefix("soak-")?.parse().ok()
}

/// The user name of connection `index`.
pub fn user_name(index: usize) -> String {
    format!("soak{index:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nineteen_thousand_in_two_workers_of_fifty_rooms() {
        let layout = Layout::new(19_000, 190, None);
        assert_eq!(layout, Layout { connections: 19_000, rooms: 100, workers: 2 });
        assert_eq!(layout.connections_of(0), 0..9_500);
        assert_eq!(layout.connections_of(1), 9_500..19_000);
        assert_eq!(layout.rooms_of(1), 50..100);
        assert!((0..100).all(|r| layout.room_size(r) == 190));
        assert_eq!((layout.room_of(189), layout.room_of(190)), (0, 1));
        assert_eq!((layout.rank_of(189), layout.rank_of(190)), (189, 0));
    }

    #[test]
    fn uneven_counts_cover_every_connection_once() {
        for (n, size, workers) in [(1_000, 190, None), (7, 3, Some(5)), (20_001, 190, None)] {
            let layout = Layout::new(n, size, workers);
            let mut seen = vec![0; n];
            for w in 0..layout.workers {
                let conns = layout.connections_of(w);
                assert!(conns.len() <= PER_WORKER + size, "{n}: worker {w} holds {conns:?}");
                for i in conns {
                    assert!(layout.rooms_of(w).contains(&layout.room_of(i)), "{n}: {i}");
                    assert!(layout.rank_of(i) < layout.room_size(layout.room_of(i)));
                    seen[i] += 1;
                }
                let mut order = layout.publish_order(w);
                order.sort_unstable();
                assert_eq!(order, layout.connections_of(w).collect::<Vec<_>>());
            }
            assert!(seen.iter().all(|&s| s == 1), "{n}");
            let sizes: Vec<usize> = (0..layout.rooms).map(|r| layout.room_size(r)).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
        assert_eq!(Layout::new(1_000, 190, None).workers, 2);
        assert_eq!(Layout::new(5, 190, None).workers, 1, "one room, one worker");
        assert_eq!(Layout::new(20_001, 190, None).workers, 3);
    }

    #[test]
    fn publishing_takes_the_rooms_in_turn() {
        let layout = Layout::new(12, 4, Some(1));
        assert_eq!(layout.publish_order(0), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    }

    #[test]
    fn names() {
        assert_eq!(room_name(42), "soak-42");
        assert_eq!(room_number("soak-42"), Some(42));
        assert_eq!(room_number("general"), None);
        assert_eq!(user_name(7), "soak00007");
    }
}
