//! User names across nodes: a name is held in Redis by its case key and its
//! look key (as the node's own registry holds it), as a lease its node
//! renews while the name's connection lives — a dead node's names are free
//! again within the lease. The same owner (session or token user) takes a
//! name over from any node: the node that held it hears of it on the name's
//! topic and closes its connection with 4001.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use capstan::{Conn, Listening, Topics};
use capstan_redis::RedisEngine;
use capstan_redis::redis;
use futures_util::future::join_all;

use crate::errors::{ErrorCode, Refusal};
use crate::name_registry::REPLACED;
use crate::names::NameKey;

/// How long a name stays held without its node renewing it.
pub const LEASE: Duration = Duration::from_secs(30);

/// Leases renewed at once (in flight together on one connection).
const RENEW_AT_ONCE: usize = 256;

/// Takes a name for an owner, on both keys, unless another owner holds
/// either: `{1, previous holder's node or ''}` or `{0, the holder's name}`.
/// A value is `owner US node US name`.
const CLAIM: &str = r"
local previous = ''
for i = 1, 2 do
  local held = redis.call('GET', KEYS[i])
  if held then
    local owner, node, name = string.match(held, '^(.-)\31(.-)\31(.*)$')
    if owner ~= ARGV[1] then
      return {0, name or ''}
    end
    if node ~= ARGV[2] then
      previous = node
    end
  end
end
local value = ARGV[1] .. '\31' .. ARGV[2] .. '\31' .. ARGV[3]
redis.call('SET', KEYS[1], value, 'PX', ARGV[4])
redis.call('SET', KEYS[2], value, 'PX', ARGV[4])
return {1, previous}
";

/// Renews (`ARGV[3]` = lease ms) or, without it, deletes both keys if this
/// owner and node still hold them.
const HELD: &str = r"
local mine = ARGV[1] .. '\31' .. ARGV[2] .. '\31'
for i = 1, 2 do
  local held = redis.call('GET', KEYS[i])
  if held and string.sub(held, 1, #mine) == mine then
    if ARGV[3] then
      redis.call('PEXPIRE', KEYS[i], ARGV[3])
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return 1
";

/// A name held on another node, as a direct message's recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHolder {
    /// The name as held.
    pub name: String,
    /// Its owner.
    pub owner: String,
}

/// The names this node holds in the cluster. Cheap to clone.
#[derive(Clone)]
pub struct ClusterNames(Arc<Inner>);

struct Inner {
    engine: RedisEngine,
    topics: Topics,
    /// This node's id in name values.
    node: String,
    /// Names held here, by case key: owner, the connections, the takeover
    /// listener.
    held: Mutex<HashMap<String, Held>>,
}

struct Held {
    name: String,
    owner: String,
    conns: Vec<Conn>,
    _takeovers: Listening,
}

impl ClusterNames {
    /// The names of a node (`node`: unique per process) on `engine`; renews
    /// its leases every third of [`LEASE`] while it lives.
    pub fn new(engine: RedisEngine, topics: Topics, node: String) -> Self {
        let names = Self(Arc::new(Inner { engine, topics, node, held: Mutex::default() }));
        let weak = Arc::downgrade(&names.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LEASE / 3);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                ClusterNames(inner).renew().await;
            }
        });
        names
    }

    fn held(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        self.0.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn keys(&self, name: &str) -> (String, String) {
        let key = NameKey::of(name);
        let prefix = &self.0.engine.config().prefix;
        (
            format!("{prefix}:chat:name:case:{}", key.case),
            format!("{prefix}:chat:name:look:{}", key.look),
        )
    }

    fn topic(name: &str) -> String {
        format!("chat-name:{}", NameKey::of(name).case)
    }

    /// Takes `name` for `owner` on `conn` across the cluster: refused if
    /// another owner holds it (or a look-alike) on any node; taken over
    /// from the same owner's connection on another node, which is closed
    /// with 4001.
    pub async fn claim(&self, conn: &Conn, name: &str, owner: &str) -> Result<(), Refusal> {
        let (case, look) = self.keys(name);
        let mut claim = redis::cmd("EVAL");
        claim
            .arg(CLAIM)
            .arg(2)
            .arg(&case)
            .arg(&look)
            .arg(owner)
            .arg(&self.0.node)
            .arg(name)
            .arg(LEASE.as_millis() as u64);
        let (taken, other): (i64, String) =
            self.0.engine.query(&claim).await.map_err(|e| unavailable(&e.to_string()))?;
        if taken == 0 {
            let message = if other == name {
                format!("{name} is taken")
            } else {
                format!("{name} is too like {other}, who is connected")
            };
            return Err(Refusal::new(ErrorCode::NameTaken, message));
        }
        if !other.is_empty() {
            // The same owner held it on another node: that node closes it.
            let notice = format!("{}\u{1f}{owner}", self.0.node);
            let _ = self.0.topics.publish(&Self::topic(name), notice, &[]);
        }
        let key = NameKey::of(name).case;
        let mut held = self.held();
        match held.get_mut(&key) {
            Some(entry) if entry.owner == owner => entry.conns.push(conn.clone()),
            _ => {
                let listening = self.listen(name);
                let entry = Held {
                    name: name.to_owned(),
                    owner: owner.to_owned(),
                    conns: vec![conn.clone()],
                    _takeovers: listening,
                };
                held.insert(key, entry);
            }
        }
        Ok(())
    }

    /// Listens for another node taking `name` over.
    fn listen(&self, name: &str) -> Listening {
        let weak = Arc::downgrade(&self.0);
        let key = NameKey::of(name).case;
        self.0.topics.listen(&Self::topic(name), move |message| {
            let Some(inner) = weak.upgrade() else { return };
            let message = message.message();
            let Some(text) = message.as_text() else { return };
            let Some((node, _owner)) = text.split_once('\u{1f}') else { return };
            if node == inner.node {
                return;
            }
            let names = ClusterNames(inner);
            let replaced = names.held().remove(&key);
            if let Some(held) = replaced {
                for conn in held.conns {
                    conn.close(REPLACED, "replaced by a new connection");
                }
            }
        })
    }

    /// `conn` gives `name` up; the lease goes once no connection of this
    /// node holds it.
    pub fn release(&self, conn: &Conn, name: &str) {
        let key = NameKey::of(name).case;
        let owner = {
            let mut held = self.held();
            let Some(entry) = held.get_mut(&key) else { return };
            entry.conns.retain(|c| c.id() != conn.id());
            if !entry.conns.is_empty() {
                return;
            }
            held.remove(&key).map(|entry| entry.owner)
        };
        let Some(owner) = owner else { return };
        let (case, look) = self.keys(name);
        let engine = self.0.engine.clone();
        let node = self.0.node.clone();
        tokio::spawn(async move {
            let mut release = redis::cmd("EVAL");
            release.arg(HELD).arg(2).arg(case).arg(look).arg(owner).arg(node);
            if let Err(error) = engine.query::<i64>(&release).await {
                tracing::warn!(%error, "a name's lease was not given back (it expires)");
            }
        });
    }

    /// The holder of `name` on another node, if any.
    pub async fn holder(&self, name: &str) -> Result<Option<RemoteHolder>, Refusal> {
        let (case, _) = self.keys(name);
        let held: Option<String> = self
            .0
            .engine
            .query(redis::cmd("GET").arg(case))
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        Ok(held.and_then(|value| {
            let mut parts = value.splitn(3, '\u{1f}');
            let (owner, _node, name) = (parts.next()?, parts.next()?, parts.next()?);
            Some(RemoteHolder { name: name.to_owned(), owner: owner.to_owned() })
        }))
    }

    /// Renews the leases of the names held here, [`RENEW_AT_ONCE`] at a
    /// time on the multiplexed connection (a round trip for each batch, not
    /// for each name).
    async fn renew(&self) {
        let names: Vec<(String, String)> =
            self.held().values().map(|h| (h.name.clone(), h.owner.clone())).collect();
        for batch in names.chunks(RENEW_AT_ONCE) {
            join_all(batch.iter().map(|(name, owner)| self.renew_one(name, owner))).await;
        }
    }

    async fn renew_one(&self, name: &str, owner: &str) {
        let (case, look) = self.keys(name);
        let mut renew = redis::cmd("EVAL");
        renew
            .arg(HELD)
            .arg(2)
            .arg(case)
            .arg(look)
            .arg(owner)
            .arg(&self.0.node)
            .arg(LEASE.as_millis() as u64);
        if let Err(error) = self.0.engine.query::<i64>(&renew).await {
            tracing::warn!(%error, name, "a name's lease was not renewed");
        }
    }
}

fn unavailable(error: &str) -> Refusal {
    tracing::error!(%error, "the cluster's names could not be read");
    Refusal::new(
        ErrorCode::StorageFailed,
        "the server could not check the name (its Redis did not answer)",
    )
}
