//! `wamp.2.cbor`: values as CBOR (through `ciborium`'s value type).

use bytes::Bytes;
use ciborium::Value as Cbor;

use crate::message::DecodeError;
use crate::value::{Dict, Value};

/// Reads one CBOR value, which must fill `bytes`.
pub(super) fn from_slice(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut reader = bytes;
    let cbor: Cbor = ciborium::from_reader(&mut reader)
        .map_err(|e| DecodeError::Malformed(format!("cbor: {e}")))?;
    if !reader.is_empty() {
        return Err(DecodeError::Malformed("cbor: bytes after the message".into()));
    }
    from_cbor(cbor)
}

/// Writes a value as CBOR.
pub(super) fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(&to_cbor(value), &mut out).expect("writing to a Vec cannot fail");
    out
}

fn from_cbor(cbor: Cbor) -> Result<Value, DecodeError> {
    let malformed = |why: &str| DecodeError::Malformed(format!("cbor: {why}"));
    Ok(match cbor {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(n) => {
            let n = i128::from(n);
            match (i64::try_from(n), u64::try_from(n)) {
                (Ok(i), _) => Value::Int(i),
                (Err(_), Ok(u)) => Value::UInt(u),
                _ => return Err(malformed("an integer out of range")),
            }
        }
        Cbor::Float(x) => Value::Float(x),
        Cbor::Text(text) => Value::Str(text),
        Cbor::Bytes(bytes) => Value::Bytes(Bytes::from(bytes)),
        Cbor::Array(items) => {
            Value::List(items.into_iter().map(from_cbor).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut dict = Dict::new();
            for (key, value) in entries {
                let Cbor::Text(key) = key else {
                    return Err(malformed("a map key that is not text"));
                };
                dict.insert(key, from_cbor(value)?);
            }
            Value::Dict(dict)
        }
        // A tag only says how to read what it wraps: the value is kept.
        Cbor::Tag(_, inner) => from_cbor(*inner)?,
        _ => return Err(malformed("a value WAMP has no use for")),
    })
}

fn to_cbor(value: &Value) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Int(n) => Cbor::Integer((*n).into()),
        Value::UInt(n) => Cbor::Integer((*n).into()),
        Value::Float(x) => Cbor::Float(*x),
        Value::Str(text) => Cbor::Text(text.clone()),
        Value::Bytes(bytes) => Cbor::Bytes(bytes.to_vec()),
        Value::List(items) => Cbor::Array(items.iter().map(to_cbor).collect()),
        Value::Dict(dict) => {
            Cbor::Map(dict.iter().map(|(k, v)| (Cbor::Text(k.clone()), to_cbor(v))).collect())
        }
    }
}
