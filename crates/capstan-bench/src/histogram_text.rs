//! A [`Histogram`] in a JSON document as its text form
//! ([`Histogram::to_text`], [`Histogram::from_text`]), for
//! `#[serde(with = "crate::histogram_text")]`: how a worker hands its
//! latencies to its parent, which merges them.

use serde::{Deserialize, Deserializer, Serializer};

use crate::histogram::Histogram;

/// Writes `histogram` as its text.
pub fn serialize<S: Serializer>(histogram: &Histogram, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&histogram.to_text())
}

/// Reads a histogram from its text.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Histogram, D::Error> {
    let text = String::deserialize(deserializer)?;
    Histogram::from_text(&text).map_err(serde::de::Error::custom)
}
