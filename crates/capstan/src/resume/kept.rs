//! The messages a session keeps, oldest first, stored so that keeping one
//! costs as little as sending it: a message with bytes of its own (or a
//! large one) is kept as it is, its bytes shared; a small one that is a
//! slice of a buffer shared with others — a connection's read buffer, for
//! an echo — is copied into one ring of bytes, so that it pins no buffer
//! (the connection reuses its own for the next read) and costs neither an
//! allocation nor a reference count of its own. The ring is let go once
//! nothing is kept. Reading the messages back (a resume) copies the small
//! ones out.

use std::collections::VecDeque;
use std::collections::vec_deque;

use bytes::Bytes;

use crate::ws::{Message, Utf8Bytes};

/// Payloads up to this size that share a buffer with others are copied.
pub const COPY_TO_KEEP_BYTES: usize = 2048;

/// One message kept.
#[derive(Debug)]
enum Stored {
    /// Its bytes, shared.
    Shared(Message),
    /// Copied: the next `len` bytes of the ring.
    Copied { len: u32, text: bool },
}

/// Messages kept, oldest first.
#[derive(Debug, Default)]
pub struct Kept {
    messages: VecDeque<Stored>,
    /// The copied payloads, in the messages' order.
    ring: VecDeque<u8>,
}

impl Kept {
    /// Keeps `message` (as it is, or a copy) after the others.
    pub fn push(&mut self, message: &Message) {
        let (bytes, text) = match message {
            Message::Text(text) => (text.as_bytes(), true),
            Message::Binary(data) => (data, false),
        };
        let stored = if bytes.len() <= COPY_TO_KEEP_BYTES && !bytes.is_unique() {
            self.ring.extend(bytes.iter());
            // At most COPY_TO_KEEP_BYTES: fits.
            Stored::Copied { len: bytes.len() as u32, text }
        } else {
            Stored::Shared(message.clone())
        };
        self.messages.push_back(stored);
    }

    /// Forgets the oldest message; its payload's length, if there was one.
    pub fn pop(&mut self) -> Option<usize> {
        let len = match self.messages.pop_front()? {
            Stored::Shared(message) => message.len(),
            Stored::Copied { len, .. } => {
                let len = len as usize;
                self.ring.drain(..len);
                len
            }
        };
        if self.messages.is_empty() {
            self.ring = VecDeque::new();
        }
        Some(len)
    }

    /// Messages kept.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The messages, oldest first (the copied ones copied out).
    pub fn iter(&self) -> KeptIter<'_> {
        KeptIter { messages: self.messages.iter(), ring: &self.ring, offset: 0 }
    }

    /// The ring's capacity: whether it holds storage (for tests).
    #[cfg(test)]
    pub(crate) fn ring_capacity(&self) -> usize {
        self.ring.capacity()
    }
}

/// The messages kept, oldest first.
#[derive(Debug)]
pub struct KeptIter<'a> {
    messages: vec_deque::Iter<'a, Stored>,
    ring: &'a VecDeque<u8>,
    offset: usize,
}

impl Iterator for KeptIter<'_> {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        match self.messages.next()? {
            Stored::Shared(message) => Some(message.clone()),
            Stored::Copied { len, text } => {
                let end = self.offset + *len as usize;
                let bytes: Bytes = self.ring.range(self.offset..end).copied().collect();
                self.offset = end;
                Some(match text {
                    // Copied from a text message: UTF-8 still.
                    true => Message::Text(Utf8Bytes::from_validated(bytes)),
                    false => Message::Binary(bytes),
                })
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.messages.size_hint()
    }
}

impl ExactSizeIterator for KeptIter<'_> {}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;

    /// Small slices of a shared buffer are copied into the ring (the
    /// buffer is no longer pinned by them); a message with bytes of its
    /// own, or a large one, is kept as it is; all come back in order, of
    /// their type; the ring is let go once nothing is kept.
    #[test]
    fn small_shared_slices_are_copied_into_the_ring_the_rest_is_shared() {
        let mut kept = Kept::default();
        let mut buffer = BytesMut::from(&[b'x'; 8192][..]);
        let first = buffer.split_to(512).freeze();
        kept.push(&Message::Binary(first.clone()));
        let text = buffer.split_to(5).freeze();
        kept.push(&Message::Text(Utf8Bytes::from_validated(text)));
        let own = Bytes::from(vec![1u8; 512]);
        let own_ptr = own.as_ptr();
        kept.push(&Message::Binary(own));
        let large = buffer.split_to(COPY_TO_KEEP_BYTES + 1).freeze();
        kept.push(&Message::Binary(large.clone()));
        assert_eq!(kept.ring.len(), 517, "the two small shared ones are copied");

        let back: Vec<Message> = kept.iter().collect();
        assert_eq!(back.len(), 4);
        assert_eq!(back[0], Message::Binary(first));
        assert_eq!(back[1].as_text(), Some("xxxxx"), "text stays text");
        assert_eq!(back[2].as_bytes().as_ptr(), own_ptr, "its own bytes: shared");
        assert_eq!(back[3].as_bytes().as_ptr(), large.as_ptr(), "large: shared");

        assert_eq!(kept.pop(), Some(512));
        let back: Vec<Message> = kept.iter().collect();
        assert_eq!(back[0].as_text(), Some("xxxxx"), "the ring's front moved on");
        assert_eq!((kept.pop(), kept.pop(), kept.pop()), (Some(5), Some(512), Some(2049)));
        assert_eq!((kept.pop(), kept.len(), kept.ring_capacity()), (None, 0, 0), "let go");
    }
}
