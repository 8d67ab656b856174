//! A real nginx in front of a test's server processes: one public port on
//! 127.0.0.1 that proxies HTTP and WebSocket upgrades to them, round
//! robin, passing a new connection to the next server when one does not
//! answer (a node that died). Started in a directory of its own, waited
//! for until it accepts connections, killed and its directory removed when
//! dropped.
//!
//! The binary is `NGINX` if set, else `/usr/sbin/nginx`, else `nginx` from
//! `PATH` (Debian: `apt-get install -y nginx-light`; `scripts/test`
//! installs it if missing). It runs as one process (`master_process off`),
//! so killing it leaves no worker behind.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scratch::{free_port, fresh_dir};
use crate::wait::WAIT;

/// A running nginx balancing over some upstream servers; killed when
/// dropped.
#[derive(Debug)]
pub struct Balancer {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Balancer {
    /// Starts nginx on a free port of 127.0.0.1 in front of `upstreams`
    /// and returns once it accepts connections; panics if it cannot
    /// (nginx missing, a bad configuration).
    pub fn start(upstreams: &[SocketAddr]) -> Balancer {
        assert!(!upstreams.is_empty(), "a balancer needs servers behind it");
        let mut last = String::new();
        for _ in 0..3 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            let dir = fresh_dir("nginx");
            std::fs::write(dir.join("nginx.conf"), config(addr, upstreams, &dir))
                .expect("write nginx.conf");
            match launch(&dir, addr) {
                Ok(child) => return Balancer { child, addr, dir },
                // Another process took the port first: take another.
                Err(why) => {
                    last = why;
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
        panic!("nginx did not start: {last}");
    }

    /// The public address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The binary to run.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NGINX") {
        return path.into();
    }
    let debian = Path::new("/usr/sbin/nginx");
    if debian.exists() { debian.to_path_buf() } else { PathBuf::from("nginx") }
}

/// Starts nginx on `dir`'s configuration and waits until `addr` accepts
/// a connection.
fn launch(dir: &Path, addr: SocketAddr) -> Result<Child, String> {
    let mut child = Command::new(binary())
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("cannot run nginx ({e}); install it: apt-get install -y nginx-light")
        })?;
    let deadline = Instant::now() + WAIT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            return Err(format!("it exited ({status}); its log: {log}"));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{addr} did not accept within {WAIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The configuration: one server on `addr` proxying everything (WebSocket
/// upgrades included) to `upstreams`; a server that refuses a connection
/// is skipped for 2 s and the connection goes to the next one.
fn config(addr: SocketAddr, upstreams: &[SocketAddr], dir: &Path) -> String {
    let dir = dir.display();
    let servers: String = upstreams
        .iter()
        .map(|up| format!("        server {up} max_fails=1 fail_timeout=2s;\n"))
        .collect();
    format!(
        "daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream nodes {{
{servers}    }}
    server {{
        listen {addr};
        location / {{
            proxy_pass http://nodes;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A one-shot HTTP server answering `body` to one request.
    fn answer_once(body: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
        });
        addr
    }

    fn get(addr: SocketAddr) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    #[test]
    fn it_passes_requests_on_and_skips_a_server_that_is_gone() {
        let gone = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let alive = answer_once("from the live one");
        let balancer = Balancer::start(&[gone, alive]);
        let response = get(balancer.addr());
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("from the live one"), "{response}");
        let dir = balancer.dir.clone();
        drop(balancer);
        assert!(!dir.exists(), "its directory is removed");
    }
}
