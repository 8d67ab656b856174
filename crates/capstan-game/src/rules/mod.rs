//! The game's rules, free of I/O: the board, one game's state machine, its
//! clocks.

pub mod board;
pub mod clock;
pub mod game;

pub use board::{BOARD_SIZE, Board, Coord, Direction, PlaceError, Symbol, WINNING_RUN};
