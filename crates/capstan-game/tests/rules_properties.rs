//! The rules as properties: random games never let an illegal move in,
//! every five (or more) is found in every direction and at every edge, and
//! no win is missed or invented — checked against a brute-force scan
//! written apart from the rules' own search.

use std::time::{Duration, Instant};

use capstan_game::rules::clock::TimeControl;
use capstan_game::rules::game::{EndReason, Game, MoveError, Phase};
use capstan_game::rules::{BOARD_SIZE, Coord, Symbol};
use proptest::prelude::*;

const N: i64 = BOARD_SIZE as i64;

/// A game with clocks long enough never to matter, started.
fn started() -> (Game, Instant) {
    let control = TimeControl {
        per_game: Duration::from_secs(1 << 30),
        per_move: Duration::from_secs(1 << 30),
    };
    let now = Instant::now();
    let mut game = Game::new(control);
    game.start(now);
    (game, now)
}

/// Whether `cells` (a symbol per cell, row-major) holds five of one symbol
/// in a row anywhere: every start, every direction, counted cell by cell.
fn has_five(cells: &[[Option<Symbol>; BOARD_SIZE]; BOARD_SIZE]) -> Option<Symbol> {
    for x in 0..N {
        for y in 0..N {
            for (dx, dy) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
                let end = (x + 4 * dx, y + 4 * dy);
                if !(0..N).contains(&end.0) || !(0..N).contains(&end.1) {
                    continue;
                }
                let first = cells[x as usize][y as usize];
                let same =
                    (1..5).all(|k| cells[(x + k * dx) as usize][(y + k * dy) as usize] == first);
                if let (Some(symbol), true) = (first, same) {
                    return Some(symbol);
                }
            }
        }
    }
    None
}

/// Every cell in a random order (a seeded shuffle from proptest's bytes).
fn shuffled_cells(seed: &[u32]) -> Vec<(i64, i64)> {
    let mut cells: Vec<(i64, i64)> = (0..N).flat_map(|x| (0..N).map(move |y| (x, y))).collect();
    for (i, r) in seed.iter().enumerate().take(cells.len()) {
        let j = i + (*r as usize) % (cells.len() - i);
        cells.swap(i, j);
    }
    cells
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A random legal game to its end: at every turn the illegal moves —
    /// out of turn, on a stone, off the board — are refused and change
    /// nothing; the game ends exactly when the brute-force scan first sees
    /// a five (or the board fills); after the end every move is refused.
    #[test]
    fn a_random_game_never_accepts_an_illegal_move(
        seed in prop::collection::vec(any::<u32>(), 400),
        off in prop::collection::vec((-50i64..70, -50i64..70), 400),
    ) {
        let (mut game, now) = started();
        let mut cells = [[None; BOARD_SIZE]; BOARD_SIZE];
        let order = shuffled_cells(&seed);
        let mut turn = Symbol::X;
        for (i, &(x, y)) in order.iter().enumerate() {
            let before = game.moves().len();
            prop_assert_eq!(game.play(turn.other(), x, y, now), Err(MoveError::NotYourTurn));
            if let Some(&(px, py)) = order[..i].last() {
                let at = Coord::new(px, py).unwrap();
                prop_assert_eq!(game.play(turn, px, py, now), Err(MoveError::Occupied(at)));
            }
            let (ox, oy) = off[i];
            if !((0..N).contains(&ox) && (0..N).contains(&oy)) {
                prop_assert_eq!(game.play(turn, ox, oy, now), Err(MoveError::OffBoard));
            }
            prop_assert_eq!(game.moves().len(), before);
            let played = game.play(turn, x, y, now).unwrap();
            cells[x as usize][y as usize] = Some(turn);
            let five = has_five(&cells);
            match played.ending {
                Some(ending) => {
                    if ending.reason == EndReason::Five {
                        prop_assert_eq!(five, Some(turn));
                        prop_assert_eq!(ending.winner, Some(turn));
                    } else {
                        prop_assert_eq!(ending.reason, EndReason::FullBoard);
                        prop_assert_eq!(five, None);
                        prop_assert_eq!(i, order.len() - 1);
                    }
                    prop_assert_eq!(game.play(turn.other(), 0, 0, now), Err(MoveError::Ended));
                    prop_assert!(matches!(game.phase(), Phase::Ended(_)));
                    return Ok(());
                }
                None => prop_assert_eq!(five, None, "a five was missed after {:?}", (x, y)),
            }
            turn = turn.other();
        }
        prop_assert!(false, "400 moves without an end");
    }

    /// A line of 5 to 7 of X's stones anywhere (edges and corners
    /// included), in any of the 4 directions, laid in a random order while
    /// O plays on a spread-out grid off the line: X wins on the first stone
    /// that makes five in a row, and the winning line is the whole run
    /// through that stone (six or seven when the run is that long).
    #[test]
    fn every_five_or_more_wins_in_every_direction(
        direction in 0usize..4,
        length in 5i64..=7,
        start in (0i64..N, 0i64..N),
        order_seed in prop::collection::vec(any::<u32>(), 7),
    ) {
        let (dx, dy) = [(0, 1), (1, 0), (1, 1), (1, -1)][direction];
        let end = (start.0 + (length - 1) * dx, start.1 + (length - 1) * dy);
        prop_assume!((0..N).contains(&end.0) && (0..N).contains(&end.1));
        let line: Vec<(i64, i64)> = (0..length).map(|k| (start.0 + k * dx, start.1 + k * dy)).collect();
        let mut order = line.clone();
        for (i, r) in order_seed.iter().enumerate().take(order.len()) {
            let j = i + (*r as usize) % (order.len() - i);
            order.swap(i, j);
        }
        // O's stones: every third row and column, never on or beside the line.
        let near = |(x, y): (i64, i64)| line.iter().any(|&(lx, ly)| (lx - x).abs() <= 1 && (ly - y).abs() <= 1);
        let mut o_cells = (0..N)
            .step_by(3)
            .flat_map(|x| (0..N).step_by(3).map(move |y| (x, y)))
            .filter(|&cell| !near(cell));
        let (mut game, now) = started();
        let mut placed: Vec<i64> = Vec::new();
        for &(x, y) in &order {
            let played = game.play(Symbol::X, x, y, now).unwrap();
            let k = line.iter().position(|&cell| cell == (x, y)).unwrap() as i64;
            placed.push(k);
            // The run of placed stones through k, counted apart.
            let mut low = k;
            while placed.contains(&(low - 1)) { low -= 1; }
            let mut high = k;
            while placed.contains(&(high + 1)) { high += 1; }
            let run = high - low + 1;
            if run >= 5 {
                let ending = played.ending.expect("five or more wins");
                prop_assert_eq!(ending.winner, Some(Symbol::X));
                prop_assert_eq!(ending.line.len() as i64, run);
                let expected: Vec<Coord> = (low..=high)
                    .map(|i| Coord::new(start.0 + i * dx, start.1 + i * dy).unwrap())
                    .collect();
                let mut got = ending.line.clone();
                got.sort();
                let mut want = expected;
                want.sort();
                prop_assert_eq!(got, want);
                return Ok(());
            }
            prop_assert!(played.ending.is_none(), "no win with a run of {}", run);
            let (ox, oy) = o_cells.next().expect("room for O");
            prop_assert!(game.play(Symbol::O, ox, oy, now).unwrap().ending.is_none());
        }
        prop_assert!(false, "the whole line was laid without a win");
    }
}
