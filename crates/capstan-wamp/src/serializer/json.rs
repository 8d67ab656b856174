//! `wamp.2.json`: values as JSON; byte strings as a string of `\0` followed
//! by their base64 (standard alphabet, padded), as the spec says.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;

use super::SerializeError;
use crate::message::DecodeError;
use crate::value::Value;

/// Reads JSON text as a value.
pub(super) fn from_str(text: &str) -> Result<Value, DecodeError> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    Ok(from_json(json))
}

/// Writes a value as JSON text.
pub(super) fn to_string(value: &Value) -> Result<String, SerializeError> {
    Ok(to_json(value)?.to_string())
}

fn from_json(json: serde_json::Value) -> Value {
    Value::from_json_with(json, &|text: String| match text.strip_prefix('\0') {
        // Text that starts with NUL and is not base64 stays text.
        Some(encoded) => match STANDARD.decode(encoded) {
            Ok(bytes) => Value::Bytes(Bytes::from(bytes)),
            Err(_) => Value::Str(text),
        },
        None => Value::Str(text),
    })
}

fn to_json(value: &Value) -> Result<serde_json::Value, SerializeError> {
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::UInt(n) => serde_json::Value::from(*n),
        Value::Float(x) => serde_json::Number::from_f64(*x)
            .map(serde_json::Value::Number)
            .ok_or(SerializeError::NonFiniteFloat)?,
        Value::Str(text) => serde_json::Value::String(text.clone()),
        Value::Bytes(bytes) => serde_json::Value::String(format!("\0{}", STANDARD.encode(bytes))),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Dict(dict) => serde_json::Value::Object(
            dict.iter().map(|(k, v)| Ok((k.clone(), to_json(v)?))).collect::<Result<_, _>>()?,
        ),
    })
}
