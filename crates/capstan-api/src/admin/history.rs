//! The last minutes of points, newest last: a ring of a fixed capacity
//! that forgets the oldest point when full.

use std::collections::VecDeque;

use super::rates::Point;

/// The points a new admin page gets at once.
#[derive(Debug)]
pub(crate) struct History {
    points: VecDeque<Point>,
    capacity: usize,
}

impl History {
    /// Keeps at most `capacity` points (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { points: VecDeque::with_capacity(capacity), capacity }
    }

    /// Adds the newest point, forgetting the oldest if full.
    pub(crate) fn push(&mut self, point: Point) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(point);
    }

    /// The points, oldest first.
    pub(crate) fn points(&self) -> impl ExactSizeIterator<Item = &Point> {
        self.points.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::source::AdminSample;
    use std::time::Duration;

    fn point(t: u64) -> Point {
        let zero = AdminSample::default();
        Point::between(&zero, &zero, Duration::from_secs(1), t)
    }

    #[test]
    fn keeps_the_newest_points_in_order() {
        let mut history = History::new(3);
        for t in 1..=5 {
            history.push(point(t));
        }
        let kept: Vec<u64> = history.points().map(|p| p.t).collect();
        assert_eq!(kept, [3, 4, 5]);
    }
}
