//! The sans-IO frame decoder: bytes in, events out, every RFC 6455 rule
//! checked as early as the bytes allow.

use bytes::{Buf, Bytes, BytesMut};

use super::close::CloseFrame;
use super::error::ProtocolError;
use super::frame::FrameHeader;
use super::mask::apply_mask;
use super::message::{Message, Utf8Bytes};
use super::opcode::OpCode;
use super::utf8::Utf8Validator;

/// Which end of the connection decodes: a server expects masked frames,
/// a client unmasked ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Decodes what clients send.
    Server,
    /// Decodes what servers send.
    Client,
}

/// Size limits the decoder enforces (§10.4), answered with 1009.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest frame payload accepted.
    pub max_frame_size: usize,
    /// The largest message (all its fragments together) accepted.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_frame_size: 16 << 20, max_message_size: 16 << 20 }
    }
}

/// What a run of bytes decoded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete data message.
    Message(Message),
    /// A ping, with its payload (to be echoed in a pong).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame: `None` when it carried no code.
    Close(Option<CloseFrame>),
}

#[derive(Debug, Clone, Copy)]
enum State {
    Header,
    Payload { header: FrameHeader, processed: usize },
}

#[derive(Debug)]
struct Fragmented {
    text: bool,
    data: BytesMut,
}

/// Decodes frames from a byte buffer the caller fills.
#[derive(Debug)]
pub struct Decoder {
    role: Role,
    limits: Limits,
    state: State,
    fragmented: Option<Fragmented>,
    utf8: Utf8Validator,
    closed: bool,
}

impl Decoder {
    /// A decoder for one end of one connection.
    pub fn new(role: Role, limits: Limits) -> Self {
        Self {
            role,
            limits,
            state: State::Header,
            fragmented: None,
            utf8: Utf8Validator::default(),
            closed: false,
        }
    }

    /// Decodes the next event from the front of `buf`, consuming what it
    /// used. `Ok(None)`: more bytes are needed. Payload bytes that arrived
    /// are unmasked and (for text) validated at once, so invalid UTF-8 fails
    /// before the rest of its frame arrives.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        loop {
            match self.state {
                State::Header => {
                    let Some((header, len)) = FrameHeader::parse(buf)? else {
                        return Ok(None);
                    };
                    self.check_header(&header)?;
                    buf.advance(len);
                    self.state = State::Payload { header, processed: 0 };
                }
                State::Payload { header, processed } => {
                    let len = header.payload_len as usize;
                    let available = buf.len().min(len);
                    if available > processed {
                        let fresh = &mut buf[processed..available];
                        if let Some(key) = header.mask {
                            apply_mask(fresh, key, processed);
                        }
                        if self.is_text_payload(&header) {
                            self.utf8.feed(fresh)?;
                        }
                    }
                    if available < len {
                        self.state = State::Payload { header, processed: available };
                        return Ok(None);
                    }
                    self.state = State::Header;
                    let payload = buf.split_to(len);
                    if let Some(event) = self.complete_frame(header, payload)? {
                        return Ok(Some(event));
                    }
                }
            }
        }
    }

    /// How many more bytes the frame being read needs (0 between frames):
    /// lets the I/O layer size its next read.
    pub fn bytes_wanted(&self, buffered: usize) -> usize {
        match self.state {
            State::Header => 0,
            State::Payload { header, .. } => (header.payload_len as usize).saturating_sub(buffered),
        }
    }

    /// Whether a fragmented message is being assembled.
    pub fn in_message(&self) -> bool {
        self.fragmented.is_some()
    }

    fn check_header(&self, header: &FrameHeader) -> Result<(), ProtocolError> {
        if self.closed {
            return Err(ProtocolError::FrameAfterClose);
        }
        if header.rsv1 || header.rsv23 {
            return Err(ProtocolError::ReservedBitsSet);
        }
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedClientFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedServerFrame),
            _ => {}
        }
        if header.opcode.is_control() {
            if !header.fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if header.payload_len > 125 {
                return Err(ProtocolError::ControlFrameTooLong);
            }
            return Ok(());
        }
        match (header.opcode, &self.fragmented) {
            (OpCode::Continuation, None) => return Err(ProtocolError::ContinuationWithoutStart),
            (OpCode::Text | OpCode::Binary, Some(_)) => {
                return Err(ProtocolError::DataFrameInsideFragmentedMessage);
            }
            _ => {}
        }
        if header.payload_len > self.limits.max_frame_size as u64 {
            return Err(ProtocolError::FrameTooLarge {
                size: header.payload_len,
                max: self.limits.max_frame_size,
            });
        }
        let so_far = self.fragmented.as_ref().map_or(0, |f| f.data.len()) as u64;
        let size = so_far + header.payload_len;
        if size > self.limits.max_message_size as u64 {
            return Err(ProtocolError::MessageTooLarge { size, max: self.limits.max_message_size });
        }
        Ok(())
    }

    fn is_text_payload(&self, header: &FrameHeader) -> bool {
        match header.opcode {
            OpCode::Text => true,
            OpCode::Continuation => self.fragmented.as_ref().is_some_and(|f| f.text),
            _ => false,
        }
    }

    fn complete_frame(
        &mut self,
        header: FrameHeader,
        payload: BytesMut,
    ) -> Result<Option<Event>, ProtocolError> {
        match header.opcode {
            OpCode::Ping => Ok(Some(Event::Ping(payload.freeze()))),
            OpCode::Pong => Ok(Some(Event::Pong(payload.freeze()))),
            OpCode::Close => {
                self.closed = true;
                Ok(Some(Event::Close(CloseFrame::parse(&payload)?)))
            }
            OpCode::Text | OpCode::Binary => {
                let text = header.opcode == OpCode::Text;
                if header.fin {
                    return self.finish_message(text, payload).map(Some);
                }
                self.fragmented = Some(Fragmented { text, data: payload });
                Ok(None)
            }
            OpCode::Continuation => {
                let fragmented = self.fragmented.as_mut().expect("checked in check_header");
                fragmented.data.extend_from_slice(&payload);
                if !header.fin {
                    return Ok(None);
                }
                let Fragmented { text, data } = self.fragmented.take().expect("present");
                self.finish_message(text, data).map(Some)
            }
        }
    }

    fn finish_message(&mut self, text: bool, data: BytesMut) -> Result<Event, ProtocolError> {
        let data = data.freeze();
        if !text {
            return Ok(Event::Message(Message::Binary(data)));
        }
        self.utf8.finish()?;
        Ok(Event::Message(Message::Text(Utf8Bytes::from_validated(data))))
    }
}

#[cfg(test)]
mod tests;
