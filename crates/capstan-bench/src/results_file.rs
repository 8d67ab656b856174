//! A results file's text: a value with `Serialize` as JSON indented by two
//! spaces, `"name": value`, ending with a newline. serde_json writes `None`
//! and numbers that are not finite (NaN, infinities) as `null`.

use serde::Serialize;

/// `value` as the text of a results file.
pub fn pretty<T: Serialize + ?Sized>(value: &T) -> String {
    // Fails only for a map keyed by something other than strings, or a
    // `Serialize` that fails: results are neither.
    let mut text = serde_json::to_string_pretty(value).expect("results serialize as JSON");
    text.push('\n');
    text
}

/// The keys of a results file's `text`, one a line, indented two spaces
/// per level of nesting (objects and arrays): the file's shape, which a
/// renamed, moved, reordered or dropped field changes.
#[cfg(test)]
pub fn skeleton(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let rest = line.trim_start();
        let Some(key) = rest.strip_prefix('"').and_then(|r| r.split_once("\": ")) else {
            continue;
        };
        let depth = (line.len() - rest.len()) / 2 - 1;
        out.extend(std::iter::repeat_n("  ", depth));
        out.push_str(key.0);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_non_finite_numbers_are_null() {
        let values =
            [Some(f64::NAN), Some(f64::INFINITY), Some(f64::NEG_INFINITY), None, Some(0.5)];
        assert_eq!(pretty(&values), "[\n  null,\n  null,\n  null,\n  null,\n  0.5\n]\n");
        assert_eq!(pretty(&Vec::<u64>::new()), "[]\n");
        assert_eq!(pretty(&std::collections::BTreeMap::<String, u64>::new()), "{}\n");
        // Integers as integers; a whole f64 with a point (Rust's `{}` left it out).
        assert_eq!(pretty(&(7u64, 2.0f64)), "[\n  7,\n  2.0\n]\n");
    }

    #[test]
    fn skeleton_of_nested_objects_and_arrays() {
        let text = "{\n  \"a\": 1,\n  \"b\": [\n    {\n      \"c\": \"x\\\": y\"\n    }\n  ],\n  \"d\": {\n    \"e\": null\n  }\n}\n";
        assert_eq!(skeleton(text), "a\nb\n    c\nd\n  e\n");
    }
}
