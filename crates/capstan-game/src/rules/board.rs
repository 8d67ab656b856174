//! The 20×20 board: cells, stones, and the five-in-a-row test.

use std::fmt;

/// Rows and columns of the board (the original's `BOARD_SIZE`).
pub const BOARD_SIZE: usize = 20;

/// Stones in a row that win; more ("overlines") win too.
pub const WINNING_RUN: usize = 5;

/// A player's mark. X moves first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// The first player.
    X,
    /// The second player.
    O,
}

impl Symbol {
    /// The other player's mark.
    pub fn other(self) -> Symbol {
        match self {
            Symbol::X => Symbol::O,
            Symbol::O => Symbol::X,
        }
    }

    /// The mark as the wire writes it: `"X"` or `"O"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::X => "X",
            Symbol::O => "O",
        }
    }

    /// 0 for X, 1 for O: an index into per-player arrays.
    pub fn index(self) -> usize {
        match self {
            Symbol::X => 0,
            Symbol::O => 1,
        }
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A cell on the board: `x` is the row, `y` the column (as in the
/// original's `field-x-y`), both in `0..BOARD_SIZE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Coord {
    /// The row.
    pub x: u8,
    /// The column.
    pub y: u8,
}

impl Coord {
    /// The cell at row `x`, column `y`, if it is on the board.
    pub fn new(x: i64, y: i64) -> Option<Coord> {
        let on_board = |v: i64| (0..BOARD_SIZE as i64).contains(&v);
        (on_board(x) && on_board(y)).then_some(Coord { x: x as u8, y: y as u8 })
    }

    /// The neighbour `steps` cells away along `direction`, if on the board.
    pub fn step(self, direction: Direction, steps: i64) -> Option<Coord> {
        let (dx, dy) = direction.delta();
        Coord::new(i64::from(self.x) + dx * steps, i64::from(self.y) + dy * steps)
    }

    /// Every cell of the board, row by row.
    pub fn all() -> impl Iterator<Item = Coord> {
        (0..BOARD_SIZE as u8).flat_map(|x| (0..BOARD_SIZE as u8).map(move |y| Coord { x, y }))
    }
}

/// One of the four lines through a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Along a row (changing y).
    Horizontal,
    /// Along a column (changing x).
    Vertical,
    /// Down and right.
    Diagonal,
    /// Down and left.
    AntiDiagonal,
}

impl Direction {
    /// The four lines.
    pub const ALL: [Direction; 4] =
        [Direction::Horizontal, Direction::Vertical, Direction::Diagonal, Direction::AntiDiagonal];

    /// The step (dx, dy) along this line.
    pub fn delta(self) -> (i64, i64) {
        match self {
            Direction::Horizontal => (0, 1),
            Direction::Vertical => (1, 0),
            Direction::Diagonal => (1, 1),
            Direction::AntiDiagonal => (1, -1),
        }
    }
}

/// A move the board refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceError {
    /// The cell already holds a stone.
    Occupied,
}

/// The stones on the board.
#[derive(Clone, PartialEq, Eq)]
pub struct Board {
    cells: [[Option<Symbol>; BOARD_SIZE]; BOARD_SIZE],
    stones: usize,
}

impl Default for Board {
    fn default() -> Self {
        Board { cells: [[None; BOARD_SIZE]; BOARD_SIZE], stones: 0 }
    }
}

impl Board {
    /// An empty board.
    pub fn new() -> Board {
        Board::default()
    }

    /// The stone at `at`, if any.
    pub fn get(&self, at: Coord) -> Option<Symbol> {
        self.cells[usize::from(at.x)][usize::from(at.y)]
    }

    /// Puts `symbol` on the empty cell `at`.
    pub fn place(&mut self, at: Coord, symbol: Symbol) -> Result<(), PlaceError> {
        let cell = &mut self.cells[usize::from(at.x)][usize::from(at.y)];
        if cell.is_some() {
            return Err(PlaceError::Occupied);
        }
        *cell = Some(symbol);
        self.stones += 1;
        Ok(())
    }

    /// Takes the stone at `at` off again (the bot's look-ahead).
    pub fn clear(&mut self, at: Coord) {
        let cell = &mut self.cells[usize::from(at.x)][usize::from(at.y)];
        if cell.take().is_some() {
            self.stones -= 1;
        }
    }

    /// How many stones are on the board.
    pub fn stones(&self) -> usize {
        self.stones
    }

    /// No empty cell is left.
    pub fn is_full(&self) -> bool {
        self.stones == BOARD_SIZE * BOARD_SIZE
    }

    /// How many stones of `symbol` follow `from` along `direction` (not
    /// counting `from` itself), stopping at the edge or another cell.
    pub fn run_from(&self, from: Coord, direction: Direction, symbol: Symbol, sign: i64) -> usize {
        (1..)
            .map_while(|steps| from.step(direction, sign * steps))
            .take_while(|&cell| self.get(cell) == Some(symbol))
            .count()
    }

    /// The whole run of `at`'s stone along `direction`, from one end to
    /// the other; empty when `at` is empty.
    pub fn run_through(&self, at: Coord, direction: Direction) -> Vec<Coord> {
        let Some(symbol) = self.get(at) else { return Vec::new() };
        let back = self.run_from(at, direction, symbol, -1) as i64;
        let forward = self.run_from(at, direction, symbol, 1) as i64;
        (-back..=forward).filter_map(|steps| at.step(direction, steps)).collect()
    }

    /// The winning line through the stone at `at`: the longest run of five
    /// or more through it (of two as long, the later in [`Direction::ALL`]).
    pub fn winning_line(&self, at: Coord) -> Option<Vec<Coord>> {
        Direction::ALL
            .into_iter()
            .map(|direction| self.run_through(at, direction))
            .filter(|run| run.len() >= WINNING_RUN)
            .max_by_key(Vec::len)
    }
}

impl fmt::Debug for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for row in &self.cells {
            let line: String = row
                .iter()
                .map(|cell| match cell {
                    Some(Symbol::X) => 'X',
                    Some(Symbol::O) => 'O',
                    None => '.',
                })
                .collect();
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: i64, y: i64) -> Coord {
        Coord::new(x, y).unwrap()
    }

    #[test]
    fn coordinates_outside_the_board_do_not_exist() {
        assert!(Coord::new(0, 0).is_some());
        assert!(Coord::new(19, 19).is_some());
        for (x, y) in [(-1, 0), (0, -1), (20, 0), (0, 20), (i64::MAX, 3), (i64::MIN, 3)] {
            assert_eq!(Coord::new(x, y), None, "({x}, {y})");
        }
    }

    #[test]
    fn an_occupied_cell_refuses_a_second_stone() {
        let mut board = Board::new();
        board.place(at(3, 4), Symbol::X).unwrap();
        assert_eq!(board.place(at(3, 4), Symbol::O), Err(PlaceError::Occupied));
        assert_eq!(board.get(at(3, 4)), Some(Symbol::X));
        assert_eq!(board.stones(), 1);
    }

    #[test]
    fn four_do_not_win_five_do_along_each_line() {
        for direction in Direction::ALL {
            let mut board = Board::new();
            let start = at(7, 7);
            for steps in 0..4 {
                board.place(start.step(direction, steps).unwrap(), Symbol::O).unwrap();
            }
            assert_eq!(board.winning_line(start), None, "{direction:?}");
            let fifth = start.step(direction, 4).unwrap();
            board.place(fifth, Symbol::O).unwrap();
            let line = board.winning_line(fifth).expect("five win");
            assert_eq!(line.len(), 5, "{direction:?}");
            assert!(line.contains(&start));
        }
    }

    #[test]
    fn a_gap_or_another_symbol_breaks_the_run() {
        let mut board = Board::new();
        for y in [0, 1, 3, 4, 5] {
            board.place(at(0, y), Symbol::X).unwrap();
        }
        assert_eq!(board.winning_line(at(0, 4)), None);
        board.place(at(0, 2), Symbol::O).unwrap();
        assert_eq!(board.winning_line(at(0, 4)), None);
    }

    #[test]
    fn six_in_a_row_wins_with_the_whole_line() {
        let mut board = Board::new();
        for y in 14..20 {
            board.place(at(19, y), Symbol::X).unwrap();
        }
        assert_eq!(board.winning_line(at(19, 16)).map(|l| l.len()), Some(6));
    }

    #[test]
    fn runs_stop_at_the_edges() {
        let mut board = Board::new();
        for i in 0..5 {
            board.place(at(19 - i, i), Symbol::O).unwrap();
        }
        assert_eq!(board.winning_line(at(15, 4)).map(|l| l.len()), Some(5));
        assert_eq!(board.run_from(at(19, 0), Direction::AntiDiagonal, Symbol::O, -1), 4);
    }

    #[test]
    fn a_full_board_is_full() {
        let mut board = Board::new();
        for (i, cell) in Coord::all().enumerate() {
            assert!(!board.is_full());
            board.place(cell, if i % 2 == 0 { Symbol::X } else { Symbol::O }).unwrap();
        }
        assert!(board.is_full());
        board.clear(at(0, 0));
        assert!(!board.is_full());
    }
}
