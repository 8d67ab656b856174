//! A publication as it crosses the broker seam: everything every node
//! needs to route it to its own subscribers (the topic, the publisher's
//! exclusion and eligibility lists, the disclosed publisher, the payload),
//! written as one WAMP value that the msgpack serializer carries.

use super::publish::PublishOptions;
use crate::id::Id;
use crate::message::Payload;
use crate::value::{Dict, Value};

/// One PUBLISH, accepted by the router of the publisher's node.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// The realm it was published in.
    pub realm: String,
    /// Its ID (global scope: the same on every node).
    pub id: Id,
    /// The topic.
    pub topic: String,
    /// Who published it (none: the router itself).
    pub publisher: Option<Id>,
    /// Who receives it (exclusion and eligibility lists, as the publisher
    /// gave them).
    pub options: Dict,
    /// What every EVENT carries in its details (the disclosed publisher).
    pub details: Dict,
    /// What was published.
    pub payload: Payload,
    /// The publisher asked for PUBLISHED: its session and request.
    pub acknowledge: Option<(Id, Id)>,
}

/// A value that is no publication record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAPublication(pub &'static str);

impl std::fmt::Display for NotAPublication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a WAMP publication record: {}", self.0)
    }
}

impl Publication {
    /// Who receives it, read from its options (checked by the publisher's
    /// node already).
    pub fn filter(&self) -> PublishOptions {
        PublishOptions::read(&self.options).unwrap_or_default()
    }

    /// The record as one value: `[realm, id, topic, publisher or 0,
    /// options, details, args or null, kwargs or null]`. The
    /// acknowledgement stays on the publisher's node.
    pub fn to_value(&self) -> Value {
        let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
        Value::List(vec![
            Value::from(self.realm.as_str()),
            Value::from(self.id),
            Value::from(self.topic.as_str()),
            self.publisher.map_or(Value::Int(0), Value::from),
            Value::Dict(self.options.clone()),
            Value::Dict(self.details.clone()),
            or_null(self.payload.args.clone().map(Value::List)),
            or_null(self.payload.kwargs.clone().map(Value::Dict)),
        ])
    }

    /// Reads a record written by [`Publication::to_value`].
    pub fn from_value(value: Value) -> Result<Self, NotAPublication> {
        let Value::List(items) = value else { return Err(NotAPublication("not a list")) };
        let Ok::<[Value; 8], _>([realm, id, topic, publisher, options, details, args, kwargs]) =
            items.try_into()
        else {
            return Err(NotAPublication("not 8 fields"));
        };
        let text = |v: Value, what| match v {
            Value::Str(s) => Ok(s),
            _ => Err(NotAPublication(what)),
        };
        let dict = |v: Value, what| match v {
            Value::Dict(d) => Ok(d),
            _ => Err(NotAPublication(what)),
        };
        Ok(Self {
            realm: text(realm, "realm")?,
            id: id.as_u64().and_then(Id::new).ok_or(NotAPublication("id"))?,
            topic: text(topic, "topic")?,
            publisher: match publisher.as_u64() {
                Some(0) => None,
                Some(n) => Some(Id::new(n).ok_or(NotAPublication("publisher"))?),
                None => return Err(NotAPublication("publisher")),
            },
            options: dict(options, "options")?,
            details: dict(details, "details")?,
            payload: Payload {
                args: match args {
                    Value::Null => None,
                    Value::List(args) => Some(args),
                    _ => return Err(NotAPublication("args")),
                },
                kwargs: match kwargs {
                    Value::Null => None,
                    Value::Dict(kwargs) => Some(kwargs),
                    _ => return Err(NotAPublication("kwargs")),
                },
            },
            acknowledge: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written_but_for_the_acknowledgement() {
        let id = |n| Id::new(n).unwrap();
        let publication = Publication {
            realm: "realm1".into(),
            id: id(9_007_199_254_740_992),
            topic: "com.t".into(),
            publisher: Some(id(5)),
            options: Dict::from([("exclude".to_owned(), Value::List(vec![Value::Int(3)]))]),
            details: Dict::from([("publisher".to_owned(), Value::Int(5))]),
            payload: Payload { args: Some(vec![Value::from("hi")]), kwargs: None },
            acknowledge: Some((id(5), id(1))),
        };
        let read = Publication::from_value(publication.to_value()).unwrap();
        assert_eq!(read, Publication { acknowledge: None, ..publication.clone() });
        let from_router = Publication { publisher: None, ..publication };
        assert_eq!(Publication::from_value(from_router.to_value()).unwrap().publisher, None);
        assert!(Publication::from_value(Value::List(vec![])).is_err());
        assert!(Publication::from_value(Value::from("x")).is_err());
    }
}
