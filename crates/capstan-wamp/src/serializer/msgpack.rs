//! `wamp.2.msgpack`: values as MessagePack (through `rmpv`'s value type).

use bytes::Bytes;
use rmpv::Value as Pack;

use crate::message::DecodeError;
use crate::value::{Dict, Value};

/// Reads one MessagePack value, which must fill `bytes`.
pub(super) fn from_slice(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut reader = bytes;
    let pack = rmpv::decode::read_value(&mut reader)
        .map_err(|e| DecodeError::Malformed(format!("msgpack: {e}")))?;
    if !reader.is_empty() {
        return Err(DecodeError::Malformed("msgpack: bytes after the message".into()));
    }
    from_pack(pack)
}

/// Writes a value as MessagePack.
pub(super) fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &to_pack(value)).expect("writing to a Vec cannot fail");
    out
}

fn from_pack(pack: Pack) -> Result<Value, DecodeError> {
    let malformed = |why: &str| DecodeError::Malformed(format!("msgpack: {why}"));
    Ok(match pack {
        Pack::Nil => Value::Null,
        Pack::Boolean(b) => Value::Bool(b),
        Pack::Integer(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => return Err(malformed("an integer out of range")),
        },
        Pack::F32(x) => Value::Float(f64::from(x)),
        Pack::F64(x) => Value::Float(x),
        Pack::String(text) => match text.into_str() {
            Some(text) => Value::Str(text),
            None => return Err(malformed("a string that is not UTF-8")),
        },
        Pack::Binary(bytes) => Value::Bytes(Bytes::from(bytes)),
        Pack::Array(items) => {
            Value::List(items.into_iter().map(from_pack).collect::<Result<_, _>>()?)
        }
        Pack::Map(entries) => {
            let mut dict = Dict::new();
            for (key, value) in entries {
                let Pack::String(key) = key else {
                    return Err(malformed("a map key that is not a string"));
                };
                let Some(key) = key.into_str() else {
                    return Err(malformed("a key that is not UTF-8"));
                };
                dict.insert(key, from_pack(value)?);
            }
            Value::Dict(dict)
        }
        Pack::Ext(..) => return Err(malformed("extension types are not WAMP values")),
    })
}

fn to_pack(value: &Value) -> Pack {
    match value {
        Value::Null => Pack::Nil,
        Value::Bool(b) => Pack::Boolean(*b),
        Value::Int(n) => Pack::from(*n),
        Value::UInt(n) => Pack::from(*n),
        Value::Float(x) => Pack::F64(*x),
        Value::Str(text) => Pack::from(text.as_str()),
        Value::Bytes(bytes) => Pack::Binary(bytes.to_vec()),
        Value::List(items) => Pack::Array(items.iter().map(to_pack).collect()),
        Value::Dict(dict) => {
            Pack::Map(dict.iter().map(|(k, v)| (Pack::from(k.as_str()), to_pack(v))).collect())
        }
    }
}
