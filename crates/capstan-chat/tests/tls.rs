//! The chat over TLS: --tls-cert/--tls-key serve the page over https and
//! the socket over wss, with a certificate made here.

use std::sync::Arc;
use std::time::Duration;

use capstan_chat::{ChatServer, Config};
use futures_util::{SinkExt, StreamExt};
use rcgen::{CertificateParams, KeyPair};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn chat_over_tls_serves_https_and_wss() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let cert =
        CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let config = Config {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        db: dir.path().join("chat.db"),
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
        ..Config::defaults()
    };
    let server = ChatServer::bind(&config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));

    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(cert.der().to_vec())).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(client));
    let connect = || async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap()
    };

    // The page, over https.
    let mut page = connect().await;
    page.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, page.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("<html") || answer.contains("<!doctype") || answer.contains("<!DOCTYPE")
    );

    // The chat, over wss.
    let url = format!("wss://localhost:{}/ws", addr.port());
    let (mut ws, _) = tokio_tungstenite::client_async(url, connect().await).await.unwrap();
    let add = json!({"type": "add_user", "data": {"username": "secure"}});
    ws.send(Message::text(add.to_string())).await.unwrap();
    let reply = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    let reply: Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(reply["type"], "add_user");
    assert_eq!(reply["data"]["username"], "secure");
    drop(ws);

    shutdown.shutdown();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn missing_key_file_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        db: dir.path().join("chat.db"),
        tls_cert: Some(dir.path().join("cert.pem")),
        tls_key: Some(dir.path().join("key.pem")),
        ..Config::defaults()
    };
    let err = ChatServer::bind(&config).await.err().expect("refuses to start");
    assert!(err.to_string().contains("cert.pem"), "{err}");
}
