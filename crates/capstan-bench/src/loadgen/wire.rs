//! The lines between the coordinator and its worker processes (and a
//! worker's command line): a word, then `key=value` fields separated by
//! spaces; values are percent-escaped so that they hold no whitespace.

use std::fmt::Display;
use std::str::FromStr;

/// One line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What the line says: `report`, `error`, `bye`, …
    pub kind: String,
    fields: Vec<(String, String)>,
}

impl Line {
    /// A line of `kind` with no field yet.
    pub fn new(kind: &str) -> Self {
        Self { kind: kind.to_owned(), fields: Vec::new() }
    }

    /// Adds the field `key=value`.
    pub fn with(mut self, key: &str, value: impl Display) -> Self {
        self.fields.push((key.to_owned(), value.to_string()));
        self
    }

    /// The field `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The field `key`, which must be present and parse as `T`.
    pub fn parse_field<T: FromStr>(&self, key: &str) -> Result<T, String> {
        let value = self.get(key).ok_or_else(|| format!("{} line without {key}", self.kind))?;
        value.parse().map_err(|_| format!("{} line: bad {key}={value:?}", self.kind))
    }

    /// The line as text (no newline).
    pub fn to_text(&self) -> String {
        let mut out = self.kind.clone();
        for (key, value) in &self.fields {
            out.push(' ');
            out.push_str(key);
            out.push('=');
            out.push_str(&escape(value));
        }
        out
    }

    /// Reads what [`to_text`](Self::to_text) wrote.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut words = text.split_whitespace();
        let kind = words.next().ok_or("empty line")?;
        let mut line = Self::new(kind);
        for word in words {
            let (key, value) =
                word.split_once('=').ok_or_else(|| format!("bad field {word:?} in {text:?}"))?;
            line.fields.push((key.to_owned(), unescape(value)?));
        }
        Ok(line)
    }
}

/// Percent-escapes `%` and whitespace.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '%' || (c.is_ascii() && c.is_whitespace()) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3).ok_or_else(|| format!("bad escape in {value:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape in {value:?}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("bad escape in {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let line = Line::new("report")
            .with("messages", 12)
            .with("error", "connection 3: closed by the server (100% sure)\n")
            .with("empty", "");
        let text = line.to_text();
        assert!(!text.contains('\n'));
        assert_eq!(text.split(' ').count(), 4);
        let back = Line::parse(&text).unwrap();
        assert_eq!(back, line);
        assert_eq!(back.parse_field::<u64>("messages"), Ok(12));
        assert!(back.parse_field::<u64>("error").is_err());
        assert!(back.parse_field::<u64>("missing").is_err());
        assert_eq!(back.get("empty"), Some(""));
        assert!(Line::parse("").is_err());
        assert!(Line::parse("report novalue").is_err());
        assert!(Line::parse("report a=%4").is_err());
        assert_eq!(Line::parse("x a=b=c").unwrap().get("a"), Some("b=c"));
    }
}
