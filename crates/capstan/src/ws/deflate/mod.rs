//! permessage-deflate (RFC 7692): negotiation, compression and
//! decompression with zlib's raw deflate (flate2, zlib-rs backend).

mod compress;
mod inflate;
pub(crate) mod params;

pub use compress::{Deflater, compress_shared};
pub use inflate::{InflateError, Inflater};
pub(crate) use params::DeflateConfig;
pub use params::{DeflateParams, EXTENSION, OfferDeclined, negotiate};

/// The four bytes a sync flush ends with; stripped from each compressed
/// message and put back before decompressing (RFC 7692 §7.2.1–7.2.2).
pub const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
