//! WAMP v1's one serialization: JSON text, read into [`Value`]s and written
//! back. Unlike `wamp.2.json`, a string that starts with NUL stays a string
//! when read (v1 has no byte strings). Writing never fails, so that an
//! event or a call result always reaches the client in some form: bytes
//! (from a v2 peer) are written as `wamp.2.json` writes them (NUL, then
//! base64), and NaN or an infinity as `null`, as JavaScript's
//! `JSON.stringify` does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::value::Value;

/// Reads JSON text as a value; the parser's complaint when it is not JSON.
pub fn parse(text: &str) -> Result<Value, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(Value::from(json))
}

/// Writes a value as JSON text.
pub fn to_text(value: &Value) -> String {
    to_json(value).to_string()
}

/// `value` as serde_json's value, for [`to_text`] and for the encoder,
/// which puts messages together from borrowed parts.
pub(super) fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::UInt(n) => serde_json::Value::from(*n),
        Value::Float(x) => {
            serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Str(text) => serde_json::Value::String(text.clone()),
        Value::Bytes(bytes) => serde_json::Value::String(format!("\0{}", STANDARD.encode(bytes))),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Dict(dict) => {
            serde_json::Value::Object(dict.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let text = r#"[1,-2,18446744073709551615,1.5,"\u0000AQ==",null,true,{"a":[]}]"#;
        let value = parse(text).unwrap();
        let Value::List(items) = &value else { panic!("a list: {value:?}") };
        assert_eq!(items[2], Value::UInt(u64::MAX));
        assert_eq!(items[4], Value::Str("\0AQ==".into()), "v1 has no byte strings");
        assert_eq!(to_text(&value), text);
    }

    #[test]
    fn what_json_cannot_carry_is_written_all_the_same() {
        let value = Value::List(vec![Value::Float(f64::NAN), Value::Bytes(vec![1u8].into())]);
        assert_eq!(to_text(&value), r#"[null,"\u0000AQ=="]"#);
    }

    #[test]
    fn not_json_is_named() {
        assert!(parse("[1,").unwrap_err().contains("EOF"));
    }
}
