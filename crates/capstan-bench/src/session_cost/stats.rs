//! The arithmetic of the tables: medians, bests, and ratios of one side
//! to the reference, per round and overall.

/// The median of `values` (the mean of the middle two for an even count);
/// `None` for none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
}

/// The best of `values`: the least for a cost, the greatest for a rate.
pub fn best(values: &[f64], lower_is_better: bool) -> Option<f64> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    if lower_is_better { finite.reduce(f64::min) } else { finite.reduce(f64::max) }
}

/// `a ÷ b`, if both are there and `b` is not 0.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 && a.is_finite() && b.is_finite() => Some(a / b),
        _ => None,
    }
}

/// One side against the reference over the rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Versus {
    /// The median of the per-round ratios (side ÷ reference, same round).
    pub median_of_ratios: Option<f64>,
    /// The least and greatest per-round ratio.
    pub range: Option<(f64, f64)>,
    /// The side's median ÷ the reference's median.
    pub of_medians: Option<f64>,
    /// The side's best ÷ the reference's best.
    pub of_bests: Option<f64>,
}

/// Compares `side` with `reference`, round by round (`None`: that round's
/// run gave no figure).
pub fn versus(side: &[Option<f64>], reference: &[Option<f64>], lower_is_better: bool) -> Versus {
    let ratios: Vec<f64> = side.iter().zip(reference).filter_map(|(&s, &r)| ratio(s, r)).collect();
    let (sides, references): (Vec<f64>, Vec<f64>) =
        (side.iter().flatten().copied().collect(), reference.iter().flatten().copied().collect());
    Versus {
        median_of_ratios: median(&ratios),
        range: best(&ratios, true).zip(best(&ratios, false)),
        of_medians: ratio(median(&sides), median(&references)),
        of_bests: ratio(best(&sides, lower_is_better), best(&references, lower_is_better)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_bests() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
        assert_eq!(best(&[2.0, 1.0, 3.0], true), Some(1.0));
        assert_eq!(best(&[2.0, 1.0, 3.0], false), Some(3.0));
        assert_eq!(best(&[], true), None);
        assert_eq!(ratio(Some(3.0), Some(2.0)), Some(1.5));
        assert_eq!(ratio(Some(3.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(1.0)), None);
    }

    #[test]
    fn one_side_against_the_reference() {
        let reference = [Some(10.0), Some(8.0), Some(12.0), None];
        let side = [Some(11.0), Some(10.0), Some(12.0), Some(1.0)];
        let v = versus(&side, &reference, true);
        // Per round: 1.1, 1.25, 1.0 (the fourth has no reference).
        assert_eq!(v.median_of_ratios, Some(1.1));
        assert_eq!(v.range, Some((1.0, 1.25)));
        // Medians: side 10.5 (of 1, 10, 11, 12), reference 10.
        assert_eq!(v.of_medians, Some(1.05));
        // Bests (least): 1 ÷ 8.
        assert_eq!(v.of_bests, Some(0.125));
        let rates = versus(&[Some(50.0)], &[Some(100.0)], false);
        assert_eq!((rates.of_bests, rates.median_of_ratios), (Some(0.5), Some(0.5)));
        let none = versus(&[None], &[Some(1.0)], true);
        assert_eq!((none.median_of_ratios, none.range, none.of_medians), (None, None, None));
    }
}
