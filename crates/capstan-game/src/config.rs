//! The command line: every setting has a default, so `capstan-game` alone
//! serves the game on port 8080 with its games in `capstan-game.db`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::lobby::MatchWindow;
use crate::rules::clock::TimeControl;
use crate::table::TableSettings;

/// `capstan-game`'s settings.
#[derive(Clone, Debug, Parser)]
#[command(name = "capstan-game", version, about = "TikzTakz (Connect-5) on Capstan")]
pub struct Config {
    /// The address to listen on.
    #[arg(long, env = "GAME_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// The port: the web client, its WebSocket (any path) and the JSON API.
    #[arg(long, env = "GAME_PORT", default_value_t = 8080)]
    pub port: u16,
    /// The SQLite database of games, moves and ratings (`:memory:` keeps
    /// nothing).
    #[arg(long, env = "GAME_DB", default_value = "capstan-game.db")]
    pub db: PathBuf,
    /// Seconds a player who lost the connection keeps the seat.
    #[arg(long, default_value_t = 30)]
    pub grace_secs: u64,
    /// Seconds an ended game stays open for a rematch.
    #[arg(long, default_value_t = 600)]
    pub linger_secs: u64,
    /// Each player's time for a game, in seconds (public games; private
    /// games may ask for another).
    #[arg(long, default_value_t = 600)]
    pub game_secs: u64,
    /// The limit per move, in seconds.
    #[arg(long, default_value_t = 60)]
    pub move_secs: u64,
    /// The largest message a client may send, in bytes (past it: 1009).
    #[arg(long, default_value_t = 4096)]
    pub max_message_bytes: usize,
    /// Messages per second a connection may send on average (past it: 1008).
    #[arg(long, default_value_t = 20)]
    pub rate: u32,
    /// Messages a connection may send at once.
    #[arg(long, default_value_t = 40)]
    pub burst: u32,
    /// The rating difference within which public players are paired at
    /// once.
    #[arg(long, default_value_t = 200.0)]
    pub match_window: f64,
    /// How much wider the window grows for every 10 s a player waits.
    #[arg(long, default_value_t = 100.0)]
    pub match_widen: f64,
    /// The WAMP realm where every game's events are published
    /// (`tikztakz.game.<id>`), at `/wamp` on the same port.
    #[arg(long, default_value = "tikztakz")]
    pub wamp_realm: String,
    /// Connections served at once.
    #[arg(long, default_value_t = 20_000)]
    pub max_connections: usize,
}

impl Config {
    /// The time control of public games.
    pub fn time_control(&self) -> TimeControl {
        TimeControl {
            per_game: Duration::from_secs(self.game_secs.max(1)),
            per_move: Duration::from_secs(self.move_secs.max(1)),
        }
    }

    /// What the tables are told.
    pub fn table_settings(&self) -> TableSettings {
        TableSettings {
            grace: Duration::from_secs(self.grace_secs),
            linger: Duration::from_secs(self.linger_secs),
        }
    }

    /// The matchmaking window.
    pub fn match_window(&self) -> MatchWindow {
        MatchWindow { base: self.match_window.max(0.0), widen: self.match_widen.max(0.0) }
    }

    /// The settings with every default (tests adjust fields).
    pub fn defaults() -> Config {
        Config::parse_from(["capstan-game"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_originals_port_and_a_file_database() {
        let config = Config::defaults();
        assert_eq!(config.port, 8080);
        assert_eq!(config.db, PathBuf::from("capstan-game.db"));
        assert_eq!(config.time_control(), TimeControl::default());
    }
}
