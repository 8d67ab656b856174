//! The moves every game plays, in order: none can win, so a game lasts
//! the run.
//!
//! X takes the cells where (2x + y) mod 4 < 2, O the others (the same
//! pattern moved two columns over). In a row the pattern repeats two in,
//! two out; down a column it alternates; along either diagonal (2x + y)
//! moves by ±1 or ±3 a step, so two in, two out again. Neither set holds
//! five in a row, in any direction, whatever order the cells are played
//! in. Together they fill the 20×20 board: the 400th move would end the
//! game as a draw, so a game makes at most [`MAX_MOVES`].

/// The board's side.
pub const SIDE: u8 = 20;
/// Moves a game can make without ending: the board's cells but one.
pub const MAX_MOVES: usize = SIDE as usize * SIDE as usize - 1;

/// Whether X's set holds (x, y).
pub fn is_x_cell(x: u8, y: u8) -> bool {
    (2 * u32::from(x) + u32::from(y)) % 4 < 2
}

/// The cell (x, y) of move `index` (0 for the game's first): X's moves
/// (even indexes) take X's cells row by row, O's the others.
pub fn of_move(index: usize) -> (u8, u8) {
    let own = index / 2;
    // Each row holds 10 cells of each set: pairs of columns, every other pair.
    let per_row = SIDE as usize / 2;
    let (x, j) = ((own / per_row) as u8, own % per_row);
    let x_starts_at = if x % 2 == 0 { 0 } else { 2 };
    let start = if index.is_multiple_of(2) { x_starts_at } else { 2 - x_starts_at };
    (x, (4 * (j / 2) + j % 2 + start) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `stones` hold five (or more) in a row in any direction.
    fn has_five(stones: &[(u8, u8)]) -> bool {
        let set: std::collections::HashSet<(i32, i32)> =
            stones.iter().map(|&(x, y)| (i32::from(x), i32::from(y))).collect();
        set.iter().any(|&(x, y)| {
            [(0, 1), (1, 0), (1, 1), (1, -1)]
                .iter()
                .any(|&(dx, dy)| (0..5).all(|k| set.contains(&(x + k * dx, y + k * dy))))
        })
    }

    #[test]
    fn the_moves_fill_the_board_but_one_cell_and_never_make_five() {
        let moves: Vec<(u8, u8)> = (0..=MAX_MOVES).map(of_move).collect();
        let distinct: std::collections::HashSet<_> = moves.iter().collect();
        assert_eq!(distinct.len(), 400, "every cell once");
        assert!(moves.iter().all(|&(x, y)| x < SIDE && y < SIDE));
        let (xs, os): (Vec<_>, Vec<_>) = moves.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let xs: Vec<(u8, u8)> = xs.into_iter().map(|(_, &c)| c).collect();
        let os: Vec<(u8, u8)> = os.into_iter().map(|(_, &c)| c).collect();
        assert!(xs.iter().all(|&(x, y)| is_x_cell(x, y)));
        assert!(os.iter().all(|&(x, y)| !is_x_cell(x, y)));
        assert!(!has_five(&xs) && !has_five(&os));
        // The check itself finds a five.
        assert!(has_five(&[(3, 3), (4, 4), (5, 5), (6, 6), (7, 7)]));
        assert!(has_five(&[(3, 9), (4, 8), (5, 7), (6, 6), (7, 5)]));
        assert!(!has_five(&[(3, 9), (4, 8), (5, 7), (6, 6), (8, 4)]));
    }

    #[test]
    fn the_first_moves() {
        assert_eq!(of_move(0), (0, 0));
        assert_eq!(of_move(1), (0, 2));
        assert_eq!(of_move(2), (0, 1));
        assert_eq!(of_move(3), (0, 3));
        assert_eq!(of_move(4), (0, 4));
        assert_eq!(of_move(20), (1, 2));
        assert_eq!(of_move(21), (1, 0));
    }
}
