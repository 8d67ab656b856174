//! Negotiating permessage-deflate (RFC 7692 §5, §7.1): reading the
//! client's offers, choosing one, and writing the answer.

use std::fmt::Write;

/// The extension's name.
pub const EXTENSION: &str = "permessage-deflate";

/// What the server is willing to do, per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Whether to accept the extension at all.
    pub enabled: bool,
    /// Reset our compressor after every message (asked even if the client
    /// did not offer it). Lets one compressed frame be shared by every
    /// subscriber, and keeps no compressor per connection.
    pub server_no_context_takeover: bool,
    /// Ask the client to reset its compressor after every message, so the
    /// server keeps no decompressor per connection.
    pub client_no_context_takeover: bool,
    /// The largest window (9–15) the server compresses with.
    pub server_max_window_bits: u8,
    /// Messages shorter than this many bytes are sent uncompressed.
    pub threshold: usize,
    /// zlib compression level, 0–9.
    pub level: u32,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 15,
            threshold: 1024,
            level: 6,
        }
    }
}

impl DeflateConfig {
    /// Compression off.
    pub fn disabled() -> Self {
        Self { enabled: false, ..Self::default() }
    }

    /// Accepts what clients offer without asking for more: context takeover
    /// kept where the client allows it (better ratios, more memory).
    pub fn as_offered() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            ..Self::default()
        }
    }
}

/// The parameters agreed for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The server compresses with at most this window.
    pub server_max_window_bits: u8,
    /// The client compresses with at most this window (15 unless limited).
    pub client_max_window_bits: u8,
    /// Messages shorter than this are sent uncompressed.
    pub threshold: usize,
    /// Compression level.
    pub level: u32,
}

/// Why an offer was declined (RFC 7692 §5.1, §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfferDeclined {
    /// A parameter this extension does not define.
    UnknownParameter(String),
    /// The same parameter twice in one offer.
    DuplicateParameter(String),
    /// A parameter with a value it must not have, or without one it needs.
    InvalidValue(String),
    /// server_max_window_bits=8: zlib cannot compress with a 256-byte window.
    WindowTooSmall,
}

/// A window size: a decimal integer 8–15 without leading zeros (§7.1.2).
fn window_bits(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [b'8'..=b'9'] | [b'1', b'0'..=b'5'] => value.parse().ok(),
        _ => None,
    }
}

/// One offer's parameters, parsed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Offer {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: offered without a value.
    client_max_window_bits: Option<Option<u8>>,
}

impl Offer {
    fn parse(params: &[Param]) -> Result<Self, OfferDeclined> {
        let mut offer = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in params {
            if seen.contains(&name.as_str()) {
                return Err(OfferDeclined::DuplicateParameter(name.clone()));
            }
            seen.push(name);
            let invalid = || OfferDeclined::InvalidValue(name.clone());
            match (name.as_str(), value.as_deref()) {
                ("server_no_context_takeover", None) => offer.server_no_context_takeover = true,
                ("client_no_context_takeover", None) => offer.client_no_context_takeover = true,
                ("server_max_window_bits", Some(v)) => {
                    offer.server_max_window_bits = Some(window_bits(v).ok_or_else(invalid)?);
                }
                ("client_max_window_bits", None) => offer.client_max_window_bits = Some(None),
                ("client_max_window_bits", Some(v)) => {
                    offer.client_max_window_bits = Some(Some(window_bits(v).ok_or_else(invalid)?));
                }
                (
                    "server_no_context_takeover"
                    | "client_no_context_takeover"
                    | "server_max_window_bits",
                    _,
                ) => return Err(invalid()),
                _ => return Err(OfferDeclined::UnknownParameter(name.clone())),
            }
        }
        Ok(offer)
    }

    /// Accepts this offer under `config`: the parameters and the answer.
    fn accept(&self, config: &DeflateConfig) -> Result<(DeflateParams, String), OfferDeclined> {
        let ours = config.server_max_window_bits.clamp(9, 15);
        let server_bits = match self.server_max_window_bits {
            Some(8) => return Err(OfferDeclined::WindowTooSmall),
            Some(theirs) => theirs.min(ours),
            None => ours,
        };
        let server_no_context =
            self.server_no_context_takeover || config.server_no_context_takeover;
        let client_no_context =
            self.client_no_context_takeover || config.client_no_context_takeover;
        let mut answer = String::from(EXTENSION);
        if server_no_context {
            answer.push_str("; server_no_context_takeover");
        }
        if client_no_context {
            answer.push_str("; client_no_context_takeover");
        }
        if self.server_max_window_bits.is_some() || server_bits < 15 {
            let _ = write!(answer, "; server_max_window_bits={server_bits}");
        }
        // We decompress with the largest window, whatever the client uses;
        // a limit the client set itself is echoed, as §7.1.2.2 asks.
        let client_bits = match self.client_max_window_bits {
            Some(Some(bits)) => {
                let _ = write!(answer, "; client_max_window_bits={bits}");
                bits
            }
            _ => 15,
        };
        let params = DeflateParams {
            server_no_context_takeover: server_no_context,
            client_no_context_takeover: client_no_context,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
            threshold: config.threshold,
            level: config.level.min(9),
        };
        Ok((params, answer))
    }
}

/// An extension parameter: its name and value, if it has one.
type Param = (String, Option<String>);

/// Splits one `Sec-WebSocket-Extensions` value into extensions, each a
/// name and its parameters (names lower-cased, quoted values unquoted).
fn parse_extensions(header: &str) -> Vec<(String, Vec<Param>)> {
    split_outside_quotes(header, ',')
        .into_iter()
        .filter_map(|extension| {
            let mut parts = split_outside_quotes(extension, ';').into_iter();
            let name = parts.next()?.trim().to_ascii_lowercase();
            if name.is_empty() {
                return None;
            }
            let params = parts
                .filter(|p| !p.trim().is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => {
                        let v = v.trim();
                        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
                        (k.trim().to_ascii_lowercase(), Some(v.to_owned()))
                    }
                    None => (p.trim().to_ascii_lowercase(), None),
                })
                .collect();
            Some((name, params))
        })
        .collect()
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Picks the first permessage-deflate offer that can be accepted, in the
/// client's order, from every `Sec-WebSocket-Extensions` header value.
/// Returns the agreed parameters and the answer's header value; `None`
/// when compression is off or no offer is acceptable (the connection then
/// goes on uncompressed, as RFC 7692 §5.1 allows).
pub fn negotiate<'a>(
    headers: impl IntoIterator<Item = &'a str>,
    config: &DeflateConfig,
) -> Option<(DeflateParams, String)> {
    if !config.enabled {
        return None;
    }
    headers
        .into_iter()
        .flat_map(parse_extensions)
        .filter(|(name, _)| name == EXTENSION)
        .find_map(|(_, params)| Offer::parse(&params).and_then(|o| o.accept(config)).ok())
}

#[cfg(test)]
mod tests;
