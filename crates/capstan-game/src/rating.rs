//! Glicko-2 ratings, after Mark Glickman's "Example of the Glicko-2 system".
//!
//! Ratings are kept on the familiar Glicko scale (1500 ± 350) and converted
//! to the Glicko-2 scale only inside [`update`]. Every input is sanitised
//! first (non-finite numbers replaced, the deviation clamped to
//! `(0, 350]`), so the results are always finite.

use std::f64::consts::PI;

/// System constant tau: how much the volatility may change per period.
pub const TAU: f64 = 0.5;

/// Rating of a new player.
const DEFAULT_RATING: f64 = 1500.0;
/// Deviation of a new player, also the largest deviation allowed.
const MAX_DEVIATION: f64 = 350.0;
/// Smallest deviation allowed, so that nothing divides by zero.
const MIN_DEVIATION: f64 = 0.01;
/// Volatility of a new player.
const DEFAULT_VOLATILITY: f64 = 0.06;
/// Volatility bounds; real volatilities sit far inside them.
const MIN_VOLATILITY: f64 = 1e-6;
const MAX_VOLATILITY: f64 = 10.0;
/// Factor between the Glicko and the Glicko-2 scale.
const SCALE: f64 = 173.7178;
/// Convergence tolerance of the volatility iteration (step 5).
const EPSILON: f64 = 1e-6;
/// Upper bound on iterations of each loop in step 5.
const MAX_ITERATIONS: usize = 100;

/// A player's rating on the Glicko scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rating {
    /// Estimated strength; 1500 for a new player.
    pub rating: f64,
    /// Rating deviation (uncertainty of `rating`); at most 350.
    pub deviation: f64,
    /// Volatility: the expected fluctuation of the player's strength.
    pub volatility: f64,
}

impl Default for Rating {
    /// A new player: 1500, deviation 350, volatility 0.06.
    fn default() -> Self {
        Rating { rating: DEFAULT_RATING, deviation: MAX_DEVIATION, volatility: DEFAULT_VOLATILITY }
    }
}

impl Rating {
    /// The same rating with non-finite or out-of-range fields repaired.
    fn sanitized(self) -> Rating {
        let rating = if self.rating.is_finite() { self.rating } else { DEFAULT_RATING };
        let deviation = if self.deviation.is_nan() {
            MAX_DEVIATION
        } else {
            self.deviation.clamp(MIN_DEVIATION, MAX_DEVIATION)
        };
        let volatility = if self.volatility.is_finite() && self.volatility > 0.0 {
            self.volatility.clamp(MIN_VOLATILITY, MAX_VOLATILITY)
        } else {
            DEFAULT_VOLATILITY
        };
        Rating { rating, deviation, volatility }
    }
}

/// The result of one game for the player whose rating is being updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The player won.
    Win,
    /// The player lost.
    Loss,
    /// The game was drawn.
    Draw,
}

impl Outcome {
    /// The score of this outcome: 1 for a win, 0 for a loss, 0.5 for a draw.
    pub fn score(self) -> f64 {
        match self {
            Outcome::Win => 1.0,
            Outcome::Loss => 0.0,
            Outcome::Draw => 0.5,
        }
    }

    /// The same game seen from the opponent's side.
    pub fn reversed(self) -> Outcome {
        match self {
            Outcome::Win => Outcome::Loss,
            Outcome::Loss => Outcome::Win,
            Outcome::Draw => Outcome::Draw,
        }
    }
}

/// The paper's g(φ): damps the weight of an uncertain opponent.
fn g(phi: f64) -> f64 {
    1.0 / (1.0 + 3.0 * phi * phi / (PI * PI)).sqrt()
}

/// The paper's E(μ, μj, φj): expected score against an opponent.
fn expected(mu: f64, mu_j: f64, g_j: f64) -> f64 {
    1.0 / (1.0 + (-g_j * (mu - mu_j)).exp())
}

/// Step 5: the new volatility σ', by the Illinois algorithm.
///
/// `phi2` is φ², `v` the estimated variance and `delta2` is Δ². Falls back
/// to `sigma` whenever the numbers do not allow a sound answer.
fn new_volatility(sigma: f64, phi2: f64, v: f64, delta2: f64) -> f64 {
    if !(v.is_finite() && v > 0.0 && delta2.is_finite()) {
        return sigma;
    }
    let a = (sigma * sigma).ln();
    // f(x) = e^x (Δ² − φ² − v − e^x) / (2 (φ² + v + e^x)²) − (x − a) / τ²,
    // written with d = φ² + v + e^x so no intermediate overflows.
    let f = |x: f64| {
        let ex = x.exp();
        let d = phi2 + v + ex;
        0.5 * (ex / d) * ((delta2 - d) / d) - (x - a) / (TAU * TAU)
    };

    let mut big_a = a;
    let mut big_b = if delta2 > phi2 + v {
        (delta2 - phi2 - v).ln()
    } else {
        let mut k = 1.0;
        let mut found = None;
        for _ in 0..MAX_ITERATIONS {
            let x = a - k * TAU;
            if f(x) >= 0.0 {
                found = Some(x);
                break;
            }
            k += 1.0;
        }
        match found {
            Some(x) => x,
            None => return sigma,
        }
    };

    let mut f_a = f(big_a);
    let mut f_b = f(big_b);
    for _ in 0..MAX_ITERATIONS {
        if (big_b - big_a).abs() <= EPSILON {
            break;
        }
        let denominator = f_b - f_a;
        if !denominator.is_finite() || denominator == 0.0 {
            break;
        }
        let c = big_a + (big_a - big_b) * f_a / denominator;
        let f_c = f(c);
        if !c.is_finite() || !f_c.is_finite() {
            break;
        }
        if f_c * f_b <= 0.0 {
            big_a = big_b;
            f_a = f_b;
        } else {
            f_a /= 2.0;
        }
        big_b = c;
        f_b = f_c;
    }

    let result = (big_a / 2.0).exp();
    if result.is_finite() && result > 0.0 {
        result.clamp(MIN_VOLATILITY, MAX_VOLATILITY)
    } else {
        sigma
    }
}

/// Updates `player` after a rating period in which it played `games`
/// (opponent's rating before the period, outcome).
///
/// With no games, only the deviation grows (step 6 of the paper).
/// Deviation never exceeds 350.
pub fn update(player: Rating, games: &[(Rating, Outcome)]) -> Rating {
    let player = player.sanitized();
    // Step 2: convert to the Glicko-2 scale.
    let mu = (player.rating - DEFAULT_RATING) / SCALE;
    let phi = player.deviation / SCALE;
    let sigma = player.volatility;
    let max_phi = MAX_DEVIATION / SCALE;

    if games.is_empty() {
        let phi_star = (phi * phi + sigma * sigma).sqrt().min(max_phi);
        return Rating { deviation: phi_star * SCALE, ..player };
    }

    // Steps 3 and 4: the information (1/v) the games carry and the sum
    // behind the estimated improvement Δ = v · Σ g(φj) (sj − Ej).
    let mut information = 0.0;
    let mut improvement = 0.0;
    for &(opponent, outcome) in games {
        let opponent = opponent.sanitized();
        let mu_j = (opponent.rating - DEFAULT_RATING) / SCALE;
        let g_j = g(opponent.deviation / SCALE);
        let e_j = expected(mu, mu_j, g_j);
        information += g_j * g_j * e_j * (1.0 - e_j);
        improvement += g_j * (outcome.score() - e_j);
    }
    let v = 1.0 / information;
    let delta = v * improvement;

    // Step 5: the new volatility.
    let sigma_new = new_volatility(sigma, phi * phi, v, delta * delta);

    // Steps 6 and 7: the new deviation and rating.
    let phi_star = (phi * phi + sigma_new * sigma_new).sqrt();
    let phi_new = (1.0 / (1.0 / (phi_star * phi_star) + information).sqrt())
        .clamp(MIN_DEVIATION / SCALE, max_phi);
    let mu_new = mu + phi_new * phi_new * improvement;

    // Step 8: back to the Glicko scale.
    let rating = mu_new * SCALE + DEFAULT_RATING;
    Rating {
        rating: if rating.is_finite() { rating } else { player.rating },
        deviation: phi_new * SCALE,
        volatility: sigma_new,
    }
}

/// One game between `a` and `b` treated as its own rating period for both
/// (both updated from the ratings before the game): returns `(a', b')`.
pub fn update_pair(a: Rating, b: Rating, a_outcome: Outcome) -> (Rating, Rating) {
    (update(a, &[(b, a_outcome)]), update(b, &[(a, a_outcome.reversed())]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(rating: f64, deviation: f64) -> Rating {
        Rating { rating, deviation, volatility: DEFAULT_VOLATILITY }
    }

    fn assert_sane(r: Rating) {
        assert!(r.rating.is_finite(), "{r:?}");
        assert!(r.deviation.is_finite() && r.deviation > 0.0 && r.deviation <= 350.0, "{r:?}");
        assert!(r.volatility.is_finite() && r.volatility > 0.0, "{r:?}");
    }

    #[test]
    fn outcome_scores_and_reversal() {
        assert_eq!(Outcome::Win.score(), 1.0);
        assert_eq!(Outcome::Loss.score(), 0.0);
        assert_eq!(Outcome::Draw.score(), 0.5);
        assert_eq!(Outcome::Win.reversed(), Outcome::Loss);
        assert_eq!(Outcome::Loss.reversed(), Outcome::Win);
        assert_eq!(Outcome::Draw.reversed(), Outcome::Draw);
        assert_eq!(Rating::default(), rating(1500.0, 350.0));
    }

    #[test]
    fn papers_worked_example() {
        let player = rating(1500.0, 200.0);
        let games = [
            (rating(1400.0, 30.0), Outcome::Win),
            (rating(1550.0, 100.0), Outcome::Loss),
            (rating(1700.0, 300.0), Outcome::Loss),
        ];
        let r = update(player, &games);
        assert!((r.rating - 1464.06).abs() < 0.01, "{r:?}");
        assert!((r.deviation - 151.52).abs() < 0.01, "{r:?}");
        assert!((r.volatility - 0.05999).abs() < 0.0001, "{r:?}");
    }

    #[test]
    fn papers_intermediate_volatility() {
        // The paper's step 5: φ = 1.1513, v = 1.7785, Δ = −0.4834 → σ' = 0.05999.
        let phi: f64 = 200.0 / SCALE;
        let sigma = new_volatility(0.06, phi * phi, 1.7785, 0.4834 * 0.4834);
        assert!((sigma - 0.05999).abs() < 0.00001, "{sigma}");
    }

    #[test]
    fn win_between_equals_is_symmetric() {
        let a = rating(1500.0, 200.0);
        let b = rating(1500.0, 200.0);
        let (a2, b2) = update_pair(a, b, Outcome::Win);
        let gain = a2.rating - a.rating;
        let loss = b.rating - b2.rating;
        assert!(gain > 0.0, "{a2:?}");
        assert!(loss > 0.0, "{b2:?}");
        assert!((gain - loss).abs() < 1e-9, "gain {gain}, loss {loss}");
        assert!((a2.deviation - b2.deviation).abs() < 1e-9);

        // The same seen from the loser's side.
        let (b3, a3) = update_pair(b, a, Outcome::Loss);
        assert_eq!((a3, b3), (a2, b2));
    }

    #[test]
    fn draw_between_equals_changes_only_deviation() {
        let a = rating(1700.0, 120.0);
        let (a2, b2) = update_pair(a, a, Outcome::Draw);
        for r in [a2, b2] {
            assert!((r.rating - a.rating).abs() < 1e-9, "{r:?}");
            assert!(r.deviation < a.deviation, "{r:?}");
        }
    }

    #[test]
    fn upset_gains_more_than_expected_win() {
        let player = rating(1500.0, 100.0);
        let against_strong = update(player, &[(rating(1900.0, 100.0), Outcome::Win)]);
        let against_weak = update(player, &[(rating(1100.0, 100.0), Outcome::Win)]);
        let strong_gain = against_strong.rating - player.rating;
        let weak_gain = against_weak.rating - player.rating;
        assert!(weak_gain > 0.0, "{against_weak:?}");
        assert!(strong_gain > weak_gain, "strong {strong_gain}, weak {weak_gain}");
    }

    #[test]
    fn no_games_only_grows_deviation() {
        let player = rating(1620.0, 80.0);
        let r = update(player, &[]);
        assert_eq!(r.rating, player.rating);
        assert_eq!(r.volatility, player.volatility);
        assert!(r.deviation > player.deviation, "{r:?}");
        assert!(r.deviation <= 350.0, "{r:?}");

        let uncertain = rating(1620.0, 349.99);
        let r = update(uncertain, &[]);
        assert!(r.deviation > 349.99 && r.deviation <= 350.0, "{r:?}");
        let r = update(Rating::default(), &[]);
        assert!(r.deviation <= 350.0, "{r:?}");
    }

    #[test]
    fn deviation_never_exceeds_limit_after_games() {
        let new = Rating::default();
        for outcome in [Outcome::Win, Outcome::Loss, Outcome::Draw] {
            let (a, b) = update_pair(new, new, outcome);
            assert_sane(a);
            assert_sane(b);
        }
    }

    #[test]
    fn extreme_inputs_stay_finite() {
        let zero_deviation = Rating { rating: 1500.0, deviation: 0.0, volatility: 0.06 };
        let giant = rating(4000.0, 350.0);
        for outcome in [Outcome::Win, Outcome::Loss, Outcome::Draw] {
            let (a, b) = update_pair(zero_deviation, giant, outcome);
            assert_sane(a);
            assert_sane(b);
            let (a, b) = update_pair(rating(1500.0, 30.0), rating(4000.0, 30.0), outcome);
            assert_sane(a);
            assert_sane(b);
            let (a, b) = update_pair(zero_deviation, zero_deviation, outcome);
            assert_sane(a);
            assert_sane(b);
        }
        // The upset moves the underdog up and the favourite down.
        let (a, b) = update_pair(rating(1500.0, 350.0), giant, Outcome::Win);
        assert!(a.rating > 1500.0 && b.rating < 4000.0, "{a:?} {b:?}");

        let broken = [
            Rating { rating: f64::NAN, deviation: f64::NAN, volatility: f64::NAN },
            Rating { rating: f64::INFINITY, deviation: f64::INFINITY, volatility: f64::INFINITY },
            Rating { rating: -1e300, deviation: -5.0, volatility: 0.0 },
            Rating { rating: 1e300, deviation: 1e300, volatility: -1.0 },
        ];
        for x in broken {
            assert_sane(update(x, &[]));
            for y in broken {
                let (a, b) = update_pair(x, y, Outcome::Win);
                assert_sane(a);
                assert_sane(b);
            }
            let (a, b) = update_pair(x, Rating::default(), Outcome::Draw);
            assert_sane(a);
            assert_sane(b);
        }
        let many: Vec<_> = (0..1000).map(|_| (giant, Outcome::Win)).collect();
        assert_sane(update(rating(1500.0, 350.0), &many));
    }
}
