//! How `loadgen`'s flag values are read (clap value parsers): the same
//! rules, and the same words in the errors, as before clap.

use std::time::Duration;

/// A positive whole number; `_` may group digits (`100_000`).
pub fn positive(value: &str) -> Result<usize, String> {
    match value.replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("takes a positive whole number".into()),
    }
}

/// A positive process id (`_` allowed, as in [`positive`]).
pub fn pid(value: &str) -> Result<u32, String> {
    match value.replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("takes a positive process id".into()),
    }
}

/// A whole number, 0 included.
pub fn whole(value: &str) -> Result<usize, String> {
    value.parse().map_err(|_| "takes a whole number".into())
}

/// Seconds, more than 0 and at most a day (fractions allowed).
pub fn seconds(value: &str) -> Result<Duration, String> {
    match seconds_or_zero(value)? {
        d if d.is_zero() => Err("takes a positive number of seconds".into()),
        d => Ok(d),
    }
}

/// Seconds, 0 to a day (fractions allowed).
pub fn seconds_or_zero(value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(s) if (0.0..=86_400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err("takes seconds, 0 to 86400".into()),
    }
}

/// One offered rate of a `--rate` list: a positive finite number,
/// spaces around it ignored.
pub fn rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() => Ok(r),
        _ => Err("takes positive numbers, comma-separated".into()),
    }
}

/// `NAME=PID`: a name without spaces, a positive process id.
pub fn watched(value: &str) -> Result<(String, u32), String> {
    let (name, pid) = value.split_once('=').ok_or("takes NAME=PID")?;
    match pid.parse::<u32>() {
        Ok(pid) if pid > 0 && !name.is_empty() && !name.contains(char::is_whitespace) => {
            Ok((name.to_owned(), pid))
        }
        _ => Err("takes NAME=PID".into()),
    }
}

/// A request path: starts with `/`, holds no whitespace.
pub fn request_path(value: &str) -> Result<String, String> {
    if value.starts_with('/') && !value.contains(char::is_whitespace) {
        Ok(value.to_owned())
    } else {
        Err("must start with / and hold no spaces".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(positive("100_000"), Ok(100_000));
        assert!(positive("0").is_err() && positive("-1").is_err() && positive("x").is_err());
        assert_eq!(whole("0"), Ok(0));
        assert!(whole("1_000").is_err(), "no digit groups in a whole number, as before");
        assert_eq!(pid("4_321"), Ok(4321));
        assert!(pid("0").is_err() && pid("4294967296").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(seconds("0").is_err() && seconds("86401").is_err() && seconds("nan").is_err());
        assert_eq!(seconds_or_zero("0"), Ok(Duration::ZERO));
        assert!(seconds_or_zero("-1").is_err());
    }

    #[test]
    fn words() {
        assert_eq!(rate(" 1e5 "), Ok(100_000.0));
        assert!(rate("0").is_err() && rate("inf").is_err() && rate("").is_err());
        assert_eq!(watched("redis=9"), Ok(("redis".into(), 9)));
        for bad in ["redis", "=3", "redis=0", "re dis=3", "redis=x"] {
            assert!(watched(bad).is_err(), "{bad}");
        }
        assert_eq!(request_path("/x?y=1"), Ok("/x?y=1".into()));
        assert!(request_path("nope").is_err() && request_path("/a b").is_err());
    }
}
