//! Ratios between Capstan and another server, turned so that a ratio
//! above 1 always means Capstan did better: capstan ÷ this for rates
//! (higher is better), this ÷ capstan for costs (CPU, latency, memory).

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Rates: messages/s, deliveries/s, cycles/s.
    Higher,
    /// Costs: CPU per message, latency, memory.
    Lower,
}

impl Better {
    /// The ratio's column header.
    pub fn header(self) -> &'static str {
        match self {
            Better::Higher => "capstan ÷ this",
            Better::Lower => "this ÷ capstan",
        }
    }
}

/// The ratio of `this` to `capstan`, turned so that above 1 means Capstan
/// did better; `None` if either is unknown or the divisor is not positive.
pub fn ratio(capstan: Option<f64>, this: Option<f64>, better: Better) -> Option<f64> {
    let (capstan, this) = (capstan?, this?);
    let (num, den) = match better {
        Better::Higher => (capstan, this),
        Better::Lower => (this, capstan),
    };
    (den > 0.0 && num.is_finite() && den.is_finite()).then(|| num / den)
}

/// A ratio as `1.23×` (`–` if unknown).
pub fn format(ratio: Option<f64>) -> String {
    match ratio {
        None => "–".into(),
        Some(r) if r >= 100.0 => format!("{r:.0}×"),
        Some(r) if r >= 10.0 => format!("{r:.1}×"),
        Some(r) => format!("{r:.2}×"),
    }
}

/// The ratio cell of `this` against `capstan` (`1×` on Capstan's own row).
pub fn cell(capstan: Option<f64>, this: Option<f64>, better: Better) -> String {
    format(ratio(capstan, this, better))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turned_so_that_above_one_is_better() {
        // Capstan does twice the messages per second: 2×.
        assert_eq!(ratio(Some(200.0), Some(100.0), Better::Higher), Some(2.0));
        // Capstan costs half the CPU per message: 2× as well.
        assert_eq!(ratio(Some(5.0), Some(10.0), Better::Lower), Some(2.0));
        assert_eq!(ratio(Some(5.0), None, Better::Lower), None);
        assert_eq!(ratio(Some(0.0), Some(3.0), Better::Lower), None);
        assert_eq!(format(Some(0.5)), "0.50×");
        assert_eq!(format(Some(12.34)), "12.3×");
        assert_eq!(format(Some(250.0)), "250×");
        assert_eq!(cell(None, Some(1.0), Better::Higher), "–");
        assert_eq!(Better::Lower.header(), "this ÷ capstan");
    }
}
