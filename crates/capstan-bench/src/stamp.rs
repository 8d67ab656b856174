//! The payload every load generator message carries: a text message that
//! starts with `pub:`, then the sender's [`clock`](crate::clock) reading
//! as 20 decimal digits (nanoseconds since the Unix epoch; all zeros for
//! a probe), then `:`, then `x` up to the message's size. For example
//! `pub:01718000000123456789:xxxxxxxx`. Fixed width, so a frame can be
//! built once and only its digits rewritten for each send.

/// What a stamped payload starts with (the broadcast server's "publish").
pub const TAG: &[u8] = b"pub:";
/// Decimal digits of the timestamp.
const DIGITS: usize = 20;
/// Bytes before the padding: tag, digits, colon.
pub const MIN_SIZE: usize = TAG.len() + DIGITS + 1;

/// A payload of `size` bytes (at least [`MIN_SIZE`]) stamped `ts`.
pub fn payload(size: usize, ts: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(size.max(MIN_SIZE));
    out.extend_from_slice(TAG);
    out.extend_from_slice(&digits(ts));
    out.push(b':');
    out.resize(size.max(MIN_SIZE), b'x');
    out
}

/// The timestamp at the front of `payload` (at least [`MIN_SIZE`] bytes
/// of it), or `None` if it is not a stamped payload.
pub fn decode(payload: &[u8]) -> Option<u64> {
    let rest = payload.strip_prefix(TAG)?;
    if rest.get(DIGITS) != Some(&b':') {
        return None;
    }
    rest[..DIGITS].iter().try_fold(0u64, |n, &d| {
        if d.is_ascii_digit() { n.checked_mul(10)?.checked_add(u64::from(d - b'0')) } else { None }
    })
}

fn digits(mut ts: u64) -> [u8; DIGITS] {
    let mut out = [b'0'; DIGITS];
    for d in out.iter_mut().rev() {
        *d = b'0' + (ts % 10) as u8;
        ts /= 10;
    }
    out
}

/// A client's (masked) text frame carrying a stamped payload, encoded once;
/// each [`stamp`](Self::stamp) rewrites only the masked digits.
#[derive(Debug, Clone)]
pub struct StampedFrame {
    bytes: Vec<u8>,
    digits_at: usize,
    /// Where the digits start in the payload (the mask's phase).
    digits_in_payload: usize,
    mask: [u8; 4],
}

impl StampedFrame {
    /// A frame of a `size`-byte payload, masked with `mask`.
    pub fn new(size: usize, mask: [u8; 4]) -> Self {
        Self::with_prefix(b"", size, mask)
    }

    /// A frame of `prefix` then a `size`-byte stamped payload (session
    /// mode's `m` before the application's payload), masked with `mask`.
    pub fn with_prefix(prefix: &[u8], size: usize, mask: [u8; 4]) -> Self {
        let mut whole = prefix.to_vec();
        whole.extend_from_slice(&payload(size, 0));
        let bytes = capstan::ws::encode_client_frame(capstan::ws::OpCode::Text, true, &whole, mask);
        let digits_in_payload = prefix.len() + TAG.len();
        let digits_at = bytes.len() - whole.len() + digits_in_payload;
        Self { bytes, digits_at, digits_in_payload, mask }
    }

    /// The frame, stamped `ts`.
    pub fn stamp(&mut self, ts: u64) -> &[u8] {
        // Payload byte i is masked with mask[i % 4].
        for (i, d) in digits(ts).into_iter().enumerate() {
            self.bytes[self.digits_at + i] = d ^ self.mask[(self.digits_in_payload + i) % 4];
        }
        &self.bytes
    }

    /// Appends the frame, stamped `ts`, to `out`.
    pub fn append(&mut self, ts: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(self.stamp(ts));
    }

    /// Bytes of the whole frame.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never: a frame has a header.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use capstan::ws::mask::apply_mask;
    use capstan::ws::{FrameHeader, OpCode};

    use super::*;

    #[test]
    fn encodes_and_decodes() {
        let p = payload(40, 1_718_000_000_123_456_789);
        assert_eq!(&p[..], b"pub:01718000000123456789:xxxxxxxxxxxxxxx");
        assert_eq!(decode(&p), Some(1_718_000_000_123_456_789));
        assert_eq!(decode(&payload(0, 0)), Some(0), "too small a size still holds the stamp");
        assert_eq!(decode(&payload(MIN_SIZE, u64::MAX)), Some(u64::MAX));
        assert_eq!(decode(b"pub:0171800000012345678x:"), None);
        assert_eq!(decode(b"pub:01718000000123456789x"), None);
        assert_eq!(decode(b"pub:99999999999999999999:"), None, "past u64");
        assert_eq!(decode(b"hello"), None);
        assert_eq!(decode(b"pub:1:"), None);
    }

    #[test]
    fn a_stamped_frame_unmasks_to_the_stamped_payload() {
        for size in [MIN_SIZE, 100, 70_000] {
            let mut frame = StampedFrame::new(size, [0x12, 0x34, 0x56, 0x78]);
            for ts in [0, 42, 1_718_000_000_123_456_789] {
                let bytes = frame.stamp(ts).to_vec();
                let (header, used) = FrameHeader::parse(&bytes).unwrap().unwrap();
                assert_eq!(
                    (header.opcode, header.fin, header.payload_len),
                    (OpCode::Text, true, size as u64)
                );
                let mut payload = bytes[used..].to_vec();
                apply_mask(&mut payload, header.mask.unwrap(), 0);
                assert_eq!(payload, super::payload(size, ts));
            }
        }
    }

    #[test]
    fn a_prefixed_frame_unmasks_to_the_prefix_and_the_stamped_payload() {
        let mut frame = StampedFrame::with_prefix(b"m", 100, [0x12, 0x34, 0x56, 0x78]);
        let bytes = frame.stamp(1_718_000_000_123_456_789).to_vec();
        let (header, used) = FrameHeader::parse(&bytes).unwrap().unwrap();
        assert_eq!(header.payload_len, 101);
        let mut payload = bytes[used..].to_vec();
        apply_mask(&mut payload, header.mask.unwrap(), 0);
        assert_eq!(payload[0], b'm');
        assert_eq!(payload[1..], super::payload(100, 1_718_000_000_123_456_789));
    }
}
