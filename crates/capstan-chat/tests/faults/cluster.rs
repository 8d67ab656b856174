//! The chat as a cluster, for real: a redis-server, N `capstan-chat`
//! processes on it (`--redis`), and nginx in front of them — what
//! `scripts/cluster.sh` runs, started by the test and stopped with it.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use capstan_testkit::nginx::Balancer;
use capstan_testkit::process::{Process, Signal};
use capstan_testkit::redis::{Persistence, RedisServer};

/// Longest wait for a node to start or to exit (it drains for at most
/// 10 s on SIGTERM); only guards against a hang.
const PROCESS_WAIT: Duration = Duration::from_secs(30);

/// One `capstan-chat` process of the cluster.
pub struct Node {
    process: Process,
    /// Where it listens (behind the balancer).
    pub addr: SocketAddr,
    _db: tempfile::TempDir,
}

/// Redis, the nodes and the balancer.
pub struct Cluster {
    /// The Redis every node shares.
    pub redis: RedisServer,
    /// The nodes, in start order.
    pub nodes: Vec<Node>,
    /// nginx in front of them: where clients connect.
    pub balancer: Balancer,
}

impl Cluster {
    /// Starts Redis with `persistence`, `nodes` chat processes on it (rate
    /// limits out of the way: the tests measure delivery, not abuse) and
    /// nginx in front.
    pub async fn start(nodes: usize, persistence: Persistence) -> Cluster {
        let redis = RedisServer::start(persistence).await;
        let nodes: Vec<Node> = (0..nodes).map(|_| Node::start(&redis.url())).collect();
        let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
        let balancer = Balancer::start(&addrs);
        Cluster { redis, nodes, balancer }
    }

    /// The balancer's address.
    pub fn addr(&self) -> SocketAddr {
        self.balancer.addr()
    }

    /// Kills node `index` with SIGKILL (a crash: nothing flushed, no close
    /// frames) and waits until it is gone.
    pub async fn kill(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        node.process.signal(Signal::Kill);
        assert_eq!(node.process.exit_code(PROCESS_WAIT).await, None, "ended by the signal");
    }

    /// Node `index`'s resident memory, in KiB.
    pub fn rss_kib(&self, index: usize) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.nodes[index].process.id()))
                .expect("the node's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmRSS line")
    }

    /// Stops every node still running with SIGTERM; each must exit 0.
    pub async fn stop(mut self) {
        for node in &mut self.nodes {
            if node.process.is_running() {
                node.process.signal(Signal::Term);
                assert_eq!(node.process.exit_code(PROCESS_WAIT).await, Some(0), "a node's exit");
            }
        }
    }
}

impl Node {
    fn start(redis: &str) -> Node {
        let db = tempfile::tempdir().expect("a directory for the node's (unused) database");
        let mut command = Command::new(env!("CARGO_BIN_EXE_capstan-chat"));
        command
            .args(["--bind", "127.0.0.1", "--port", "0", "--redis", redis])
            .args(["--rate", "1000", "--burst", "1000", "--db"])
            .arg(db.path().join("chat.db"))
            .stderr(Stdio::null());
        let process = Process::start(&mut command, PROCESS_WAIT).expect("start capstan-chat");
        // "Capstan chat: open http://127.0.0.1:PORT/ in a browser"
        let addr = process.address();
        Node { process, addr, _db: db }
    }
}
