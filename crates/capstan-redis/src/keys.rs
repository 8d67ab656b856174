//! Where a topic lives in Redis. Every key and the channel of a topic
//! share the Redis Cluster hash tag `{<topic>}`, so the scripts that touch
//! them touch one slot:
//!
//! ```text
//! <prefix>:{<topic>}:stream          the history (a Redis Stream, entry id <offset>-0)
//! <prefix>:{<topic>}:meta            hash: epoch, offset (the last one given)
//! <prefix>:{<topic>}:idem:<key>      an idempotency key: "<offset> <epoch>"
//! <prefix>:{<topic>}:presence        sorted set: member → expiry (ms, Redis clock)
//! <prefix>:{<topic>}:presence:info   hash: member → info
//! <prefix>:{<topic>}:ch              the pub/sub channel
//! ```
//!
//! A topic name may hold any character: `{`, `}` and `%` are escaped as
//! `%7B`, `%7D` and `%25` (so a name cannot close its hash tag early or
//! forge another topic's), and the empty name is written `%` (an empty
//! hash tag would not be one: Redis would hash the whole key).

/// The names of a topic's keys and channel, under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// The keys under `prefix` (checked by
    /// [`RedisConfig::validate`](crate::RedisConfig::validate): no braces).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    /// `<prefix>:{<topic>}`, the start of every key of `topic`.
    pub fn base(&self, topic: &str) -> String {
        format!("{}:{{{}}}", self.prefix, escape(topic))
    }

    /// The topic's history, a Redis Stream.
    pub fn stream(&self, topic: &str) -> String {
        format!("{}:stream", self.base(topic))
    }

    /// The topic's epoch and last offset, a hash.
    pub fn meta(&self, topic: &str) -> String {
        format!("{}:meta", self.base(topic))
    }

    /// The idempotency key `key` of the topic.
    pub fn idempotency(&self, topic: &str, key: &str) -> String {
        format!("{}:idem:{key}", self.base(topic))
    }

    /// The topic's members by expiry, a sorted set.
    pub fn presence(&self, topic: &str) -> String {
        format!("{}:presence", self.base(topic))
    }

    /// The topic's members' information, a hash.
    pub fn presence_info(&self, topic: &str) -> String {
        format!("{}:presence:info", self.base(topic))
    }

    /// The topic's pub/sub channel.
    pub fn channel(&self, topic: &str) -> String {
        format!("{}:ch", self.base(topic))
    }
}

/// `topic` with `%`, `{` and `}` escaped; the empty name as `%`.
fn escape(topic: &str) -> std::borrow::Cow<'_, str> {
    if topic.is_empty() {
        return "%".into();
    }
    if !topic.contains(['%', '{', '}']) {
        return topic.into();
    }
    let mut escaped = String::with_capacity(topic.len() + 8);
    for c in topic.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '{' => escaped.push_str("%7B"),
            '}' => escaped.push_str("%7D"),
            c => escaped.push(c),
        }
    }
    escaped.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot-deciding part of a key, as Redis Cluster finds it.
    fn hash_tag(key: &str) -> &str {
        let open = key.find('{').unwrap();
        let close = open + key[open..].find('}').unwrap();
        &key[open + 1..close]
    }

    #[test]
    fn every_key_of_a_topic_shares_its_hash_tag() {
        let keys = Keys::new("capstan");
        assert_eq!(keys.stream("room"), "capstan:{room}:stream");
        assert_eq!(keys.meta("room"), "capstan:{room}:meta");
        assert_eq!(keys.idempotency("room", "k"), "capstan:{room}:idem:k");
        assert_eq!(keys.presence("room"), "capstan:{room}:presence");
        assert_eq!(keys.presence_info("room"), "capstan:{room}:presence:info");
        assert_eq!(keys.channel("room"), "capstan:{room}:ch");
    }

    #[test]
    fn braces_cannot_forge_a_hash_tag() {
        let keys = Keys::new("p");
        // Unescaped, "a}x" would give the tag "a", shared with topic "a".
        for topic in ["a}x", "{a}", "}", "%7D", "a%"] {
            let stream = keys.stream(topic);
            assert_ne!(hash_tag(&stream), "a", "{topic} -> {stream}");
            assert_eq!(hash_tag(&stream), hash_tag(&keys.channel(topic)));
        }
        assert_ne!(keys.stream("}"), keys.stream("%7D"), "escaping is one-to-one");
        assert_eq!(hash_tag(&keys.meta("")), "%", "the empty name has a tag too");
    }
}
