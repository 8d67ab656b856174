//! The room log: SQLite behind one thread, which stores messages in
//! batches and delivers them. Catch-ups (join, resume) run on the same
//! thread, between batches, so a room's history and its live stream are cut
//! at the same point: nothing is missed, nothing is sent twice.

mod ack_to;
pub mod answers;
mod api_job;
mod block_table;
mod db;
mod schema;
mod worker;

use std::path::Path;
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use capstan::{Conn, ConnId, Topics};

pub use ack_to::{AckTo, ApiAck, ApiStored};
pub use api_job::{
    ApiJob, HistoryAnswer, HistoryQuery, HistoryRefusal, check_since, check_since_epoch,
};
pub use db::{Appended, Db, Page};

pub use crate::message::{NewMessage, StoredMessage};

use crate::blocks::{Blocked, Blocks};
use crate::protocol::Since;
use crate::room::Room;
use crate::rooms::Rooms;

/// How the answer to a join is sent.
#[derive(Debug, Clone)]
pub enum JoinAnswer {
    /// As the `add_user` answer (joining `general` after taking a name).
    AddUser {
        /// The name taken.
        username: String,
        /// The session token.
        session: String,
        /// The public rooms the user is in.
        rooms: Vec<String>,
        /// Whose block list to load (the name's owner).
        owner: String,
    },
    /// As `joined`.
    Joined,
}

/// Work for the store's thread.
#[derive(Debug)]
pub enum Job {
    /// Store a message, then deliver it and acknowledge it.
    Append {
        /// The message.
        message: NewMessage,
        /// Who hears it was stored: the connection that sent it, or the
        /// server API.
        ack: AckTo,
        /// For a direct message: the recipient's name.
        direct_to: Option<String>,
    },
    /// Subscribe to a room (public rooms) and send what was missed.
    Join {
        /// Who joins.
        conn: Conn,
        /// The room.
        room: Room,
        /// The last id seen (and its epoch), if resuming.
        after: Option<Since>,
        /// How to answer.
        answer: JoinAnswer,
    },
    /// Leave a public room (already left in the connection's session and
    /// in the rooms): unsubscribe and answer `left`. Queued behind any join
    /// still waiting, so the answers keep the requests' order.
    Leave {
        /// Who leaves.
        conn: Conn,
        /// The room.
        room: String,
    },
    /// A page of history.
    History {
        /// Who asks.
        conn: Conn,
        /// The room.
        room: String,
        /// Messages below this id.
        before: Option<u64>,
        /// Messages above this id.
        after: Option<u64>,
        /// At most this many.
        limit: usize,
    },
    /// A page of the list of public rooms.
    Rooms {
        /// Who asks.
        conn: Conn,
        /// Rooms after this name.
        after: Option<String>,
        /// At most this many.
        limit: usize,
    },
    /// `conn` goes by `name` now: direct messages to `name` reach it.
    Online {
        /// The name.
        name: String,
        /// The connection.
        conn: Conn,
    },
    /// `conn` no longer goes by `name`.
    Offline {
        /// The name.
        name: String,
        /// The connection.
        conn: ConnId,
    },
    /// `conn`, whose name `owner` owns, blocks a user: stored, then in
    /// force for what is delivered after; answered `blocked`.
    Block {
        /// Who blocks.
        conn: Conn,
        /// Whose list it goes in.
        owner: String,
        /// Whom.
        blocked: Blocked,
    },
    /// `conn` no longer blocks the user `name`; answered `unblocked`.
    Unblock {
        /// Who unblocks.
        conn: Conn,
        /// Whose list.
        owner: String,
        /// Whom (a user name).
        name: String,
    },
    /// `conn` closed: forget its block list.
    Closed {
        /// The connection.
        conn: ConnId,
    },
    /// Work for the server API.
    Api(ApiJob),
    /// Answer whether the store can be read (a readiness probe, `/readyz`):
    /// it goes through the queue, so a stuck store fails it too.
    Ping(tokio::sync::oneshot::Sender<Result<(), String>>),
    /// Finish what is queued and stop.
    Stop,
}

/// Limits of the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Messages kept per room (0: all).
    pub retain_messages: u64,
    /// Days messages are kept (0: forever).
    pub retain_days: u64,
    /// Days after its last message a room (public or direct) is removed
    /// with its history (0: never).
    pub room_idle_days: u64,
    /// Days after a session last connected its block list is forgotten
    /// (0: never).
    pub session_idle_days: u64,
    /// Most users one user may block.
    pub max_blocks: usize,
    /// Messages sent with a plain join or `add_user`.
    pub history_on_join: usize,
    /// Most messages sent when resuming a room.
    pub max_catch_up: usize,
    /// Most jobs taken from the queue at once; the messages among them are
    /// stored in one transaction (one disk sync).
    pub max_batch: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            retain_messages: 10_000,
            retain_days: 0,
            room_idle_days: 30,
            session_idle_days: 30,
            max_blocks: 1000,
            history_on_join: 50,
            max_catch_up: 500,
            max_batch: 512,
        }
    }
}

/// Why a job was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreBusy {
    /// The queue is full.
    Full,
    /// The thread has stopped.
    Stopped,
}

/// The handle to the store's thread. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: SyncSender<Job>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Jobs waiting at most; past it, messages are refused (`storage_failed`).
const QUEUE: usize = 65_536;

/// What the store's thread shares with the chat.
#[derive(Clone)]
pub struct Shared {
    /// Where messages are delivered.
    pub topics: Topics,
    /// The public rooms: members, caps, which are stored.
    pub rooms: Arc<Rooms>,
    /// The block lists of open connections.
    pub blocks: Arc<Blocks>,
    /// Where store latencies are observed (`/metrics`).
    pub metrics: capstan_api::Metrics,
}

impl Store {
    /// Opens the database at `path` and starts the thread.
    pub fn open(path: &Path, config: StoreConfig, shared: Shared) -> rusqlite::Result<Self> {
        Self::start(Db::open(path)?, config, shared)
    }

    /// Starts the thread over an open database, after telling the rooms
    /// which are stored.
    pub fn start(db: Db, config: StoreConfig, shared: Shared) -> rusqlite::Result<Self> {
        for room in db.public_rooms()? {
            shared.rooms.set_stored(&room, true);
        }
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("chat-store".into())
            .spawn(move || worker::run(db, config, shared, queue))
            .expect("spawn the store thread");
        Ok(Self { jobs, thread: Arc::new(Mutex::new(Some(thread))) })
    }

    /// Queues a job without waiting.
    pub fn submit(&self, job: Job) -> Result<(), StoreBusy> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => StoreBusy::Full,
            TrySendError::Disconnected(_) => StoreBusy::Stopped,
        })
    }

    /// Lets the thread finish what is queued, and waits for it.
    pub fn stop(&self) {
        let _ = self.jobs.send(Job::Stop);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}
