//! The servers compared: Capstan and four peers, each peer in its default
//! and its tuned configuration, and the floor (a bare epoll loop); how each
//! one is started, and whether it can be on this machine.

use std::path::Path;

use super::paths::Paths;

/// A library under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Capstan (`capstan-bench-server`).
    Capstan,
    /// tokio-tungstenite.
    Tungstenite,
    /// fastwebsockets.
    Fastwebsockets,
    /// Node's `ws`.
    NodeWs,
    /// uWebSockets.js.
    Uws,
    /// No library: a bare epoll loop (`peer-floor`), shown as the floor the
    /// kernel sets, never counted as a peer.
    Floor,
}

impl Family {
    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Capstan => "capstan",
            Family::Tungstenite => "tungstenite",
            Family::Fastwebsockets => "fastwebsockets",
            Family::NodeWs => "node ws",
            Family::Uws => "uWS",
            Family::Floor => "floor",
        }
    }

    /// Its name in `--servers` (both configurations).
    pub fn selector(self) -> &'static str {
        match self {
            Family::Capstan => "capstan",
            Family::Tungstenite => "tungstenite",
            Family::Fastwebsockets => "fastwebsockets",
            Family::NodeWs => "ws",
            Family::Uws => "uws",
            Family::Floor => "floor",
        }
    }
}

/// How a server is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// A binary of this workspace, in the target directory, and the
    /// package that builds it.
    Binary { name: &'static str, package: &'static str },
    /// A script run by `node`, in crates/capstan-bench/peers/node.
    Node { script: &'static str },
}

/// One server in one configuration.
#[derive(Debug, PartialEq, Eq)]
pub struct Server {
    /// Its name in `--servers`, file names and summary.json.
    pub id: &'static str,
    /// The library.
    pub family: Family,
    /// Started with `--tuned`.
    pub tuned: bool,
    /// How it is started.
    pub launch: Launch,
}

const PEERS: &str = "capstan-bench-peers";

/// Every server, in the order of the tables.
pub static ALL: [Server; 10] = [
    Server {
        id: "capstan",
        family: Family::Capstan,
        tuned: false,
        launch: Launch::Binary { name: "capstan-bench-server", package: "capstan-bench" },
    },
    Server {
        id: "tungstenite-default",
        family: Family::Tungstenite,
        tuned: false,
        launch: Launch::Binary { name: "peer-tungstenite", package: PEERS },
    },
    Server {
        id: "tungstenite-tuned",
        family: Family::Tungstenite,
        tuned: true,
        launch: Launch::Binary { name: "peer-tungstenite", package: PEERS },
    },
    Server {
        id: "fastwebsockets-default",
        family: Family::Fastwebsockets,
        tuned: false,
        launch: Launch::Binary { name: "peer-fastwebsockets", package: PEERS },
    },
    Server {
        id: "fastwebsockets-tuned",
        family: Family::Fastwebsockets,
        tuned: true,
        launch: Launch::Binary { name: "peer-fastwebsockets", package: PEERS },
    },
    Server {
        id: "ws-default",
        family: Family::NodeWs,
        tuned: false,
        launch: Launch::Node { script: "ws-server.mjs" },
    },
    Server {
        id: "ws-tuned",
        family: Family::NodeWs,
        tuned: true,
        launch: Launch::Node { script: "ws-server.mjs" },
    },
    Server {
        id: "uws-default",
        family: Family::Uws,
        tuned: false,
        launch: Launch::Node { script: "uws-server.mjs" },
    },
    Server {
        id: "uws-tuned",
        family: Family::Uws,
        tuned: true,
        launch: Launch::Node { script: "uws-server.mjs" },
    },
    Server {
        id: "floor",
        family: Family::Floor,
        tuned: false,
        launch: Launch::Binary { name: "peer-floor", package: PEERS },
    },
];

impl Server {
    /// Its name in tables and charts: `capstan`, `tungstenite (tuned)`.
    pub fn label(&self) -> String {
        match (self.family, self.tuned) {
            (Family::Capstan, _) => "capstan".into(),
            (Family::Floor, _) => "floor (bare epoll)".into(),
            (family, true) => format!("{} (tuned)", family.name()),
            (family, false) => format!("{} (default)", family.name()),
        }
    }

    /// Whether this is the server the others are compared with.
    pub fn is_capstan(&self) -> bool {
        self.family == Family::Capstan
    }

    /// Whether this is a peer library, one the targets compare with (not
    /// Capstan, not the floor).
    pub fn is_peer(&self) -> bool {
        !matches!(self.family, Family::Capstan | Family::Floor)
    }

    /// Its position in [`ALL`] (for colours that stay the same).
    pub fn index(&self) -> usize {
        ALL.iter().position(|s| s.id == self.id).unwrap_or(0)
    }

    /// The server with this id.
    pub fn by_id(id: &str) -> Option<&'static Server> {
        ALL.iter().find(|s| s.id == id)
    }

    /// The command for `loadgen --spawn` (split on spaces by loadgen; run
    /// from the workspace root).
    pub fn command(&self, paths: &Paths) -> String {
        let program = match self.launch {
            Launch::Binary { name, .. } => paths.binary(name).display().to_string(),
            Launch::Node { script } => format!("node {}", paths.node_script(script).display()),
        };
        if self.tuned { format!("{program} --tuned") } else { program }
    }

    /// Whether it can run here.
    pub fn availability(&self, paths: &Paths) -> Availability {
        match self.launch {
            Launch::Binary { name, package } => {
                let path = paths.binary(name);
                if path.is_file() {
                    spaceless(&path)
                } else {
                    Availability::Missing(format!(
                        "{} not found: build it with `cargo build --release -p {package}`",
                        path.display()
                    ))
                }
            }
            Launch::Node { script } => {
                if !paths.node_found() {
                    return Availability::Skip("`node` is not on PATH".into());
                }
                let modules = paths.node_dir().join("node_modules");
                if !modules.is_dir() {
                    return Availability::Skip(format!(
                        "{} is missing: run `npm ci --prefix {}`",
                        paths.relative(&modules),
                        paths.relative(&paths.node_dir())
                    ));
                }
                let path = paths.node_script(script);
                if paths.root.join(&path).is_file() {
                    spaceless(&path)
                } else {
                    Availability::Missing(format!("{} not found", path.display()))
                }
            }
        }
    }
}

/// loadgen splits `--spawn` on spaces: a path holding one cannot be passed.
fn spaceless(path: &Path) -> Availability {
    if path.display().to_string().contains(char::is_whitespace) {
        Availability::Missing(format!(
            "{} holds a space, which `loadgen --spawn` cannot pass (build elsewhere, or give --bin-dir)",
            path.display()
        ))
    } else {
        Availability::Ready
    }
}

/// Whether a server can be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// It can.
    Ready,
    /// Node, or the Node peers' modules, missing (an error but with `--servers available`).
    Skip(String),
    /// Not built or not written: an error, unless `--servers available`.
    Missing(String),
}

/// What `--servers` chose.
#[derive(Debug, Default)]
pub struct Selection {
    /// The servers to run, in table order.
    pub servers: Vec<&'static Server>,
    /// Servers left out, and why.
    pub skipped: Vec<(&'static Server, String)>,
}

/// The servers that `spec` names (ids, family names, `all`, or
/// `available`: every one that can run here). A named server that cannot
/// run (not built, or Node or its modules missing) is an error; with
/// `available` it is left out, with a note.
pub fn select(spec: &str, paths: &Paths) -> Result<Selection, String> {
    let wanted = parse_spec(spec)?;
    let lenient = spec.trim() == "available";
    let mut selection = Selection::default();
    let mut errors = Vec::new();
    for server in wanted {
        match server.availability(paths) {
            Availability::Ready => selection.servers.push(server),
            Availability::Skip(why) | Availability::Missing(why) if lenient => {
                selection.skipped.push((server, why))
            }
            Availability::Skip(why) | Availability::Missing(why) => {
                errors.push(format!("{}: {why}", server.id))
            }
        }
    }
    if !errors.is_empty() {
        errors.dedup();
        return Err(errors.join("\n"));
    }
    Ok(selection)
}

/// The servers a `--servers` value names, in table order, without asking
/// whether they can run.
pub fn parse_spec(spec: &str) -> Result<Vec<&'static Server>, String> {
    let mut chosen = [false; ALL.len()];
    for word in spec.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let mut any = false;
        for (i, server) in ALL.iter().enumerate() {
            let family = server.family.selector();
            if matches!(word, "all" | "available")
                || word == server.id
                || word == family
                || (word == "node-ws" && family == "ws")
            {
                chosen[i] = true;
                any = true;
            }
        }
        if !any {
            let ids: Vec<&str> = ALL.iter().map(|s| s.id).collect();
            return Err(format!(
                "unknown server {word:?}: give ids ({}), families (capstan, tungstenite, fastwebsockets, ws, uws, floor), all or available",
                ids.join(", ")
            ));
        }
    }
    let servers: Vec<&'static Server> =
        ALL.iter().zip(chosen).filter(|(_, c)| *c).map(|(s, _)| s).collect();
    if servers.is_empty() {
        return Err("--servers names no server".into());
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(spec: &str) -> Vec<&'static str> {
        parse_spec(spec).unwrap().iter().map(|s| s.id).collect()
    }

    #[test]
    fn specs() {
        assert_eq!(ids("capstan"), ["capstan"]);
        assert_eq!(
            ids("tungstenite,capstan"),
            ["capstan", "tungstenite-default", "tungstenite-tuned"]
        );
        assert_eq!(ids("ws-tuned,uws"), ["ws-tuned", "uws-default", "uws-tuned"]);
        assert_eq!(ids("node-ws"), ["ws-default", "ws-tuned"]);
        assert_eq!(ids("all").len(), 10);
        assert_eq!(ids("floor,capstan"), ["capstan", "floor"]);
        assert!(parse_spec("nginx").is_err());
        assert!(parse_spec(",").is_err());
    }

    #[test]
    fn availability() {
        let root = std::env::temp_dir().join(format!("bench-suite-servers-{}", std::process::id()));
        let bin = root.join("target/release");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("capstan-bench-server"), "").unwrap();
        let paths = Paths::fixed(root.clone(), bin.clone(), false);
        assert_eq!(ALL[0].availability(&paths), Availability::Ready);
        let Availability::Missing(why) = ALL[1].availability(&paths) else { panic!() };
        assert!(why.ends_with("peer-tungstenite not found: build it with `cargo build --release -p capstan-bench-peers`"), "{why}");
        assert_eq!(ALL[5].availability(&paths), Availability::Skip("`node` is not on PATH".into()));
        let paths = Paths::fixed(root.clone(), bin.clone(), true);
        let Availability::Skip(why) = ALL[7].availability(&paths) else { panic!() };
        assert_eq!(
            why,
            "crates/capstan-bench/peers/node/node_modules is missing: run `npm ci --prefix crates/capstan-bench/peers/node`"
        );
        std::fs::create_dir_all(root.join("crates/capstan-bench/peers/node/node_modules")).unwrap();
        assert!(matches!(ALL[7].availability(&paths), Availability::Missing(_)));
        assert_eq!(
            ALL[8].command(&paths),
            "node crates/capstan-bench/peers/node/uws-server.mjs --tuned"
        );
        // `all` fails on the missing peers (Node ones too); `available`
        // leaves them out with notes.
        let err = select("capstan,tungstenite", &paths).unwrap_err();
        assert_eq!(err.lines().count(), 2, "{err}");
        let without_node = Paths::fixed(root.clone(), bin.clone(), false);
        let err = select("ws", &without_node).unwrap_err();
        assert!(err.contains("`node` is not on PATH"), "{err}");
        let chosen = select("available", &paths).unwrap();
        assert_eq!(chosen.servers, [&ALL[0]]);
        assert_eq!(chosen.skipped.len(), 9);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn labels() {
        assert_eq!(ALL[0].label(), "capstan");
        assert_eq!(ALL[2].label(), "tungstenite (tuned)");
        assert_eq!(ALL[7].label(), "uWS (default)");
        assert_eq!(ALL[9].label(), "floor (bare epoll)");
        assert!(ALL[1..9].iter().all(Server::is_peer) && !ALL[0].is_peer() && !ALL[9].is_peer());
        assert_eq!(Server::by_id("ws-tuned").map(Server::index), Some(6));
    }
}
