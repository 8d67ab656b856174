//! The broker seam, WAMP side: each realm's publications travel as one
//! capstan topic, `wamp:<realm>`, carrying [`Publication`] records in
//! MessagePack. Every node (this one too) listens to the topics of its
//! realms and routes what arrives to its own subscribers; with a broker
//! across the network, publications cross nodes.

use capstan::PreparedMessage;

use crate::router::Publication;
use crate::serializer::Serializer;

/// The capstan topic that carries `realm`'s publications.
pub(super) fn channel(realm: &str) -> String {
    format!("wamp:{realm}")
}

/// A publication as the seam carries it.
pub(super) fn encode(publication: &Publication) -> PreparedMessage {
    let frame = Serializer::MsgPack
        .encode_value(&publication.to_value())
        .expect("MessagePack writes every value");
    PreparedMessage::new(frame)
}

/// A publication from the seam; `None` for anything else on the channel.
pub(super) fn decode(frame: &PreparedMessage) -> Option<Publication> {
    let value = Serializer::MsgPack.decode_value(&frame.message()).ok()?;
    Publication::from_value(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Id;
    use crate::message::Payload;
    use crate::value::{Dict, Value};

    #[test]
    fn a_publication_crosses_the_seam_intact_and_noise_is_ignored() {
        let publication = Publication {
            realm: "realm1".into(),
            id: Id::new(77).unwrap(),
            topic: "com.t".into(),
            publisher: None,
            options: Dict::new(),
            details: Dict::new(),
            payload: Payload::args(vec![Value::Float(1.5)]),
            acknowledge: None,
        };
        assert_eq!(decode(&encode(&publication)), Some(publication));
        assert_eq!(decode(&PreparedMessage::new("not msgpack")), None);
        assert_eq!(channel("realm1"), "wamp:realm1");
    }
}
