//! A certificate authority made at test time, a server certificate for
//! `localhost` it signs, and a rustls client that trusts only that CA.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A CA's certificate, and a server certificate with its key as PEM.
pub struct Pki {
    pub ca: CertificateDer<'static>,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    /// The server's TLS settings, read from PEM files as an operator's
    /// would be (the directory holding them, to keep while serving).
    pub fn tls_config(&self) -> (capstan::TlsConfig, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, &self.cert_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (capstan::TlsConfig::from_pem_files(&cert, &key).unwrap(), dir)
    }
}

/// A fresh CA and a `localhost` certificate it signs.
pub fn make_pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    Pki { ca: ca.der().clone(), cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}

/// A client on aws-lc-rs (X25519MLKEM768 offered first) trusting `ca` only.
pub fn client_config(ca: &CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}
