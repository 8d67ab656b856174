use super::*;

const OFF: DeflateConfig = DeflateConfig {
    enabled: false,
    server_no_context_takeover: true,
    client_no_context_takeover: true,
    server_max_window_bits: 15,
    threshold: 1024,
    level: 6,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn request(extra: &str, method: &str, version: &str) -> Request {
    let head = format!(
        "{method} /chat HTTP/{version}\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    );
    Request::from_head(&head).unwrap()
}

fn valid(extra: &str) -> Request {
    request(extra, "GET", "1.1")
}

fn without(header: &str) -> Request {
    let head = format!(
        "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let kept: Vec<&str> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with(&format!("{header}:")))
        .collect();
    Request::from_head(&kept.join("\r\n")).unwrap()
}

#[test]
fn rfc_sample_key_gives_rfc_sample_accept() {
    assert_eq!(accept_key(KEY.as_bytes()), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#[test]
fn accepts_a_valid_request() {
    let accepted = accept(&valid(""), &[], &OFF).unwrap();
    assert_eq!(accepted.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(accepted.protocol, None);
    let response = String::from_utf8(response(&accepted).to_vec()).unwrap();
    assert!(response.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert!(response.ends_with("\r\n\r\n"));
    assert!(!response.contains("Sec-WebSocket-Protocol"));
}

#[test]
fn connection_and_upgrade_are_token_lists_any_case() {
    let head = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: foo, WebSocket\r\nConnection: keep-alive, UPGRADE\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let request = Request::from_head(&head).unwrap();
    assert!(request.is_upgrade());
    assert!(accept(&request, &[], &OFF).is_ok());
}

#[test]
fn non_get_is_405_with_allow() {
    let err = accept(&request("", "POST", "1.1"), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::MethodNotGet);
    let rejection = err.rejection();
    assert_eq!(rejection.status(), 405);
    assert_eq!(rejection.header("Allow"), Some("GET"));
}

#[test]
fn http_10_is_400() {
    let err = accept(&request("", "GET", "1.0"), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::HttpVersionTooOld);
    assert_eq!(err.rejection().status(), 400);
}

#[test]
fn missing_host_is_400() {
    let err = accept(&without("host"), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::MissingHost);
    assert_eq!(err.rejection().status(), 400);
}

#[test]
fn connection_without_upgrade_is_400() {
    let head = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let err = accept(&Request::from_head(&head).unwrap(), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::ConnectionNotUpgrade);
    assert_eq!(err.rejection().status(), 400);
}

#[test]
fn missing_key_is_400() {
    let err = accept(&without("sec-websocket-key"), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::MissingKey);
    assert_eq!(err.rejection().status(), 400);
}

#[test]
fn key_that_is_not_16_bytes_is_400() {
    for key in ["c2hvcnQ=", "not base64 at all!", "dGhlIHNhbXBsZSBub25jZSE/"] {
        let head = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let err = accept(&Request::from_head(&head).unwrap(), &[], &OFF).unwrap_err();
        assert_eq!(err, HandshakeError::InvalidKey, "{key}");
    }
}

#[test]
fn two_keys_are_400() {
    let err = accept(&valid(&format!("Sec-WebSocket-Key: {KEY}\r\n")), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::InvalidKey);
}

#[test]
fn other_version_is_426_with_the_supported_version() {
    let head = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 8\r\n\r\n"
    );
    let err = accept(&Request::from_head(&head).unwrap(), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::UnsupportedVersion);
    let rejection = err.rejection();
    assert_eq!(rejection.status(), 426);
    assert_eq!(rejection.header("Sec-WebSocket-Version"), Some("13"));
}

#[test]
fn missing_version_is_426() {
    let err = accept(&without("sec-websocket-version"), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::MissingVersion);
    assert_eq!(err.rejection().status(), 426);
}

#[test]
fn subprotocol_follows_the_clients_order() {
    let ours = vec!["chat.v1".to_string(), "chat.v2".to_string()];
    let request = valid("Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n");
    let accepted = accept(&request, &ours, &OFF).unwrap();
    assert_eq!(accepted.protocol.as_deref(), Some("chat.v2"));
    let response = String::from_utf8(response(&accepted).to_vec()).unwrap();
    assert!(response.contains("Sec-WebSocket-Protocol: chat.v2\r\n"));
}

#[test]
fn subprotocol_offers_across_header_lines() {
    let ours = vec!["b".to_string()];
    let request = valid("Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n");
    assert_eq!(accept(&request, &ours, &OFF).unwrap().protocol.as_deref(), Some("b"));
}

#[test]
fn no_common_subprotocol_means_none_chosen() {
    let ours = vec!["chat.v1".to_string()];
    let request = valid("Sec-WebSocket-Protocol: mqtt\r\n");
    assert_eq!(accept(&request, &ours, &OFF).unwrap().protocol, None);
}

#[test]
fn plain_request_is_not_an_upgrade() {
    let request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    assert!(!request.is_upgrade());
}

#[test]
fn two_hosts_are_400() {
    let err = accept(&valid("Host: other.example\r\n"), &[], &OFF).unwrap_err();
    assert_eq!(err, HandshakeError::MultipleHosts);
    assert_eq!(err.rejection().status(), 400);
}

#[test]
fn deflate_offer_is_answered_in_the_101() {
    let request = valid("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    let accepted = accept(&request, &[], &DeflateConfig::default()).unwrap();
    let (params, _) = accepted.deflate.as_ref().unwrap();
    assert!(params.server_no_context_takeover);
    let response = String::from_utf8(response(&accepted).to_vec()).unwrap();
    assert!(response.contains(
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"
    ));
}

#[test]
fn no_offer_or_compression_off_means_no_extension() {
    let accepted = accept(&valid(""), &[], &DeflateConfig::default()).unwrap();
    assert!(accepted.deflate.is_none());
    let request = valid("Sec-WebSocket-Extensions: permessage-deflate\r\n");
    let accepted = accept(&request, &[], &OFF).unwrap();
    assert!(accepted.deflate.is_none());
    let response = String::from_utf8(response(&accepted).to_vec()).unwrap();
    assert!(!response.contains("Sec-WebSocket-Extensions"));
}
