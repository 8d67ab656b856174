//! The fallback's downstream as it arrives (§8.2): a chunked HTTP body of
//! Server-Sent Events, taken a read at a time, without copying the body
//! but for an event cut by a read.

/// What one event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text data message (no `event:` line), with its `id:`.
    Text(u64),
    /// A binary data message.
    Binary,
    /// A control (`welcome`, `ack`, `hb`, `error`).
    Control,
    /// The end of the transport.
    Close,
    /// Another `event:` name.
    Other,
}

/// One event: its kind and its `data:` line (a JSON string or object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// What it is.
    pub kind: Kind,
    /// Its data.
    pub data: &'a str,
    /// Body bytes it took, its blank line included.
    pub len: usize,
}

/// Splits a downstream's chunked body into events.
#[derive(Debug, Default)]
pub struct SseReader {
    /// Raw bytes not yet de-chunked.
    raw: Vec<u8>,
    /// De-chunked bytes not yet split into events.
    body: Vec<u8>,
    /// The last chunk (size 0) was read.
    ended: bool,
}

impl SseReader {
    /// Takes `bytes` (the response body, as read) and calls `on_event`
    /// for each whole event. Fails on bad chunking or a bad event; says
    /// whether the body has ended.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        mut on_event: impl FnMut(Event<'_>),
    ) -> Result<bool, String> {
        self.raw.extend_from_slice(bytes);
        self.dechunk()?;
        let mut start = 0;
        while let Some(end) = find(&self.body[start..], b"\n\n") {
            let block = &self.body[start..start + end];
            on_event(parse_event(block, end + 2)?);
            start += end + 2;
        }
        self.body.drain(..start);
        Ok(self.ended)
    }

    /// Moves whole chunks from `raw` to `body`.
    fn dechunk(&mut self) -> Result<(), String> {
        let mut at = 0;
        while !self.ended {
            let Some(line_end) = find(&self.raw[at..], b"\r\n") else { break };
            let size_text = std::str::from_utf8(&self.raw[at..at + line_end])
                .map_err(|_| "a chunk size that is not text")?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            let data = at + line_end + 2;
            if self.raw.len() < data + size + 2 {
                break;
            }
            if &self.raw[data + size..data + size + 2] != b"\r\n" {
                return Err("a chunk without its CRLF".into());
            }
            self.body.extend_from_slice(&self.raw[data..data + size]);
            self.ended = size == 0;
            at = data + size + 2;
        }
        self.raw.drain(..at);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One event's lines (its blank line excluded).
fn parse_event(block: &[u8], len: usize) -> Result<Event<'_>, String> {
    let text = std::str::from_utf8(block).map_err(|_| "an event that is not UTF-8")?;
    let (mut name, mut id, mut data) = (None, None, None);
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        match field {
            "event" => name = Some(value),
            "id" => id = Some(value.parse::<u64>().map_err(|_| format!("bad id {value:?}"))?),
            "data" => data = Some(value),
            "" | "retry" => {}
            other => return Err(format!("unknown event field {other:?}")),
        }
    }
    let data = data.unwrap_or_default();
    let kind = match (name, id) {
        (None | Some("message"), Some(id)) => Kind::Text(id),
        (None | Some("message"), None) => return Err(format!("a data event without id: {text:?}")),
        (Some("binary"), _) => Kind::Binary,
        (Some("control"), _) => Kind::Control,
        (Some("close"), _) => Kind::Close,
        (Some(_), _) => Kind::Other,
    };
    Ok(Event { kind, data, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(text: &str) -> String {
        format!("{:x}\r\n{text}\r\n", text.len())
    }

    fn events(reader: &mut SseReader, bytes: &[u8]) -> (Vec<(Kind, String)>, bool) {
        let mut out = Vec::new();
        let ended = reader.feed(bytes, |e| out.push((e.kind, e.data.to_owned()))).unwrap();
        (out, ended)
    }

    #[test]
    fn events_across_chunks_and_reads() {
        let body = chunk("event:control\ndata:{\"welcome\":{}}\n\nid:1\ndata:\"a")
            + &chunk("b\"\n\nevent:binary\nid:2\ndata:AAEC\n\n")
            + &chunk("event:control\ndata:{\"ack\":2}\n\nevent:close\ndata:{}\n\n")
            + "0\r\n\r\n";
        let bytes = body.as_bytes();
        let mut reader = SseReader::default();
        let mut all = Vec::new();
        // A byte at a time, then the rest.
        for b in &bytes[..10] {
            all.extend(events(&mut reader, std::slice::from_ref(b)).0);
        }
        let (rest, ended) = events(&mut reader, &bytes[10..]);
        all.extend(rest);
        assert!(ended);
        let kinds: Vec<Kind> = all.iter().map(|e| e.0).collect();
        assert_eq!(kinds, [Kind::Control, Kind::Text(1), Kind::Binary, Kind::Control, Kind::Close]);
        assert_eq!(all[1].1, "\"ab\"");
        assert_eq!(all[0].1, "{\"welcome\":{}}");
    }

    #[test]
    fn refusals() {
        let mut reader = SseReader::default();
        assert!(reader.feed(b"zz\r\n", |_| {}).is_err());
        let mut reader = SseReader::default();
        assert!(reader.feed(chunk("data:\"x\"\n\n").as_bytes(), |_| {}).is_err(), "no id");
        let mut reader = SseReader::default();
        assert!(reader.feed(b"3\r\nabcXY", |_| {}).is_err(), "no CRLF after the chunk");
    }
}
