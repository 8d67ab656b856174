//! Who sits at a table, and where each connection is.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use capstan::{Conn, ConnId};

use super::Table;
use crate::names::PlayerName;
use crate::rating::Rating;
use crate::rules::Symbol;

/// Where one connection is: shared by the connection and the seat it
/// holds, so that a rematch or a resume can move the connection to
/// another table, or take it off one, from outside its own task.
#[derive(Clone, Default)]
pub struct Link(Arc<Mutex<Place>>);

/// A connection's place.
#[derive(Clone, Default)]
pub enum Place {
    /// Nowhere yet (or no longer).
    #[default]
    Nowhere,
    /// In a seat.
    Seated(Arc<Table>, Symbol),
    /// Watching a game.
    Watching(Arc<Table>),
}

impl Link {
    /// A new link, nowhere.
    pub fn new() -> Link {
        Link::default()
    }

    fn lock(&self) -> MutexGuard<'_, Place> {
        // A panic while holding a place cannot leave it half-written.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Where the connection is now.
    pub fn place(&self) -> Place {
        self.lock().clone()
    }

    /// Moves the connection.
    pub fn set(&self, place: Place) {
        *self.lock() = place;
    }
}

/// Who fills a seat.
pub enum Occupant {
    /// The server's bot.
    Bot,
    /// A person, through a connection that may come and go.
    Human {
        /// The connection, while there is one.
        conn: Option<Conn>,
        /// Where that connection is told it sits.
        link: Link,
        /// Since when the connection has been gone (the grace period runs).
        away_since: Option<Instant>,
    },
}

/// One of the two seats.
pub struct Seat {
    /// The player's public id.
    pub player_id: String,
    /// The player's name.
    pub name: PlayerName,
    /// The secret that takes the seat back.
    pub token: String,
    /// The rating key (rated games need one on both seats).
    pub key: Option<String>,
    /// The rating before this game, for rated seats.
    pub rating: Option<Rating>,
    /// Who fills it.
    pub occupant: Occupant,
}

impl Seat {
    /// The server's bot, with fresh ids; unrated.
    pub fn bot() -> Seat {
        Seat {
            player_id: crate::ids::player_id(),
            name: PlayerName::bot(),
            token: crate::ids::resume_token(),
            key: None,
            rating: None,
            occupant: Occupant::Bot,
        }
    }

    /// The seat's connection, when a person is connected.
    pub fn conn(&self) -> Option<&Conn> {
        match &self.occupant {
            Occupant::Human { conn, .. } => conn.as_ref(),
            Occupant::Bot => None,
        }
    }

    /// Whether `id` is this seat's connection.
    pub fn is_conn(&self, id: ConnId) -> bool {
        self.conn().is_some_and(|conn| conn.id() == id)
    }

    /// The bot sits here.
    pub fn is_bot(&self) -> bool {
        matches!(self.occupant, Occupant::Bot)
    }

    /// A person is connected here.
    pub fn is_connected(&self) -> bool {
        self.conn().is_some()
    }

    /// The rating, rounded, for the wire.
    pub fn shown_rating(&self) -> Option<i64> {
        self.rating.map(|rating| rating.rating.round() as i64)
    }

    /// Takes the connection off the seat, telling it it is nowhere now.
    pub fn vacate(&mut self) {
        if let Occupant::Human { conn, link, .. } = &mut self.occupant {
            *conn = None;
            link.set(Place::Nowhere);
        }
    }
}
