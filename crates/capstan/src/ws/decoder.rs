//! The sans-IO frame decoder: bytes in, events out, every RFC 6455 rule
//! checked as early as the bytes allow.

use bytes::{Buf, Bytes, BytesMut};

use super::close::CloseFrame;
use super::deflate::{InflateError, Inflater};
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

/// A message being assembled: its bytes as received, or inflated.
#[derive(Debug)]
enum Assembly {
    Plain(BytesMut),
    Inflated(Vec<u8>),
}

#[derive(Debug)]
struct Fragmented {
    text: bool,
    data: Assembly,
}

impl Fragmented {
    fn is_compressed(&self) -> bool {
        matches!(self.data, Assembly::Inflated(_))
    }
}

/// permessage-deflate on the receiving side.
#[derive(Debug)]
struct Inflating {
    /// The peer resets its compressor after each message: so can we, and
    /// a decompressor is only held while a message is being received.
    no_context_takeover: bool,
    /// Boxed: a decoder without a message in progress stays small.
    inflater: Option<Box<Inflater>>,
}

/// Decodes frames from a byte buffer the caller fills.
#[derive(Debug)]
pub struct Decoder {
    role: Role,
    limits: Limits,
    state: State,
    /// Boxed: most connections are between messages most of the time.
    fragmented: Option<Box<Fragmented>>,
    utf8: Utf8Validator,
    closed: bool,
    deflate: Option<Inflating>,
    /// The first error: the stream cannot be trusted after it.
    failed: Option<Box<ProtocolError>>,
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
            deflate: None,
            failed: None,
        }
    }

    /// Accepts compressed messages (RSV1, permessage-deflate). With
    /// `peer_no_context_takeover`, the peer resets its compressor after
    /// each message, so no decompressor is kept between messages.
    pub fn with_deflate(mut self, peer_no_context_takeover: bool) -> Self {
        self.deflate =
            Some(Inflating { no_context_takeover: peer_no_context_takeover, inflater: None });
        self
    }

    /// Whether a decompressor is held (context kept between messages).
    pub fn holds_inflater(&self) -> bool {
        self.deflate.as_ref().is_some_and(|d| d.inflater.is_some())
    }

    /// Decodes the next event from the front of `buf`, consuming what it
    /// used. `Ok(None)`: more bytes are needed. Payload bytes that arrived
    /// are unmasked and (for text) validated at once, so invalid UTF-8 fails
    /// before the rest of its frame arrives.
    /// After an error the decoder is done: every later call returns it again.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        if let Some(error) = &self.failed {
            return Err(ProtocolError::clone(error));
        }
        let result = self.decode_next(buf);
        if let Err(error) = &result {
            self.failed = Some(Box::new(error.clone()));
        }
        result
    }

    fn decode_next(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
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
        // RSV1 marks a compressed message: only with permessage-deflate, and
        // only on a message's first frame (RFC 7692 §6.1).
        let compressible = matches!(header.opcode, OpCode::Text | OpCode::Binary);
        if header.rsv23 || (header.rsv1 && (self.deflate.is_none() || !compressible)) {
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
        let compressed = header.rsv1 || self.fragmented.as_ref().is_some_and(|f| f.is_compressed());
        if compressed {
            // Checked on the inflated size, while inflating.
            return Ok(());
        }
        let so_far = match self.fragmented.as_ref().map(|f| &f.data) {
            Some(Assembly::Plain(data)) => data.len(),
            _ => 0,
        } as u64;
        let size = so_far + header.payload_len;
        if size > self.limits.max_message_size as u64 {
            return Err(ProtocolError::MessageTooLarge { size, max: self.limits.max_message_size });
        }
        Ok(())
    }

    /// Whether this frame's raw payload is text to validate as it arrives
    /// (compressed text is validated once inflated).
    fn is_text_payload(&self, header: &FrameHeader) -> bool {
        match header.opcode {
            OpCode::Text => !header.rsv1,
            OpCode::Continuation => {
                self.fragmented.as_ref().is_some_and(|f| f.text && !f.is_compressed())
            }
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
                let data = if header.rsv1 {
                    let mut out = Vec::new();
                    self.inflate(&payload, &mut out, text)?;
                    Assembly::Inflated(out)
                } else {
                    Assembly::Plain(payload)
                };
                if header.fin {
                    return self.finish_message(text, data).map(Some);
                }
                self.fragmented = Some(Box::new(Fragmented { text, data }));
                Ok(None)
            }
            OpCode::Continuation => {
                let mut fragmented = self.fragmented.take().expect("checked in check_header");
                match &mut fragmented.data {
                    Assembly::Plain(data) => data.extend_from_slice(&payload),
                    Assembly::Inflated(out) => self.inflate(&payload, out, fragmented.text)?,
                }
                if !header.fin {
                    self.fragmented = Some(fragmented);
                    return Ok(None);
                }
                let Fragmented { text, data } = *fragmented;
                self.finish_message(text, data).map(Some)
            }
        }
    }

    /// Inflates a compressed frame's payload onto `out`, within the message
    /// size limit; text is validated as it comes out.
    fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        text: bool,
    ) -> Result<(), ProtocolError> {
        let max = self.limits.max_message_size;
        let state = self.deflate.as_mut().expect("RSV1 only passes check_header with deflate");
        let no_context = state.no_context_takeover;
        let inflater = state.inflater.get_or_insert_with(|| {
            Box::new(if no_context { Inflater::lend() } else { Inflater::new() })
        });
        let start = out.len();
        inflater.inflate(input, out, max).map_err(|e| inflate_error(e, out.len()))?;
        if text {
            self.utf8.feed(&out[start..])?;
        }
        Ok(())
    }

    /// Ends a compressed message: the trailer, then the decompressor is
    /// reset (or given back) when the peer does not keep its context.
    fn finish_inflate(&mut self, out: &mut Vec<u8>, text: bool) -> Result<(), ProtocolError> {
        let max = self.limits.max_message_size;
        let state = self.deflate.as_mut().expect("compressed messages need deflate");
        let no_context = state.no_context_takeover;
        let start = out.len();
        let inflater = state.inflater.as_mut().expect("a compressed frame created it");
        inflater.finish_message(out, max, no_context).map_err(|e| inflate_error(e, out.len()))?;
        if no_context && let Some(inflater) = state.inflater.take() {
            (*inflater).give_back();
        }
        if text {
            self.utf8.feed(&out[start..])?;
        }
        Ok(())
    }

    fn finish_message(&mut self, text: bool, data: Assembly) -> Result<Event, ProtocolError> {
        let data = match data {
            Assembly::Plain(data) => data.freeze(),
            Assembly::Inflated(mut out) => {
                self.finish_inflate(&mut out, text)?;
                Bytes::from(out)
            }
        };
        if !text {
            return Ok(Event::Message(Message::Binary(data)));
        }
        self.utf8.finish()?;
        Ok(Event::Message(Message::Text(Utf8Bytes::from_validated(data))))
    }
}

fn inflate_error(error: InflateError, size: usize) -> ProtocolError {
    match error {
        InflateError::TooLarge { max } => ProtocolError::MessageTooLarge { size: size as u64, max },
        InflateError::Corrupt => ProtocolError::InvalidCompressedData,
    }
}

#[cfg(test)]
mod tests;
