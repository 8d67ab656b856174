//! What WAMP messages are made of: the values the three serializers share
//! (JSON's, plus integers beyond 2^63 and byte strings).

use std::collections::BTreeMap;

use bytes::Bytes;

/// A dictionary: string keys, in order.
pub type Dict = BTreeMap<String, Value>;

/// A WAMP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nothing (JSON `null`, msgpack nil, CBOR null or undefined).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX` (never used for smaller ones).
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A text string.
    Str(String),
    /// A byte string (in JSON: a string of `\0` then base64).
    Bytes(Bytes),
    /// A list.
    List(Vec<Value>),
    /// A dictionary.
    Dict(Dict),
}

impl Value {
    /// The integer `n`, in the one form used for it.
    pub fn from_u64(n: u64) -> Self {
        match i64::try_from(n) {
            Ok(n) => Self::Int(n),
            Err(_) => Self::UInt(n),
        }
    }

    /// The value as an integer that fits `i64`, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::Int(n) => Some(n),
            _ => None,
        }
    }

    /// The value as a non-negative integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::Int(n) => u64::try_from(n).ok(),
            Self::UInt(n) => Some(n),
            _ => None,
        }
    }

    /// The value as text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The value as a dictionary, if it is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Self::Dict(dict) => Some(dict),
            _ => None,
        }
    }

    /// The value as a list, if it is one.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Self::List(list) => Some(list),
            _ => None,
        }
    }

    /// The value as a boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// What kind of value it is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) | Self::UInt(_) => "an integer",
            Self::Float(_) => "a float",
            Self::Str(_) => "a string",
            Self::Bytes(_) => "bytes",
            Self::List(_) => "a list",
            Self::Dict(_) => "a dictionary",
        }
    }
}

/// JSON's values as they are: numbers as integers where they fit (`UInt`
/// above `i64::MAX`), strings as text — a string that starts with NUL stays
/// text here; only the `wamp.2.json` decoder reads those as bytes.
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Self {
        Value::from_json_with(json, &Value::Str)
    }
}

impl Value {
    /// A JSON value read with `string` deciding what each string becomes
    /// (text, or bytes for `wamp.2.json`'s NUL-prefixed base64).
    pub(crate) fn from_json_with(
        json: serde_json::Value,
        string: &impl Fn(String) -> Value,
    ) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(u)) => Value::UInt(u),
                _ => n.as_f64().map_or(Value::Null, Value::Float),
            },
            serde_json::Value::String(text) => string(text),
            serde_json::Value::Array(items) => Value::List(
                items.into_iter().map(|item| Value::from_json_with(item, string)).collect(),
            ),
            serde_json::Value::Object(map) => Value::Dict(
                map.into_iter().map(|(k, v)| (k, Value::from_json_with(v, string))).collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Self::Str(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Self::Str(text)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Self::from_u64(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<Dict> for Value {
    fn from(dict: Dict) -> Self {
        Self::Dict(dict)
    }
}

impl From<Vec<Value>> for Value {
    fn from(list: Vec<Value>) -> Self {
        Self::List(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_have_one_form() {
        assert_eq!(Value::from_u64(5), Value::Int(5));
        assert_eq!(Value::from_u64(u64::MAX), Value::UInt(u64::MAX));
        assert_eq!(Value::Int(-1).as_u64(), None);
        assert_eq!(Value::UInt(u64::MAX).as_u64(), Some(u64::MAX));
    }
}
