//! An application that installs its own rustls crypto provider gets it on
//! every TLS listener (a process-wide setting, so this test has its own
//! binary): here aws-lc-rs limited to X25519, so the client's post-quantum
//! offer is declined.

mod common;

use capstan::{HttpServer, IoServer, WsServer};
use common::pki::*;
use common::*;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::NamedGroup;
use tokio_rustls::rustls::crypto::{CryptoProvider, aws_lc_rs};
use tokio_rustls::rustls::pki_types::ServerName;

#[tokio::test]
async fn the_application_s_installed_provider_is_used() {
    let mut provider = aws_lc_rs::default_provider();
    provider.kx_groups.retain(|group| group.name() == NamedGroup::X25519);
    CryptoProvider::install_default(provider).expect("the first provider installed");

    let pki = make_pki();
    let (tls, _dir) = pki.tls_config();
    let (recorder, _seen) = Recorder::new(true);
    let server = IoServer::new(HttpServer::new(WsServer::new(recorder)))
        .listen_tls("127.0.0.1:0", tls)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));

    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let stream = TlsConnector::from(client_config(&pki.ca)).connect(name, tcp).await.unwrap();
    let offered = aws_lc_rs::default_provider().kx_groups[0].name();
    assert_eq!(offered, NamedGroup::X25519MLKEM768, "the client offers PQ");
    let group = stream.get_ref().1.negotiated_key_exchange_group().expect("a key exchange");
    assert_eq!(group.name(), NamedGroup::X25519);
    drop(stream);
    TestServer { addr, shutdown, task }.stop().await;
}
