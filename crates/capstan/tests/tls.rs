//! wss:// over real sockets: a CA made here, a server certificate it signs,
//! a rustls client that trusts only that CA.

mod common;

use capstan::TlsConfig;
use capstan::{HttpServer, HttpService, IoServer, WsServer};
use common::pki::*;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_tungstenite::tungstenite;

/// A TLS server from PEM files, as an operator would configure it.
async fn tls_server(pki: &Pki, service: Option<HttpService>) -> (TestServer, tempfile::TempDir) {
    tls_server_with(pki, service, capstan::ServerConfig::default()).await
}

/// As [`tls_server`], with `config`.
async fn tls_server_with(
    pki: &Pki,
    service: Option<HttpService>,
    config: capstan::ServerConfig,
) -> (TestServer, tempfile::TempDir) {
    let (tls, dir) = pki.tls_config();
    let (recorder, _seen) = Recorder::new(true);
    let mut http = HttpServer::new(WsServer::new(recorder));
    if let Some(service) = service {
        http = http.with_service(service);
    }
    let server =
        IoServer::new(http).with_config(config).listen_tls("127.0.0.1:0", tls).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    (TestServer { addr, shutdown, task }, dir)
}

async fn connect_tls(
    addr: std::net::SocketAddr,
    ca: &CertificateDer<'static>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(client_config(ca)).connect(name, tcp).await
}

#[tokio::test]
async fn wss_echo_with_a_third_party_client() {
    let pki = make_pki();
    let (server, _dir) = tls_server(&pki, None).await;
    let stream = connect_tls(server.addr, &pki.ca).await.unwrap();
    let url = format!("wss://localhost:{}/", server.addr.port());
    let (mut ws, response) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    assert_eq!(response.status(), 101);
    ws.send(tungstenite::Message::text("over tls")).await.unwrap();
    let echo = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo, tungstenite::Message::text("over tls"));
    let big = vec![7u8; 300_000];
    ws.send(tungstenite::Message::binary(big.clone())).await.unwrap();
    let echo = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo.into_data(), big);
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = tokio::time::timeout(WAIT, ws.next()).await.unwrap() {}
    drop(ws);
    server.stop().await;
}

#[tokio::test]
async fn the_key_exchange_is_post_quantum_when_the_client_offers_it() {
    let pki = make_pki();
    let (server, _dir) = tls_server(&pki, None).await;
    let stream = connect_tls(server.addr, &pki.ca).await.unwrap();
    let group = stream.get_ref().1.negotiated_key_exchange_group().expect("a TLS 1.3 key exchange");
    assert_eq!(group.name(), tokio_rustls::rustls::NamedGroup::X25519MLKEM768);
    drop(stream);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_fails_the_handshake() {
    let pki = make_pki();
    let other = make_pki();
    let (server, _dir) = tls_server(&pki, None).await;
    let err = connect_tls(server.addr, &other.ca).await.unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    // The server is unharmed.
    assert!(connect_tls(server.addr, &pki.ca).await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn plain_text_on_a_tls_port_is_dropped() {
    let pki = make_pki();
    let (server, _dir) = tls_server(&pki, None).await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(upgrade_request("/", "").as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, tcp.read_to_end(&mut answer)).await.expect("closed");
    // One TLS record, a fatal alert (content type 21, level 2), then the
    // close: no HTTP answer of any kind.
    assert!(answer.len() >= 7, "{answer:?}");
    assert_eq!((answer[0], answer[5]), (21, 2), "a fatal TLS alert: {answer:?}");
    assert!(!String::from_utf8_lossy(&answer).contains("HTTP/"), "no HTTP in plain text");
    server.stop().await;
}

#[tokio::test]
async fn plain_http_over_tls_reaches_the_service() {
    let pki = make_pki();
    let service = HttpService::from_fn(|_| async {
        http::Response::new(http_body_util::Full::new(bytes::Bytes::from("secure page")))
    });
    let (server, _dir) = tls_server(&pki, Some(service)).await;
    let mut stream = connect_tls(server.addr, &pki.ca).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await.expect("answered");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("secure page"), "{answer}");
    server.stop().await;
}

#[test]
fn bad_pem_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, "not a certificate").unwrap();
    std::fs::write(&key, "not a key").unwrap();
    let err = TlsConfig::from_pem_files(&cert, &key).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let missing = TlsConfig::from_pem_files(&dir.path().join("nope.pem"), &key).unwrap_err();
    assert!(missing.to_string().contains("nope.pem"), "{missing}");
}

#[tokio::test]
async fn messages_flow_both_ways_over_tls() {
    let pki = make_pki();
    let (server, _dir) = tls_server(&pki, None).await;
    let stream = connect_tls(server.addr, &pki.ca).await.unwrap();
    let url = format!("wss://localhost:{}/", server.addr.port());
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    for i in 0..200 {
        ws.send(tungstenite::Message::text(format!("m{i}"))).await.unwrap();
    }
    for i in 0..200 {
        let echo = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(echo, tungstenite::Message::text(format!("m{i}")));
    }
    drop(ws);
    server.stop().await;
}

#[tokio::test]
async fn a_tls_handshake_that_never_comes_is_dropped_after_the_timeout() {
    let pki = make_pki();
    let config = capstan::ServerConfig {
        tls_handshake_timeout: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    let (server, _dir) = tls_server_with(&pki, None, config).await;
    // Connect and say nothing: the server gives up on the handshake.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let mut rest = Vec::new();
    // The read ends (EOF or reset) well within WAIT, with nothing received.
    let _ = tokio::time::timeout(WAIT, silent.read_to_end(&mut rest))
        .await
        .expect("the server ended the connection");
    assert!(rest.is_empty(), "nothing was sent to a silent client");
    server.stop().await;
}

/// Session mode over TLS: a session cut on one TLS connection resumes on
/// another, with what was sent meanwhile.
#[tokio::test]
async fn a_session_resumes_over_tls() {
    use capstan::SessionRoute;
    use common::session_app::App;

    let pki = make_pki();
    let (tls, _dir) = pki.tls_config();
    let (events, _seen) = tokio::sync::mpsc::unbounded_channel();
    let topic = capstan::Topic::new("news");
    let app = App { events, topic: topic.clone() };
    let http = HttpServer::new(SessionRoute::new(app));
    let server = IoServer::new(http).listen_tls("127.0.0.1:0", tls).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    let url = format!("wss://localhost:{}/", addr.port());

    let stream = connect_tls(addr, &pki.ca).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(url.clone(), stream).await.unwrap();
    ws.send(tungstenite::Message::text(r#"c{"hello":{"v":1}}"#)).await.unwrap();
    let welcome = ws.next().await.unwrap().unwrap().into_text().unwrap();
    let welcome: serde_json::Value = serde_json::from_str(&welcome[1..]).unwrap();
    let sid = welcome["welcome"]["sid"].as_str().unwrap().to_owned();
    drop(ws);
    topic.publish(capstan::Message::text("while away"));

    let stream = connect_tls(addr, &pki.ca).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let resume = format!(r#"c{{"resume":{{"sid":"{sid}","rx":0}}}}"#);
    ws.send(tungstenite::Message::text(resume)).await.unwrap();
    let again = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(again.contains(r#""resumed":true"#), "{again}");
    let kept = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(kept, tungstenite::Message::text("mwhile away"));
    drop(ws);
    shutdown.shutdown();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap().unwrap();
}
