//! capstan-router as users run it: a process with `--config FILE` serving
//! wss:// (a certificate made here) and a realm whose clients authenticate
//! by ticket; a client joins over TLS, is authorized by role, and gets the
//! router's GOODBYE when the process is told to stop.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use capstan_testkit::process::{Process, Signal};
use futures_util::{SinkExt, StreamExt};
use rcgen::{CertificateParams, KeyPair};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_router_serves_wss_and_ticket_auth_from_its_config_and_says_goodbye_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let cert =
        CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    let config = json!({
        "transport": { "bind": "127.0.0.1", "port": 0, "paths": ["/ws"],
                       "tls": { "cert": "cert.pem", "key": "key.pem" } },
        "realms": [{
            "name": "secure",
            "roles": [{ "name": "user", "permissions": [
                { "uri": "com.example.", "match": "prefix", "call": true, "register": true,
                  "publish": true, "subscribe": true } ] }],
            "auth": { "ticket": { "principals": { "alice": { "ticket": "s3cret", "role": "user" } } } }
        }]
    });
    let config_path = dir.path().join("router.json");
    std::fs::write(&config_path, config.to_string()).unwrap();

    let mut router = Process::start(
        Command::new(env!("CARGO_BIN_EXE_capstan-router")).arg("--config").arg(&config_path),
        WAIT,
    )
    .unwrap();
    assert!(router.first_line().contains("wss://"), "{}", router.first_line());
    let addr = router.address();

    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(cert.der().to_vec())).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = TlsConnector::from(Arc::new(tls))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut request = format!("wss://localhost:{}/ws", addr.port()).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "wamp.2.json".parse().unwrap());
    let (mut ws, response) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "wamp.2.json");

    send(
        &mut ws,
        json!([1, "secure", {"roles": {"subscriber": {}}, "authmethods": ["ticket"], "authid": "alice"}]),
    )
    .await;
    assert_eq!(next(&mut ws).await, json!([4, "ticket", {}]));
    send(&mut ws, json!([5, "s3cret", {}])).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome[0], 2, "{welcome}");
    assert_eq!(
        (welcome[2]["authid"].clone(), welcome[2]["authrole"].clone()),
        (json!("alice"), json!("user"))
    );

    send(&mut ws, json!([32, 1, {}, "com.example.news"])).await;
    assert_eq!(next(&mut ws).await[0], 33);
    send(&mut ws, json!([32, 2, {}, "org.example.news"])).await;
    let refused = next(&mut ws).await;
    assert_eq!(
        (refused[0].clone(), refused[4].clone()),
        (json!(8), json!("wamp.error.not_authorized"))
    );

    router.signal(Signal::Term);
    let goodbye = next(&mut ws).await;
    assert_eq!(
        (goodbye[0].clone(), goodbye[2].clone()),
        (json!(6), json!("wamp.close.system_shutdown"))
    );
    send(&mut ws, json!([6, {}, "wamp.close.goodbye_and_out"])).await;
    // Reading on answers the router's close frame (1001) until it hangs up.
    while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, ws.next()).await {}
    drop(ws);
    assert_eq!(router.exit_code(WAIT).await, Some(0));
}

async fn send<S>(ws: &mut WebSocketStream<S>, message: Json)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ws.send(Message::text(message.to_string())).await.unwrap();
}

async fn next<S>(ws: &mut WebSocketStream<S>) -> Json
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let message = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    serde_json::from_str(message.to_text().unwrap()).unwrap()
}
