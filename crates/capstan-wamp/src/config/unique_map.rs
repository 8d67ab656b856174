//! A JSON object read in order, refusing a key given twice (a `BTreeMap`
//! would keep the last one silently: a principal written twice would lose
//! its first ticket without a word).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};

/// The entries of a JSON object, in the file's order, keys unique.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UniqueMap<T>(pub Vec<(String, T)>);

impl<T> Default for UniqueMap<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for UniqueMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

struct Entries<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
    type Value = UniqueMap<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(String, T)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.iter().any(|(seen, _)| *seen == key) {
                return Err(A::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(UniqueMap(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_a_repeated_key_refused() {
        let map: UniqueMap<u8> = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap();
        assert_eq!(map.0, [("b".to_owned(), 1), ("a".to_owned(), 2)]);
        let error = serde_json::from_str::<UniqueMap<u8>>("{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert!(error.to_string().contains("duplicate key \"a\""), "{error}");
        assert_eq!(error.line(), 2);
    }
}
