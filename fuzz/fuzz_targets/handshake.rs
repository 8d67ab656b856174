//! The opening handshake: `Request::parse` on arbitrary bytes and, when a
//! head parses, every accessor, the origin policies and
//! `handshake::accept` (with a few subprotocols and each deflate
//! configuration); and `deflate::negotiate` on arbitrary header values (the
//! input's lines). Nothing may panic, and:
//! - a parsed head is the input's prefix, re-parses the same, and has at
//!   most MAX_HEADERS headers;
//! - an accepted request is a GET over HTTP/1.1 with one Host, a
//!   Connection: Upgrade, one key that is 16 bytes in base64 and version
//!   13; its Sec-WebSocket-Accept is SHA-1 + base64 of key + GUID (computed
//!   here independently), and the 101 answer parses as an HTTP response
//!   carrying those values;
//! - a chosen subprotocol is ours and was offered;
//! - an agreed permessage-deflate answer is plain text, respects the
//!   configuration, and re-negotiates to the same parameters.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use capstan::DeflateConfig;
use capstan::Request;
use capstan::http::{MAX_HEADERS, OriginPolicy};
use capstan::ws::deflate::{DeflateParams, negotiate};
use capstan::ws::handshake::{self, Accepted};
use libfuzzer_sys::fuzz_target;
use sha1::{Digest, Sha1};

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

fn configs() -> [DeflateConfig; 5] {
    [
        DeflateConfig::default(),
        DeflateConfig::as_offered(),
        DeflateConfig::disabled(),
        DeflateConfig { server_max_window_bits: 10, level: 12, ..DeflateConfig::as_offered() },
        DeflateConfig { server_max_window_bits: 0, threshold: 0, ..DeflateConfig::default() },
    ]
}

fuzz_target!(|data: &[u8]| {
    // Header values as the fuzzer writes them, one per line.
    let text = String::from_utf8_lossy(data);
    for config in configs() {
        let agreed = negotiate(text.split('\n'), &config);
        if let Some(agreed) = &agreed {
            check_deflate(agreed, &config);
        }
    }

    let parsed = match Request::parse(data) {
        Ok(Some(parsed)) => parsed,
        Ok(None) | Err(_) => return,
    };
    let (request, len) = parsed;
    check_request(&request, len, data);

    let protocols: Vec<String> = ["chat", "superchat", "v2.chat"].map(String::from).to_vec();
    let _ = request.is_upgrade();
    let _ = OriginPolicy::same_host().allows(&request);
    let _ = OriginPolicy::only(["https://example.com"]).allowing_missing(true).allows(&request);
    for config in configs() {
        match handshake::accept(&request, &protocols, &config) {
            Ok(accepted) => check_accepted(&request, &accepted, &protocols, &config),
            Err(error) => {
                let rejection = error.rejection();
                assert!(matches!(rejection.status(), 400 | 405 | 426), "{error:?}");
                assert!(!rejection.to_bytes().is_empty());
            }
        }
    }
});

fn check_request(request: &Request, len: usize, data: &[u8]) {
    assert!(len <= data.len() && len <= u16::MAX as usize);
    assert_eq!(&request.head_bytes()[..], &data[..len], "the head is not the input's prefix");
    assert!(request.head_bytes().ends_with(b"\n"), "a complete head ends with a newline");
    assert!(!request.method().is_empty());
    assert!(!request.target().is_empty());
    let headers: Vec<(&str, &[u8])> = request.headers().collect();
    assert!(headers.len() <= MAX_HEADERS);
    for (name, value) in &headers {
        assert!(!name.is_empty(), "an empty header name");
        assert!(request.headers_named(name).any(|v| v == *value));
    }
    let _ = request.path();
    let _ = request.query();
    for (key, value) in request.query_params() {
        let _ = (key.len(), value.len());
    }
    let _ = request.cookies().count();
    let _ = request.cookie("session");
    let _ = request.header("host");
    let _ = format!("{request:?}");
    // The head alone parses to the same request.
    let (again, again_len) = Request::parse(request.head_bytes())
        .expect("the head re-parses")
        .expect("the head is complete");
    assert_eq!(again_len, len);
    assert_eq!(again.method(), request.method());
    assert_eq!(again.target(), request.target());
    assert!(again.headers().eq(request.headers()));
}

fn check_accepted(
    request: &Request,
    accepted: &Accepted,
    protocols: &[String],
    config: &DeflateConfig,
) {
    assert_eq!(request.method(), "GET");
    assert!(request.is_http11_or_later());
    assert_eq!(request.headers_named("host").count(), 1);
    assert!(
        request.header_tokens("connection").any(|t| t.eq_ignore_ascii_case("upgrade")),
        "accepted without Connection: Upgrade"
    );
    let keys: Vec<&[u8]> = request.headers_named("sec-websocket-key").collect();
    assert_eq!(keys.len(), 1, "accepted with {} keys", keys.len());
    let key = keys[0].trim_ascii();
    let raw = STANDARD.decode(key).expect("an accepted key is base64");
    assert_eq!(raw.len(), 16, "an accepted key of {} bytes", raw.len());
    assert_eq!(key.len(), 24);
    assert_eq!(request.header("sec-websocket-version").map(str::trim), Some("13"));

    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID);
    let expected = STANDARD.encode(sha1.finalize());
    assert_eq!(accepted.accept, expected, "wrong Sec-WebSocket-Accept");
    assert_eq!(accepted.accept.len(), 28);

    if let Some(protocol) = &accepted.protocol {
        assert!(protocols.contains(protocol), "chose {protocol:?}, not ours");
        assert!(
            request.header_tokens("sec-websocket-protocol").any(|t| t == protocol),
            "chose {protocol:?}, not offered"
        );
    }
    match &accepted.deflate {
        Some(agreed) => check_deflate(agreed, config),
        None => {}
    }
    if !config.enabled {
        assert!(accepted.deflate.is_none(), "deflate agreed while disabled");
    }

    // The 101 answer parses back with these values.
    let response = handshake::response(accepted);
    let mut slots = [httparse::EMPTY_HEADER; 16];
    let mut parsed = httparse::Response::new(&mut slots);
    let status = parsed.parse(&response).expect("the 101 answer parses");
    assert!(status.is_complete());
    assert_eq!(status.unwrap(), response.len(), "bytes after the 101 answer");
    assert_eq!(parsed.code, Some(101));
    let header = |name: &str| {
        let mut values = parsed.headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name));
        let value = values.next().map(|h| h.value);
        assert!(values.next().is_none(), "two {name} headers in the answer");
        value
    };
    assert_eq!(header("sec-websocket-accept"), Some(accepted.accept.as_bytes()));
    assert_eq!(header("sec-websocket-protocol"), accepted.protocol.as_deref().map(str::as_bytes));
    assert_eq!(
        header("sec-websocket-extensions"),
        accepted.deflate.as_ref().map(|(_, answer)| answer.as_bytes())
    );
}

fn check_deflate((params, answer): &(DeflateParams, String), config: &DeflateConfig) {
    assert!(config.enabled, "deflate agreed while disabled");
    assert!(answer.starts_with("permessage-deflate"), "{answer:?}");
    assert!(
        answer.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "the extension answer has a byte that is not visible ASCII: {answer:?}"
    );
    let ours = config.server_max_window_bits.clamp(9, 15);
    assert!((9..=ours).contains(&params.server_max_window_bits), "{params:?}");
    assert!((8..=15).contains(&params.client_max_window_bits), "{params:?}");
    assert!(params.level <= 9);
    assert_eq!(params.threshold, config.threshold);
    if config.server_no_context_takeover {
        assert!(params.server_no_context_takeover);
    }
    if config.client_no_context_takeover {
        assert!(params.client_no_context_takeover);
    }
    // The answer, offered back, is accepted as it is.
    let (again, again_answer) = negotiate([answer.as_str()], &DeflateConfig::as_offered())
        .unwrap_or_else(|| panic!("our own answer {answer:?} is not an acceptable offer"));
    assert_eq!(&again_answer, answer);
    assert_eq!(again.server_no_context_takeover, params.server_no_context_takeover);
    assert_eq!(again.client_no_context_takeover, params.client_no_context_takeover);
    assert_eq!(again.server_max_window_bits, params.server_max_window_bits);
    assert_eq!(again.client_max_window_bits, params.client_max_window_bits);
}
