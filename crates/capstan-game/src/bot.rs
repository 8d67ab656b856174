//! The server's bot opponent.
//!
//! [`choose_move`] looks, in this order, for: a five of its own; the
//! opponent's five, to block it; an open four (or two fours at once) of its
//! own; a win by a short run of fours (a bounded "victory by continuous
//! fours" search); a block for the opponent's open three or for their own
//! run of fours; and otherwise the cell near the stones whose four lines
//! score best, for the shapes it makes plus the opponent's shapes it takes
//! away.
//!
//! Each line through a cell is classified by a single lookup: the eight
//! cells around it on that line (empty, own or blocked) index a table of
//! 3^8 shapes, built once. The searches are bounded by node budgets (a few
//! milliseconds at most), so a move is deterministic; a wall-clock cap
//! well under 100 ms stops them early only on a badly overloaded machine.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::rules::board::{BOARD_SIZE, Board, Coord, Symbol, WINNING_RUN};

/// Chooses the bot's move: `None` only when the board is full.
pub fn choose_move(board: &Board, me: Symbol) -> Option<Coord> {
    if board.is_full() {
        return None;
    }
    let mut bot = Bot::new(board);
    bot.choose(stone(me), stone(me.other()))
        .and_then(coord)
        .filter(|&at| board.get(at).is_none())
        .or_else(|| Coord::all().find(|&at| board.get(at).is_none()))
}

/// Cells on either side of a stone that a five through it can reach.
const REACH: usize = WINNING_RUN - 1;
/// The cells around a stone on one line: `REACH` on either side.
const SLOTS: usize = 2 * REACH;
/// Shapes of those cells, each empty, own or blocked.
const PATTERNS: usize = 3usize.pow(SLOTS as u32);
/// Side of the padded grid: the board with `REACH` cells of wall around it,
/// so that looking `REACH` cells along any line never leaves the grid.
const WIDTH: usize = BOARD_SIZE + 2 * REACH;
/// Cells of the padded grid.
const GRID: usize = WIDTH * WIDTH;
/// Grid steps along the four lines: row, column, diagonal, anti-diagonal.
const OFFSETS: [isize; 4] = [1, WIDTH as isize, WIDTH as isize + 1, WIDTH as isize - 1];

/// Grid contents.
const EMPTY: u8 = 0;
const WALL: u8 = 3;

/// Shapes of one line through a cell (with the cell's stone on it), worst
/// to best; see [`build_table`].
const NONE: u8 = 0;
const ONE: u8 = 1;
const TWO: u8 = 2;
const OPEN_TWO: u8 = 3;
const THREE: u8 = 4;
const OPEN_THREE: u8 = 5;
const FOUR: u8 = 6;
const OPEN_FOUR: u8 = 7;
const FIVE: u8 = 8;

/// What each shape is worth to the heuristic.
const WEIGHTS: [i64; 9] = [0, 1, 10, 100, 100, 1_000, 1_000, 100_000, 10_000_000];

/// Fours deep the run-of-fours searches go.
const VCF_DEPTH: usize = 10;
/// Nodes one run-of-fours search may visit.
const SEARCH_NODES: usize = 2_000;
/// Nodes all searches of one move may visit together.
const TOTAL_NODES: usize = 12_000;
/// Defences tried against the opponent's run of fours.
const DEFENCE_TRIES: usize = 10;
/// Wall-clock cap on all searches of one move: a safety net for a slow or
/// busy machine (the node budgets take a few milliseconds at most).
const SEARCH_TIME: Duration = Duration::from_millis(40);
/// The most cells a search list holds (the rest are ignored).
const MAX_CELLS: usize = 128;

/// The grid code of a player's stone.
fn stone(symbol: Symbol) -> u8 {
    match symbol {
        Symbol::X => 1,
        Symbol::O => 2,
    }
}

/// The grid index of a board cell.
fn index(at: Coord) -> usize {
    (usize::from(at.x) + REACH) * WIDTH + usize::from(at.y) + REACH
}

/// The board cell at a grid index, if it is one.
fn coord(i: usize) -> Option<Coord> {
    let row = (i / WIDTH) as i64 - REACH as i64;
    let column = (i % WIDTH) as i64 - REACH as i64;
    Coord::new(row, column)
}

/// The grid indices of the board's cells, row by row.
fn board_cells() -> impl Iterator<Item = usize> {
    (0..BOARD_SIZE).flat_map(|x| (0..BOARD_SIZE).map(move |y| (x + REACH) * WIDTH + y + REACH))
}

/// The shape table, built on first use.
fn table() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(build_table)
}

/// Classifies every pattern of the eight cells around a stone on one line.
///
/// A pattern's index has one base-3 digit per slot (0 empty, 1 own stone,
/// 2 blocked: the opponent's stone or the edge), slot 0 being the farthest
/// cell on one side and slot 7 the farthest on the other. Shapes count
/// only fives through the centre stone:
/// - five: a run of five or more through it;
/// - open four / four: two or more / exactly one empty cell that make five;
/// - open three / three: one stone makes an open four / a four;
/// - open two / two: one stone makes an open three / a three;
/// - one: a five through it is still possible; none: it is not.
///
/// Adding a stone to an empty slot raises the index, so walking the
/// indices downwards classifies every pattern after all its successors.
fn build_table() -> Vec<u8> {
    let mut table = vec![NONE; PATTERNS];
    for pattern in (0..PATTERNS).rev() {
        let mut line = [1u8; SLOTS + 1];
        let mut rest = pattern;
        for slot in 0..SLOTS {
            line[window_position(slot)] = (rest % 3) as u8;
            rest /= 3;
        }
        let left = line[..REACH].iter().rev().take_while(|&&v| v == 1).count();
        let right = line[REACH + 1..].iter().take_while(|&&v| v == 1).count();
        let shape = if left + right + 1 >= WINNING_RUN {
            FIVE
        } else {
            let mut wins = 0;
            let mut best = NONE;
            let mut power = 1;
            for slot in 0..SLOTS {
                if line[window_position(slot)] == 0 {
                    let next = table[pattern + power];
                    if next == FIVE {
                        wins += 1;
                    }
                    best = best.max(next);
                }
                power *= 3;
            }
            let free = (0..=SLOTS + 1 - WINNING_RUN)
                .any(|start| line[start..start + WINNING_RUN].iter().all(|&v| v != 2));
            match (wins, best) {
                (2.., _) => OPEN_FOUR,
                (1, _) => FOUR,
                (_, OPEN_FOUR) => OPEN_THREE,
                (_, FOUR) => THREE,
                (_, OPEN_THREE) => OPEN_TWO,
                (_, THREE) => TWO,
                _ if free => ONE,
                _ => NONE,
            }
        };
        table[pattern] = shape;
    }
    table
}

/// Where a slot sits in the nine-cell window whose middle is the stone.
fn window_position(slot: usize) -> usize {
    if slot < REACH { slot } else { slot + 1 }
}

/// How much a cell threatens, judging its four lines together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Threat {
    /// No four.
    Nothing,
    /// One four: exactly one cell then makes five.
    Four,
    /// An open four or two fours: two cells make five, one can't block both.
    Unstoppable,
    /// Five.
    Five,
}

/// The threat of a cell's four line shapes.
fn threat(shapes: [u8; 4]) -> Threat {
    let fours = shapes.iter().filter(|&&s| s == FOUR).count();
    if shapes.contains(&FIVE) {
        Threat::Five
    } else if shapes.contains(&OPEN_FOUR) || fours >= 2 {
        Threat::Unstoppable
    } else if fours == 1 {
        Threat::Four
    } else {
        Threat::Nothing
    }
}

/// What a cell's four line shapes are worth, with bonuses for the
/// combinations that win: four-four, four-three and three-three.
fn value(shapes: [u8; 4]) -> i64 {
    let count = |shape: u8| shapes.iter().filter(|&&s| s == shape).count();
    let sum: i64 = shapes.iter().map(|&s| WEIGHTS[usize::from(s)]).sum();
    let bonus = if count(FIVE) > 0 {
        WEIGHTS[usize::from(FIVE)]
    } else if count(OPEN_FOUR) > 0 || count(FOUR) >= 2 {
        1_000_000
    } else if count(FOUR) > 0 && count(OPEN_THREE) > 0 {
        300_000
    } else if count(OPEN_THREE) >= 2 {
        100_000
    } else {
        0
    };
    sum + bonus
}

/// A short list of grid cells, kept on the stack.
#[derive(Clone, Copy)]
struct Cells {
    len: usize,
    items: [u16; MAX_CELLS],
}

impl Cells {
    fn new() -> Cells {
        Cells { len: 0, items: [0; MAX_CELLS] }
    }

    /// Adds a cell; a full list drops it.
    fn push(&mut self, i: usize) {
        if self.len < MAX_CELLS {
            self.items[self.len] = i as u16;
            self.len += 1;
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.as_slice().iter().any(|&c| usize::from(c) == i)
    }

    fn as_slice(&self) -> &[u16] {
        &self.items[..self.len]
    }
}

/// One decision: the board on a padded grid, and the search budgets.
struct Bot {
    cells: [u8; GRID],
    table: &'static [u8],
    /// Nodes left for all searches of this move.
    total: usize,
    /// Nodes left for the current search.
    nodes: usize,
    /// The current search ran out of nodes.
    cut: bool,
    /// When all searches stop, whatever their budgets.
    deadline: Instant,
}

impl Bot {
    fn new(board: &Board) -> Bot {
        let mut cells = [WALL; GRID];
        for at in Coord::all() {
            cells[index(at)] = board.get(at).map_or(EMPTY, stone);
        }
        Bot {
            cells,
            table: table(),
            total: TOTAL_NODES,
            nodes: 0,
            cut: false,
            deadline: Instant::now() + SEARCH_TIME,
        }
    }

    /// The shape of the line along `offset` through `i` for `who`, as if
    /// `who` had a stone on `i`.
    fn shape(&self, i: usize, offset: isize, who: u8) -> u8 {
        let mut pattern = 0;
        let mut power = 1;
        for step in -(REACH as isize)..=REACH as isize {
            if step != 0 {
                let cell = self.cells[i.wrapping_add_signed(offset * step)];
                let digit = if cell == EMPTY {
                    0
                } else if cell == who {
                    1
                } else {
                    2
                };
                pattern += digit * power;
                power *= 3;
            }
        }
        self.table[pattern]
    }

    /// The shapes of the four lines through `i` for `who`.
    fn shapes(&self, i: usize, who: u8) -> [u8; 4] {
        OFFSETS.map(|offset| self.shape(i, offset, who))
    }

    /// A stone of `who` on the empty cell `i` makes five or more.
    fn makes_five(&self, i: usize, who: u8) -> bool {
        OFFSETS
            .iter()
            .any(|&offset| 1 + self.run(i, offset, who) + self.run(i, -offset, who) >= WINNING_RUN)
    }

    /// Stones of `who` following `i` along `offset` (the wall stops it).
    fn run(&self, i: usize, offset: isize, who: u8) -> usize {
        let mut count = 0;
        let mut at = i.wrapping_add_signed(offset);
        while self.cells[at] == who {
            count += 1;
            at = at.wrapping_add_signed(offset);
        }
        count
    }

    /// The move, as a grid index.
    fn choose(&mut self, me: u8, opponent: u8) -> Option<usize> {
        let candidates = self.candidates();
        if candidates.is_empty() {
            let centre = BOARD_SIZE as i64 / 2;
            return Coord::new(centre, centre).map(index).filter(|&i| self.cells[i] == EMPTY);
        }
        // 1. Five.
        if let Some(&i) = candidates.iter().find(|&&i| self.makes_five(i, me)) {
            return Some(i);
        }
        let ranked = self.rank(&candidates, me, opponent);
        // 2. Block the opponent's five (the best-placed block if several).
        if let Some(&i) = ranked.iter().find(|&&i| self.makes_five(i, opponent)) {
            return Some(i);
        }
        // 3. An open four or a double four.
        if let Some(&i) =
            ranked.iter().find(|&&i| threat(self.shapes(i, me)) == Threat::Unstoppable)
        {
            return Some(i);
        }
        // 4. A win by a run of fours.
        let mine = self.four_cells(&ranked, me);
        self.start_search();
        if let Some(i) = self.vcf(me, opponent, &mine, VCF_DEPTH) {
            return Some(i);
        }
        // 5. The opponent's open three (or anything else that would make an
        // open four or a double four): block it.
        let theirs = self.four_cells(&ranked, opponent);
        let threats: Vec<usize> = theirs
            .as_slice()
            .iter()
            .map(|&c| usize::from(c))
            .filter(|&i| threat(self.shapes(i, opponent)) == Threat::Unstoppable)
            .collect();
        if !threats.is_empty() {
            return self.block(&ranked, &threats, &theirs, me, opponent);
        }
        // 6. The opponent's run of fours: spoil it.
        self.start_search();
        if let Some(first) = self.vcf(opponent, me, &theirs, VCF_DEPTH)
            && let Some(i) = self.defend(&ranked, first, &theirs, me, opponent)
        {
            return Some(i);
        }
        // 7. The best shapes.
        ranked.first().copied()
    }

    /// The empty cells within two steps of a stone.
    fn candidates(&self) -> Vec<usize> {
        let mut near = [false; GRID];
        for i in board_cells().filter(|&i| self.cells[i] != EMPTY) {
            for dx in -2..=2 {
                for dy in -2..=2 {
                    near[i.wrapping_add_signed(dx * WIDTH as isize + dy)] = true;
                }
            }
        }
        board_cells().filter(|&i| near[i] && self.cells[i] == EMPTY).collect()
    }

    /// The candidates, best first: by the shapes `me` makes on them plus
    /// (a little less) the shapes the opponent would make there, then
    /// nearest the centre, then row by row.
    fn rank(&self, candidates: &[usize], me: u8, opponent: u8) -> Vec<usize> {
        let mut scored: Vec<(i64, i64, usize)> = candidates
            .iter()
            .map(|&i| {
                let score = 10 * value(self.shapes(i, me)) + 9 * value(self.shapes(i, opponent));
                let row = (i / WIDTH) as i64 - REACH as i64;
                let column = (i % WIDTH) as i64 - REACH as i64;
                let middle = BOARD_SIZE as i64 - 1;
                let off_centre = (2 * row - middle).pow(2) + (2 * column - middle).pow(2);
                (score, off_centre, i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scored.into_iter().map(|(_, _, i)| i).collect()
    }

    /// The cells among `candidates` where `who` would make a four or better
    /// (every such cell is within two steps of one of `who`'s stones).
    fn four_cells(&self, candidates: &[usize], who: u8) -> Cells {
        let mut cells = Cells::new();
        for &i in candidates {
            if threat(self.shapes(i, who)) >= Threat::Four {
                cells.push(i);
            }
        }
        cells
    }

    /// Gives the next search its share of the nodes left.
    fn start_search(&mut self) {
        self.nodes = SEARCH_NODES.min(self.total);
        self.cut = false;
    }

    /// A run of fours that wins for `who`, `who` to move: its first move.
    ///
    /// `fours` holds every cell where `who` would make a four (stale
    /// entries are skipped). Each four leaves `other` one answer; a line
    /// where that answer makes `other` a four is dropped, so a win found
    /// is a win, provided `other` has no four on the board to begin with.
    fn vcf(&mut self, who: u8, other: u8, fours: &Cells, depth: usize) -> Option<usize> {
        if self.total.is_multiple_of(64) && Instant::now() >= self.deadline {
            self.total = 0;
        }
        if self.nodes == 0 || self.total == 0 {
            self.cut = true;
            return None;
        }
        self.nodes -= 1;
        self.total -= 1;
        let mut moves = Cells::new();
        for &c in fours.as_slice() {
            let i = usize::from(c);
            if self.cells[i] != EMPTY {
                continue;
            }
            match threat(self.shapes(i, who)) {
                Threat::Five | Threat::Unstoppable => return Some(i),
                Threat::Four => moves.push(i),
                Threat::Nothing => {}
            }
        }
        if depth == 0 {
            return None;
        }
        for &c in moves.as_slice() {
            let i = usize::from(c);
            self.cells[i] = who;
            let mut won = false;
            if let Some(answer) = self.completion(i, who) {
                self.cells[answer] = other;
                if threat(self.shapes(answer, other)) == Threat::Nothing {
                    let mut next = moves;
                    self.add_fours_around(&mut next, i, who);
                    won = self.vcf(who, other, &next, depth - 1).is_some();
                }
                self.cells[answer] = EMPTY;
            }
            self.cells[i] = EMPTY;
            if won {
                return Some(i);
            }
        }
        None
    }

    /// The empty cell that completes `who`'s five through the stone on `i`.
    fn completion(&self, i: usize, who: u8) -> Option<usize> {
        OFFSETS.iter().find_map(|&offset| {
            (1..=REACH as isize).flat_map(|step| [step, -step]).find_map(|step| {
                let at = i.wrapping_add_signed(offset * step);
                (self.cells[at] == EMPTY && self.makes_five(at, who)).then_some(at)
            })
        })
    }

    /// Adds the cells where `who` now makes a four along the lines through
    /// the stone just put on `i` (the only lines that changed for `who`).
    fn add_fours_around(&self, cells: &mut Cells, i: usize, who: u8) {
        for offset in OFFSETS {
            for step in (1..=REACH as isize).flat_map(|step| [step, -step]) {
                let at = i.wrapping_add_signed(offset * step);
                if self.cells[at] == EMPTY
                    && self.shape(at, offset, who) >= FOUR
                    && !cells.contains(at)
                {
                    cells.push(at);
                }
            }
        }
    }

    /// Whether `opponent`, to move, has no run of fours left (as far as the
    /// budget could tell).
    fn safe_from_fours(&mut self, opponent: u8, me: u8, theirs: &Cells) -> bool {
        self.start_search();
        self.vcf(opponent, me, theirs, VCF_DEPTH).is_none() && !self.cut
    }

    /// The best cell that leaves the opponent no open four or double four
    /// to make (and, if possible, no run of fours); failing that, the one
    /// that leaves the fewest.
    fn block(
        &mut self,
        ranked: &[usize],
        threats: &[usize],
        theirs: &Cells,
        me: u8,
        opponent: u8,
    ) -> Option<usize> {
        let mut blocks = Vec::new();
        let mut fewest: Option<(usize, usize)> = None;
        for &i in ranked {
            self.cells[i] = me;
            let left = threats
                .iter()
                .filter(|&&t| t != i && threat(self.shapes(t, opponent)) == Threat::Unstoppable)
                .count();
            self.cells[i] = EMPTY;
            if left == 0 {
                blocks.push(i);
            } else if fewest.is_none_or(|(most, _)| left < most) {
                fewest = Some((left, i));
            }
        }
        for &i in blocks.iter().take(DEFENCE_TRIES) {
            self.cells[i] = me;
            let safe = self.safe_from_fours(opponent, me, theirs);
            self.cells[i] = EMPTY;
            if safe {
                return Some(i);
            }
        }
        blocks.first().copied().or(fewest.map(|(_, i)| i)).or(ranked.first().copied())
    }

    /// The best cell among the top candidates and the opponent's first four
    /// after which the opponent has no run of fours left.
    fn defend(
        &mut self,
        ranked: &[usize],
        first: usize,
        theirs: &Cells,
        me: u8,
        opponent: u8,
    ) -> Option<usize> {
        let top = ranked.iter().copied().take(DEFENCE_TRIES);
        let tries = top.clone().chain((!top.clone().any(|i| i == first)).then_some(first));
        for i in tries {
            self.cells[i] = me;
            let safe = self.safe_from_fours(opponent, me, theirs);
            self.cells[i] = EMPTY;
            if safe {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::board::Direction;

    fn at(x: i64, y: i64) -> Coord {
        Coord::new(x, y).unwrap()
    }

    fn put(board: &mut Board, cells: &[(i64, i64)], symbol: Symbol) {
        for &(x, y) in cells {
            board.place(at(x, y), symbol).unwrap();
        }
    }

    /// The `count` cells from `start` along `direction`.
    fn line(start: Coord, direction: Direction, count: i64) -> Vec<Coord> {
        (0..count).map(|k| start.step(direction, k).unwrap()).collect()
    }

    /// The empty cells where a stone of `symbol` makes `holds` true of
    /// the board with it.
    fn cells_where(
        board: &Board,
        symbol: Symbol,
        holds: impl Fn(&Board, Coord) -> bool,
    ) -> Vec<Coord> {
        let mut board = board.clone();
        Coord::all()
            .filter(|&c| {
                if board.get(c).is_some() {
                    return false;
                }
                board.place(c, symbol).unwrap();
                let held = holds(&board, c);
                board.clear(c);
                held
            })
            .collect()
    }

    /// The cells where `symbol` would make five.
    fn winning_cells(board: &Board, symbol: Symbol) -> Vec<Coord> {
        cells_where(board, symbol, |board, c| board.winning_line(c).is_some())
    }

    /// The cells where `symbol` would leave two or more cells making five.
    fn open_four_cells(board: &Board, symbol: Symbol) -> Vec<Coord> {
        cells_where(board, symbol, |board, _| winning_cells(board, symbol).len() >= 2)
    }

    fn play(board: &Board, me: Symbol) -> Coord {
        let chosen = choose_move(board, me).expect("a move");
        assert_eq!(board.get(chosen), None, "{chosen:?} is taken\n{board:?}");
        chosen
    }

    /// Starts of five-cell lines in `direction`: middle, edges and corners.
    fn starts(direction: Direction) -> Vec<Coord> {
        let mut starts = Vec::new();
        for &(x, y) in &[(0, 0), (0, 19), (19, 0), (19, 19), (0, 15), (15, 0), (19, 7), (7, 19)] {
            for k in 0..5 {
                // Back off so that the line fits and (x, y) is one of its cells.
                if let Some(start) = at(x, y).step(direction, -k)
                    && start.step(direction, 4).is_some()
                    && !starts.contains(&start)
                {
                    starts.push(start);
                    break;
                }
            }
        }
        starts.push(at(8, 8));
        starts
    }

    #[test]
    fn the_table_knows_the_basic_shapes() {
        let mut board = Board::new();
        put(&mut board, &[(5, 5), (5, 6), (5, 7)], Symbol::X);
        let bot = Bot::new(&board);
        let row = |y: i64| bot.shape(index(at(5, y)), 1, stone(Symbol::X));
        assert_eq!(row(4), OPEN_FOUR);
        assert_eq!(row(3), FOUR);
        assert_eq!(row(5), OPEN_THREE, "the stone's own line as it stands");
        assert_eq!(bot.shape(index(at(6, 6)), 1, stone(Symbol::X)), ONE);
        let mut board = Board::new();
        put(&mut board, &[(0, 0), (0, 1), (19, 17), (19, 18)], Symbol::X);
        let bot = Bot::new(&board);
        let x = stone(Symbol::X);
        assert_eq!(bot.shape(index(at(0, 2)), 1, x), THREE, "the edge blocks");
        assert_eq!(bot.shape(index(at(0, 3)), 1, x), THREE);
        // One empty cell between it and the edge still makes it open.
        assert_eq!(bot.shape(index(at(19, 16)), 1, x), OPEN_THREE);
        assert_eq!(bot.shape(index(at(19, 15)), 1, x), OPEN_THREE, "a broken three");
        assert_eq!(bot.shape(index(at(19, 14)), 1, x), THREE);
    }

    #[test]
    fn wins_in_every_direction_at_edges_and_corners_and_across_a_gap() {
        for direction in Direction::ALL {
            for start in starts(direction) {
                for gap in 0..5 {
                    let mut board = Board::new();
                    for (k, cell) in line(start, direction, 5).into_iter().enumerate() {
                        if k != gap {
                            board.place(cell, Symbol::X).unwrap();
                        }
                    }
                    // Something for O elsewhere, so X has moves to weigh.
                    let o = if start.x < 10 { [(15, 3), (15, 4)] } else { [(3, 3), (3, 4)] };
                    put(&mut board, &o, Symbol::O);
                    let chosen = play(&board, Symbol::X);
                    board.place(chosen, Symbol::X).unwrap();
                    assert!(
                        board.winning_line(chosen).is_some(),
                        "{direction:?} from {start:?}, gap {gap}: played {chosen:?}\n{board:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_win_beats_blocking() {
        for direction in Direction::ALL {
            let mut board = Board::new();
            // X: XX_XX in `direction` from (8, 8); O: an open four on row 2.
            for (k, cell) in line(at(8, 8), direction, 5).into_iter().enumerate() {
                if k != 2 {
                    board.place(cell, Symbol::X).unwrap();
                }
            }
            put(&mut board, &[(2, 5), (2, 6), (2, 7), (2, 8)], Symbol::O);
            let chosen = play(&board, Symbol::X);
            assert_eq!(chosen, at(8, 8).step(direction, 2).unwrap(), "{direction:?}");
        }
    }

    #[test]
    fn blocks_closed_open_and_broken_fours_in_every_direction() {
        for direction in Direction::ALL {
            for start in [at(4, 8), starts(direction)[0]] {
                // Closed four (X at one end), open four, broken fours.
                for shape in ["XOOOO.", ".OOOO.", "OO.OO", "O.OOO", "OOO.O"] {
                    let cells = line(start, direction, 6);
                    let mut board = Board::new();
                    for (cell, mark) in cells.iter().zip(shape.chars()) {
                        match mark {
                            'X' => board.place(*cell, Symbol::X).unwrap(),
                            'O' => board.place(*cell, Symbol::O).unwrap(),
                            _ => {}
                        }
                    }
                    // A lone X stone elsewhere, far from the four.
                    let lone = if start.x < 10 { at(17, 2) } else { at(2, 2) };
                    if board.get(lone).is_none() {
                        board.place(lone, Symbol::X).unwrap();
                    }
                    let threats = winning_cells(&board, Symbol::O);
                    assert!(!threats.is_empty(), "{shape}");
                    let chosen = play(&board, Symbol::X);
                    assert!(
                        threats.contains(&chosen),
                        "{shape} {direction:?} from {start:?}: played {chosen:?}\n{board:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn blocks_an_open_three_so_that_no_open_four_follows() {
        for direction in Direction::ALL {
            for shape in [".OOO.", "O.OO", "OO.O"] {
                let start = at(7, 7);
                let mut board = Board::new();
                let cells = line(start, direction, 5);
                for (cell, mark) in cells.iter().zip(shape.chars()) {
                    if mark == 'O' {
                        board.place(*cell, Symbol::O).unwrap();
                    }
                }
                put(&mut board, &[(16, 2), (2, 16)], Symbol::X);
                assert!(!open_four_cells(&board, Symbol::O).is_empty(), "{shape}");
                let chosen = play(&board, Symbol::X);
                board.place(chosen, Symbol::X).unwrap();
                assert_eq!(
                    open_four_cells(&board, Symbol::O),
                    Vec::<Coord>::new(),
                    "{shape} {direction:?}: played {chosen:?}\n{board:?}"
                );
                if shape == ".OOO." {
                    let ends = [-1, 0, 4, 5].map(|k| start.step(direction, k).unwrap());
                    assert!(ends.contains(&chosen), "{direction:?}: {chosen:?}");
                }
            }
        }
    }

    #[test]
    fn blocks_an_open_three_on_the_side_that_helps_itself() {
        let mut board = Board::new();
        put(&mut board, &[(10, 8), (10, 9), (10, 10)], Symbol::O);
        // X's two stones above (10, 11): blocking there makes X an open three.
        put(&mut board, &[(8, 11), (9, 11)], Symbol::X);
        assert_eq!(play(&board, Symbol::X), at(10, 11));
        // Mirrored: the other end.
        let mut board = Board::new();
        put(&mut board, &[(10, 8), (10, 9), (10, 10)], Symbol::O);
        put(&mut board, &[(8, 7), (9, 7)], Symbol::X);
        assert_eq!(play(&board, Symbol::X), at(10, 7));
    }

    #[test]
    fn makes_an_open_four_rather_than_block_an_open_three() {
        for direction in Direction::ALL {
            let mut board = Board::new();
            for cell in line(at(6, 6), direction, 3) {
                board.place(cell, Symbol::X).unwrap();
            }
            put(&mut board, &[(14, 3), (14, 4), (14, 5)], Symbol::O);
            let chosen = play(&board, Symbol::X);
            board.place(chosen, Symbol::X).unwrap();
            assert!(
                winning_cells(&board, Symbol::X).len() >= 2,
                "{direction:?}: played {chosen:?}\n{board:?}"
            );
        }
    }

    #[test]
    fn plays_a_four_three_before_a_double_three() {
        // X: a closed three on row 5 and a diagonal two, meeting at (5, 8):
        // a four and an open three at once, which wins by force.
        let mut board = Board::new();
        put(&mut board, &[(5, 5), (5, 6), (5, 7), (6, 9), (7, 10)], Symbol::X);
        put(&mut board, &[(5, 4), (10, 2), (10, 3)], Symbol::O);
        // And (14, 12) would make two open threes at once.
        put(&mut board, &[(14, 10), (14, 11), (12, 12), (13, 12)], Symbol::X);
        assert_eq!(play(&board, Symbol::X), at(5, 8), "\n{board:?}");
    }

    #[test]
    fn stops_a_four_three() {
        // O threatens a four-three at (5, 8); X to move must spoil it.
        let mut board = Board::new();
        put(&mut board, &[(5, 5), (5, 6), (5, 7), (6, 9), (7, 10)], Symbol::O);
        put(&mut board, &[(5, 4)], Symbol::X);
        // X: (14, 12) would make two open threes at once: too slow.
        put(&mut board, &[(14, 10), (14, 11), (12, 12), (13, 12)], Symbol::X);
        let chosen = play(&board, Symbol::X);
        board.place(chosen, Symbol::X).unwrap();
        // Whatever O does next, X still has an answer: O gets no open four
        // and no four-three at once.
        let empty: Vec<Coord> = Coord::all().filter(|&c| board.get(c).is_none()).collect();
        for c in empty {
            board.place(c, Symbol::O).unwrap();
            let wins = winning_cells(&board, Symbol::O);
            if wins.len() == 1 {
                // X must block; then O must not have an open four to make.
                board.place(wins[0], Symbol::X).unwrap();
                assert!(
                    open_four_cells(&board, Symbol::O).is_empty(),
                    "played {chosen:?}, O four at {c:?}\n{board:?}"
                );
                board.clear(wins[0]);
            }
            assert!(wins.len() < 2, "played {chosen:?}, O at {c:?}\n{board:?}");
            board.clear(c);
        }
    }

    /// A board from rows of `X`, `O` and `.`, from the top-left corner.
    fn parse(rows: &[&str]) -> Board {
        let mut board = Board::new();
        for (x, row) in rows.iter().enumerate() {
            for (y, mark) in row.chars().enumerate() {
                let symbol = match mark {
                    'X' => Symbol::X,
                    'O' => Symbol::O,
                    _ => continue,
                };
                board.place(at(x as i64, y as i64), symbol).unwrap();
            }
        }
        board
    }

    #[test]
    fn a_run_of_fours_beats_blocking_an_open_three() {
        let board = parse(&[
            "....................",
            "....................",
            ".........O..........",
            ".........X.O..X.....",
            "........OXXXXO......",
            "........OXOOO.X.....",
            "......XOXXXOX.O.....",
            "....X...XOXOO.X.....",
            ".....OOXOO.X.OX.....",
            "......OX.XO.O.X.....",
            ".....X.OOOX...O.....",
            "........O...........",
            "......XX.X..X.......",
            "......O.............",
        ]);
        // X threatens an open four on row 12; O wins first, by fours.
        assert!(open_four_cells(&board, Symbol::X).contains(&at(12, 8)));
        let (winner, moves) = bot_game(board, Symbol::O);
        assert_eq!(winner, Some(Symbol::O));
        assert!(moves <= 7, "{moves} moves");
    }

    #[test]
    fn spoils_the_opponents_run_of_fours() {
        let mut board = parse(&[
            "....................",
            "....................",
            "....................",
            "....................",
            "....................",
            "....................",
            ".......OOOX.........",
            "........XO..........",
            "....................",
            "......OXXXOX........",
            ".....XX.O...........",
            ".....OOOXO..........",
            ".....OXOX..O........",
            ".....OXXXXOX........",
            "........O...........",
            ".....X..X...........",
        ]);
        // X (to move next) could win by a run of fours starting at (14, 6);
        // O playing for its shapes alone, at (5, 9), lets it.
        let chosen = play(&board, Symbol::O);
        board.place(chosen, Symbol::O).unwrap();
        let mut turn = Symbol::X;
        for ply in 0..9 {
            let c = play(&board, turn);
            board.place(c, turn).unwrap();
            if board.winning_line(c).is_some() {
                assert_eq!(turn, Symbol::O, "O played {chosen:?}; X won at ply {ply}\n{board:?}");
                break;
            }
            turn = turn.other();
        }
    }

    #[test]
    fn blocks_an_open_three_rather_than_make_a_double_three() {
        let mut board = Board::new();
        put(&mut board, &[(4, 4), (4, 5), (4, 6)], Symbol::O);
        // X: (14, 12) would make two open threes at once.
        put(&mut board, &[(14, 10), (14, 11), (12, 12), (13, 12)], Symbol::X);
        let chosen = play(&board, Symbol::X);
        assert!([at(4, 3), at(4, 7)].contains(&chosen), "{chosen:?}");
    }

    #[test]
    fn opens_near_the_centre() {
        let chosen = play(&Board::new(), Symbol::X);
        assert!((9..=10).contains(&chosen.x) && (9..=10).contains(&chosen.y), "{chosen:?}");
        let mut board = Board::new();
        board.place(chosen, Symbol::X).unwrap();
        let reply = play(&board, Symbol::O);
        assert!(reply.x.abs_diff(chosen.x) <= 1 && reply.y.abs_diff(chosen.y) <= 1, "{reply:?}");
    }

    /// A full board with no five anywhere.
    fn drawn_board() -> Board {
        let mut board = Board::new();
        for c in Coord::all() {
            let x = if (usize::from(c.x) + 2 * usize::from(c.y)) % 4 < 2 {
                Symbol::X
            } else {
                Symbol::O
            };
            board.place(c, x).unwrap();
        }
        assert!(Coord::all().all(|c| board.winning_line(c).is_none()));
        board
    }

    #[test]
    fn returns_none_on_a_full_board_and_the_last_cells_on_a_nearly_full_one() {
        let mut board = drawn_board();
        assert!(board.is_full());
        assert_eq!(choose_move(&board, Symbol::X), None);
        assert_eq!(choose_move(&board, Symbol::O), None);
        board.clear(at(19, 19));
        assert_eq!(choose_move(&board, Symbol::O), Some(at(19, 19)));
        let holes = [at(0, 0), at(7, 13), at(12, 3)];
        for hole in holes {
            board.clear(hole);
        }
        for me in [Symbol::X, Symbol::O] {
            let chosen = play(&board, me);
            assert!(chosen == at(19, 19) || holes.contains(&chosen), "{chosen:?}");
        }
    }

    /// A pseudo-random sequence (a 64-bit LCG).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    /// `stones` stones on random cells, X and O in turn.
    fn random_board(rng: &mut Lcg, stones: usize) -> Board {
        let mut board = Board::new();
        let mut turn = Symbol::X;
        while board.stones() < stones {
            let c = at(rng.below(BOARD_SIZE) as i64, rng.below(BOARD_SIZE) as i64);
            if board.place(c, turn).is_ok() {
                turn = turn.other();
            }
        }
        board
    }

    #[test]
    fn always_picks_an_empty_cell_on_random_boards() {
        let mut rng = Lcg(7);
        for round in 0..300 {
            let stones = rng.below(BOARD_SIZE * BOARD_SIZE);
            let board = random_board(&mut rng, stones);
            for me in [Symbol::X, Symbol::O] {
                let chosen = choose_move(&board, me);
                let chosen = chosen.unwrap_or_else(|| panic!("round {round}: no move"));
                assert_eq!(board.get(chosen), None, "round {round}: {chosen:?}\n{board:?}");
            }
        }
    }

    /// Plays a game to its end from `board`, `turn` to move: the winner,
    /// if any, and the number of moves.
    fn bot_game(mut board: Board, mut turn: Symbol) -> (Option<Symbol>, usize) {
        let mut moves = 0;
        loop {
            let Some(chosen) = choose_move(&board, turn) else {
                assert!(board.is_full());
                return (None, moves);
            };
            board.place(chosen, turn).expect("a legal move");
            moves += 1;
            if board.winning_line(chosen).is_some() {
                return (Some(turn), moves);
            }
            turn = turn.other();
        }
    }

    #[test]
    fn bot_against_bot_games_end() {
        let (winner, moves) = bot_game(Board::new(), Symbol::X);
        assert!(moves <= BOARD_SIZE * BOARD_SIZE);
        if winner.is_none() {
            assert_eq!(moves, BOARD_SIZE * BOARD_SIZE);
        }
        let mut rng = Lcg(42);
        for _ in 0..6 {
            // A few random stones near the middle to vary the games.
            let mut board = Board::new();
            let mut turn = Symbol::X;
            while board.stones() < 4 {
                let c = at(7 + rng.below(6) as i64, 7 + rng.below(6) as i64);
                if board.place(c, turn).is_ok() {
                    turn = turn.other();
                }
            }
            let (winner, moves) = bot_game(board, turn);
            assert!(winner.is_some() || moves == BOARD_SIZE * BOARD_SIZE - 4);
        }
    }

    /// Not a test: the slowest move over 200 mid-game positions (or
    /// `BOT_TIMING_POSITIONS`), for a release build: `cargo test --release
    /// -p capstan-game --lib bot::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        let wanted: usize =
            std::env::var("BOT_TIMING_POSITIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
        let start = Instant::now();
        let table = build_table();
        println!("shape table ({} entries): {:?}", table.len(), start.elapsed());
        let mut rng = Lcg(2024);
        let mut positions = Vec::new();
        // Three in four from bot games with random openings, at every stage.
        while positions.len() < wanted * 3 / 4 {
            let mut board = Board::new();
            let mut turn = Symbol::X;
            while board.stones() < 6 {
                let c = at(6 + rng.below(8) as i64, 6 + rng.below(8) as i64);
                if board.place(c, turn).is_ok() {
                    turn = turn.other();
                }
            }
            loop {
                if rng.below(6) == 0 {
                    positions.push((board.clone(), turn));
                }
                let Some(c) = choose_move(&board, turn) else { break };
                board.place(c, turn).unwrap();
                if board.winning_line(c).is_some() {
                    break;
                }
                turn = turn.other();
            }
        }
        // The rest random scatters, sparse to dense.
        let scatters = wanted - positions.len();
        for k in 0..scatters {
            let board = random_board(&mut rng, k * 390 / scatters);
            positions.push((board, if k % 2 == 0 { Symbol::X } else { Symbol::O }));
        }
        let mut times = Vec::new();
        let mut most_nodes = 0;
        for (board, turn) in &positions {
            let start = Instant::now();
            let chosen = choose_move(board, *turn);
            times.push(start.elapsed());
            assert!(chosen.is_some());
            let mut bot = Bot::new(board);
            bot.choose(stone(*turn), stone(turn.other()));
            most_nodes = most_nodes.max(TOTAL_NODES - bot.total);
        }
        times.sort();
        let total: Duration = times.iter().sum();
        println!(
            "{} positions: max {:?}, p99 {:?}, median {:?}, mean {:?}; most search nodes {}",
            times.len(),
            times[times.len() - 1],
            times[times.len() * 99 / 100],
            times[times.len() / 2],
            total / times.len() as u32,
            most_nodes
        );
    }
}
