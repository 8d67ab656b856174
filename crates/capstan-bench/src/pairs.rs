//! `(name, value)` pairs written as a JSON object, in their order: the
//! processes watched, in the order given on the command line (a map would
//! sort them by name).

use serde::Serializer;

/// Serializes `pairs` as an object (for `#[serde(serialize_with)]`).
pub fn as_object<S, K, V>(pairs: &[(K, V)], serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    K: serde::Serialize,
    V: serde::Serialize,
{
    serializer.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Watched {
        #[serde(serialize_with = "super::as_object")]
        pids: Vec<(String, u32)>,
    }

    #[test]
    fn in_their_order() {
        let w = Watched { pids: vec![("zz".into(), 2), ("aa".into(), 1)] };
        assert_eq!(serde_json::to_string(&w).unwrap(), r#"{"pids":{"zz":2,"aa":1}}"#);
    }
}
