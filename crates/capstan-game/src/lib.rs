//! TikzTakz on Capstan: a server-authoritative Connect-5 (five in a row on
//! a 20×20 board), wire-compatible with the 2017 original built on PHP's
//! Ratchet (docs/game-protocol.md), with what the original lacked: every
//! rule checked on the server, reconnect, spectators, clocks, rematch, a
//! bot, ratings and stored games.

#![forbid(unsafe_code)]

pub mod arcade;
pub mod bot;
pub mod config;
pub mod errors;
pub mod feed;
pub mod ids;
pub mod lobby;
pub mod names;
pub mod protocol;
pub mod rating;
pub mod rules;
pub mod server;
pub mod store;
pub mod table;
pub mod web;

pub use config::Config;
pub use server::{GameServer, GameShutdown};
