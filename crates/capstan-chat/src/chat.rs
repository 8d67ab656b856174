//! The chat as a Capstan component: checks each request, keeps names and
//! room membership, and hands storage and delivery to the store's thread.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use capstan::Rejection;
use capstan::http::{Authenticator, JwtAuth, JwtClaims};
use capstan::{CloseCode, CloseInfo, Conn, Message, Request, StatefulComponent, Topics};
use serde_json::json;

use crate::blocks::{Blocked, Blocks};
use crate::cluster::{ClusterMembers, ClusterNames, RemoteHolder};
use crate::content;
use crate::direct_budget::DirectBudget;
use crate::errors::{ErrorCode, Refusal};
use crate::hooks::{ChatHooks, hook_user};
use crate::name_registry::NameRegistry;
use crate::names;
use crate::protocol::{self, Command, Since, server as wire};
use crate::rate::{RateLimiter, Verdict};
use crate::room::{DEFAULT_ROOM, Room};
use crate::rooms::{MEMBER_PAGE, Rooms};
use crate::storage::Storage;
use crate::store::{AckTo, Job, JoinAnswer, NewMessage, Shared, StoreBusy};
use crate::time::now_ms;
use crate::user::{LeftByServer, Session, new_token};

pub use crate::name_registry::REPLACED;
/// Rooms listed per `rooms` answer unless the request asks otherwise.
pub const ROOMS_PAGE: usize = 100;
/// Most rooms listed per `rooms` answer.
pub const MAX_ROOMS_PAGE: usize = 500;

/// Limits of the chat protocol.
#[derive(Debug, Clone)]
pub struct ChatLimits {
    /// Largest message content, in bytes of UTF-8.
    pub max_message_bytes: usize,
    /// Requests per second per connection.
    pub rate: f64,
    /// Requests allowed in a burst.
    pub burst: u32,
    /// Public rooms one user may be in at once (`general` included).
    pub max_rooms_per_user: usize,
    /// New direct conversations one user may start per minute (0: no
    /// limit).
    pub new_directs_per_minute: u32,
}

impl Default for ChatLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 4096,
            rate: 10.0,
            burst: 20,
            max_rooms_per_user: 100,
            new_directs_per_minute: 10,
        }
    }
}

/// The user a verified token names: the identity [`TokenAuth`] attaches to
/// a connection when the server requires tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenUser {
    /// The chat name: the token's `name` claim, or its `sub` when it has no
    /// `name`, checked and normalized like any user name.
    pub name: String,
    /// The verified claims.
    pub claims: JwtClaims,
}

/// Requires a valid token to open the WebSocket and names its user (an
/// [`Authenticator`] for `capstan::http::Authenticate`). A token whose
/// name is not a valid chat name is refused with 403.
#[derive(Debug, Clone)]
pub struct TokenAuth(pub Arc<JwtAuth>);

impl Authenticator for TokenAuth {
    type Identity = TokenUser;

    async fn authenticate(&self, request: &Request) -> Result<TokenUser, Rejection> {
        let claims = self.0.check(request)?;
        let raw = claims.name.as_deref().filter(|n| !n.trim().is_empty()).or(claims.sub.as_deref());
        let Some(raw) = raw else {
            return Err(Rejection::new(403, "the token has neither a name nor a sub claim"));
        };
        match names::user_name(raw) {
            Ok(name) => Ok(TokenUser { name, claims }),
            Err(refusal) => Err(Rejection::new(
                403,
                format!("the token's user name is not valid here: {}", refusal.message),
            )),
        }
    }
}

/// The chat component.
pub struct Chat {
    store: Storage,
    topics: Topics,
    limits: ChatLimits,
    names: Arc<NameRegistry>,
    rooms: Arc<Rooms>,
    blocks: Arc<Blocks>,
    directs: DirectBudget,
    /// The application's backend hooks, if configured.
    hooks: ChatHooks,
    /// Names and members across the cluster's nodes (`--redis`), if in one.
    cluster: Option<ClusterNames>,
    members: Option<ClusterMembers>,
}

impl Chat {
    /// A chat storing through `store`, and sharing with it the topics it
    /// delivers to, the rooms and the block lists.
    pub fn new(store: Storage, shared: Shared, limits: ChatLimits) -> Self {
        let directs = DirectBudget::new(limits.new_directs_per_minute);
        Self {
            store,
            topics: shared.topics,
            limits,
            names: Arc::new(NameRegistry::new()),
            rooms: shared.rooms,
            blocks: shared.blocks,
            directs,
            hooks: ChatHooks::default(),
            cluster: None,
            members: None,
        }
    }

    /// A chat that is one node of a cluster: names are unique across its
    /// nodes, direct messages reach users on any of them.
    pub fn in_cluster(mut self, names: ClusterNames, members: ClusterMembers) -> Self {
        self.cluster = Some(names);
        self.members = Some(members);
        self
    }

    /// The names this node's connections hold (the server API counts its
    /// users from them).
    pub fn name_registry(&self) -> Arc<NameRegistry> {
        self.names.clone()
    }

    /// A chat that asks the application's backend before joins and
    /// messages.
    pub fn with_hooks(mut self, hooks: ChatHooks) -> Self {
        self.hooks = hooks;
        self
    }

    fn submit(&self, job: Job) -> Result<(), Refusal> {
        self.store.submit(job).map_err(|busy| {
            let message = match busy {
                StoreBusy::Full => "the server is too busy to store messages now",
                StoreBusy::Stopped => "the server is shutting down",
            };
            Refusal::new(ErrorCode::StorageFailed, message)
        })
    }

    async fn handle(&self, conn: &Conn, me: &mut Session, command: Command) -> Result<(), Refusal> {
        match command {
            Command::AddUser { username, session, rooms } => {
                self.add_user(conn, me, &username, session, rooms).await
            }
            Command::RenameUser { username } => self.rename(conn, me, &username).await,
            Command::Message { content, room, client_id } => {
                let name = named(me)?;
                let room = Room::parse(room.as_deref().unwrap_or(DEFAULT_ROOM))?;
                if room.is_direct() || !in_room(me, &room.name()) {
                    return Err(not_in_room(&room.name()));
                }
                content::content(&content, self.limits.max_message_bytes)?;
                content::client_id(client_id.as_deref())?;
                let room = room.name();
                let content = self.hooks.text(conn, &room, content).await?;
                // The backend's text follows the same rules.
                content::content(&content, self.limits.max_message_bytes)?;
                let message = NewMessage {
                    room: room.clone(),
                    author: name,
                    content,
                    created_ms: now_ms(),
                    client_id,
                };
                self.rooms.append_started(&room);
                self.submit(Job::Append {
                    message,
                    ack: AckTo::Conn(conn.clone()),
                    direct_to: None,
                })
                .inspect_err(|_| self.rooms.append_finished(&room, false))
            }
            Command::Direct { to, content, client_id } => {
                self.direct(conn, me, &to, content, client_id).await
            }
            Command::Join { room, after } => {
                if let Ok(Room::Public(name)) = Room::parse(&room)
                    && me.name.is_some()
                    && !in_room(me, &name)
                {
                    self.hooks.may_join(conn, &name).await?;
                }
                self.join(conn, me, &room, after)
            }
            Command::Leave { room } => {
                let name = named(me)?;
                let room = Room::parse(&room)?.name();
                if !in_room(me, &room) {
                    return Err(not_in_room(&room));
                }
                // Out of the room at once (the answer to this request must
                // find the room as it leaves it), unsubscribed through the
                // store's queue, behind a join of this room that may still
                // wait there.
                self.exit(conn, me, &room);
                self.submit(Job::Leave { conn: conn.clone(), room: room.clone() }).inspect_err(
                    |_| {
                        // Still subscribed: still in. (The room existed a
                        // moment ago; only a full server refuses it back.)
                        if self.rooms.join(&room, conn.id(), &name).is_ok() {
                            me.rooms.insert(room.clone());
                        }
                    },
                )
            }
            Command::Rooms { after, limit } => {
                named(me)?;
                let limit = page_size(limit, ROOMS_PAGE, MAX_ROOMS_PAGE);
                self.submit(Job::Rooms { conn: conn.clone(), after, limit })
            }
            Command::Members { room, after, limit } => {
                named(me)?;
                let room = Room::parse(&room)?.name();
                if !in_room(me, &room) {
                    return Err(not_in_room(&room));
                }
                let limit = page_size(limit, MEMBER_PAGE, MEMBER_PAGE);
                let page = match &self.members {
                    Some(members) => {
                        members.page(&room, &self.rooms, after.as_deref(), limit).await?
                    }
                    None => self.rooms.members(&room, after.as_deref(), limit),
                };
                let data = json!({
                    "room": room,
                    "members": page.names,
                    "member_count": page.total,
                    "has_more": page.more,
                });
                let _ = conn.send_text(wire::envelope("members", data));
                Ok(())
            }
            Command::History { room, before, after, limit } => {
                let name = named(me)?;
                let room = Room::parse(&room)?;
                let allowed = if room.is_direct() {
                    room.readable_by(&name)
                } else {
                    in_room(me, &room.name())
                };
                if !allowed {
                    return Err(not_in_room(&room.name()));
                }
                let limit = limit.unwrap_or(50).clamp(1, 100) as usize;
                self.submit(Job::History {
                    conn: conn.clone(),
                    room: room.name(),
                    before,
                    after,
                    limit,
                })
            }
            Command::Typing { room, active } => {
                let name = named(me)?;
                let room = Room::parse(&room)?.name();
                if !in_room(me, &room) {
                    return Err(not_in_room(&room));
                }
                let mut skip = self.blocks.blockers_of(&name);
                skip.push(conn.id());
                self.topics.publish(&room, wire::typing(&room, &name, active), &skip);
                Ok(())
            }
            Command::Block { user } => {
                let name = named(me)?;
                let user = names::user_name(&user)?;
                if names::name_key(&user) == names::name_key(&name) {
                    return Err(Refusal::new(ErrorCode::InvalidField, "you cannot block yourself"));
                }
                let owner = owner(me)?;
                self.submit(Job::Block { conn: conn.clone(), owner, blocked: Blocked::new(&user) })
            }
            Command::Unblock { user } => {
                named(me)?;
                let name = names::user_name(&user)?;
                let owner = owner(me)?;
                self.submit(Job::Unblock { conn: conn.clone(), owner, name })
            }
        }
    }

    async fn direct(
        &self,
        conn: &Conn,
        me: &mut Session,
        to: &str,
        content: String,
        client_id: Option<String>,
    ) -> Result<(), Refusal> {
        let name = named(me)?;
        let to = names::user_name(to)?;
        let local = self.names.holder(&to).filter(|h| h.conn.id() != conn.id());
        let recipient = match (local, &self.cluster) {
            (Some(holder), _) => Some(RemoteHolder { name: holder.name, owner: holder.owner }),
            // Not on this node: on another one of the cluster, perhaps.
            (None, Some(cluster)) => cluster
                .holder(&to)
                .await?
                .filter(|h| names::name_key(&h.name) != names::name_key(&name)),
            (None, None) => None,
        };
        let Some(recipient) = recipient else {
            return Err(Refusal::new(ErrorCode::UserOffline, format!("{to} is not connected")));
        };
        content::content(&content, self.limits.max_message_bytes)?;
        content::client_id(client_id.as_deref())?;
        let owner = owner(me)?;
        if !self.directs.try_start(&owner, &names::name_key(&recipient.name)) {
            let message = format!(
                "you started {} new direct conversations in the last minute: wait, or write to \
                 someone you already talk to",
                self.limits.new_directs_per_minute
            );
            return Err(Refusal::new(ErrorCode::TooManyConversations, message));
        }
        self.directs.heard_from(&recipient.owner, &names::name_key(&name));
        let to = recipient.name;
        let room = Room::direct(&name, &to).name();
        let message = NewMessage { room, author: name, content, created_ms: now_ms(), client_id };
        let ack = AckTo::Conn(conn.clone());
        self.submit(Job::Append { message, ack, direct_to: Some(to) })
    }

    fn join(
        &self,
        conn: &Conn,
        me: &mut Session,
        room: &str,
        after: Option<Since>,
    ) -> Result<(), Refusal> {
        let name = named(me)?;
        let room = Room::parse(room)?;
        if !room.readable_by(&name) {
            return Err(not_in_room(&room.name()));
        }
        let job =
            Job::Join { conn: conn.clone(), room: room.clone(), after, answer: JoinAnswer::Joined };
        if room.is_direct() || in_room(me, &room.name()) {
            return self.submit(job);
        }
        let room = room.name();
        self.enter(conn, me, &room, &name)?;
        self.submit(job).inspect_err(|_| self.exit(conn, me, &room))
    }

    /// Puts `conn`, named `name`, in the public `room`: within the user's
    /// and the server's caps.
    fn enter(&self, conn: &Conn, me: &mut Session, room: &str, name: &str) -> Result<(), Refusal> {
        let joined = me.rooms.len();
        if joined >= self.limits.max_rooms_per_user {
            let message = format!(
                "you are in {} rooms, the most one user may be in: leave one first",
                self.limits.max_rooms_per_user
            );
            return Err(Refusal::new(ErrorCode::TooManyRooms, message));
        }
        self.rooms.join(room, conn.id(), name)?;
        me.rooms.insert(room.to_owned());
        Ok(())
    }

    /// Takes `conn` out of the public `room`.
    fn exit(&self, conn: &Conn, me: &mut Session, room: &str) {
        me.rooms.remove(room);
        self.rooms.leave(room, conn.id());
    }

    async fn add_user(
        &self,
        conn: &Conn,
        me: &mut Session,
        username: &str,
        session: Option<String>,
        resume: BTreeMap<String, Since>,
    ) -> Result<(), Refusal> {
        if me.name.is_some() {
            return self.rename(conn, me, username).await;
        }
        let token_user = conn.identity::<TokenUser>();
        let hook_user = hook_user(conn);
        let name = match (token_user, &hook_user) {
            // The token decides the name; the one asked for is ignored.
            (Some(user), _) => user.name.clone(),
            // So does the application's backend, through the connect hook.
            (None, Some(user)) => names::user_name(user).map_err(|refusal| {
                Refusal::new(
                    refusal.code,
                    format!("the name the backend gave is not valid here: {}", refusal.message),
                )
            })?,
            (None, None) => names::user_name(username)?,
        };
        if let Some(token) = session.filter(|t| !t.is_empty() && t.len() <= 128) {
            me.token = token;
        }
        let token = me.token.clone();
        // Who may take the name over from an earlier connection: the same
        // session, or, with tokens, any connection whose token names the
        // same user (exactly: "Ann" does not take over "ann").
        let owner = match (token_user, &hook_user) {
            (Some(user), _) => format!("token:{}", user.name),
            (None, Some(user)) => format!("hook:{user}"),
            (None, None) => token.clone(),
        };
        let replaced = self.names.claim(conn, &name, &owner)?;
        if let Some(cluster) = &self.cluster
            && let Err(refusal) = cluster.claim(conn, &name, &owner).await
        {
            self.names.release(conn.id(), &name);
            return Err(refusal);
        }
        for replaced in replaced {
            replaced.close(REPLACED, "replaced by a new connection");
        }
        me.name = Some(name.clone());
        me.owner = Some(owner.clone());

        // `general` first (always allowed), then the rooms to resume, each
        // within the caps; a room refused is answered on its own.
        let mut rooms = vec![(Room::general(), resume.get(DEFAULT_ROOM).cloned())];
        let refuse = |refusal: Refusal, room: &str| {
            send_refusal(conn, &refusal.for_type("add_user").for_room(room));
        };
        for (room_name, last) in &resume {
            match Room::parse(room_name) {
                Ok(room) if room == Room::general() => {}
                Ok(room) if !room.readable_by(&name) => {
                    refuse(not_in_room(&room.name()), room_name)
                }
                Ok(Room::Public(public)) => match self.hooks.may_join(conn, &public).await {
                    Ok(()) => rooms.push((Room::Public(public), Some(last.clone()))),
                    Err(refusal) => refuse(refusal, room_name),
                },
                Ok(room) => rooms.push((room, Some(last.clone()))),
                Err(refusal) => refuse(refusal, room_name),
            }
        }
        let mut rooms = rooms.into_iter();
        let (general, after) = rooms.next().expect("general comes first");
        if let Err(refusal) = self.enter(conn, me, &general.name(), &name) {
            self.release(conn, me, &name);
            return Err(refusal);
        }
        let mut entered = Vec::with_capacity(rooms.len());
        for (room, last) in rooms {
            if room.is_direct() {
                entered.push((room, last));
                continue;
            }
            match self.enter(conn, me, &room.name(), &name) {
                Ok(()) => entered.push((room, last)),
                Err(refusal) => refuse(refusal, &room.name()),
            }
        }
        let public: Vec<String> = me.rooms.iter().cloned().collect();
        let answer =
            JoinAnswer::AddUser { username: name.clone(), session: token, rooms: public, owner };
        let online = Job::Online { name: name.clone(), conn: conn.clone() };
        let joined = self.submit(online).and_then(|()| {
            self.submit(Job::Join { conn: conn.clone(), room: general, after, answer })
        });
        if let Err(refusal) = joined {
            // Not half named: the client may simply send add_user again.
            self.release(conn, me, &name);
            return Err(refusal);
        }
        for (room, after) in entered {
            let name = room.name();
            let job = Job::Join { conn: conn.clone(), room, after, answer: JoinAnswer::Joined };
            if let Err(refusal) = self.submit(job) {
                self.exit(conn, me, &name);
                refuse(refusal, &name);
            }
        }
        Ok(())
    }

    /// Undoes a name taken by `conn` and the rooms it entered.
    fn release(&self, conn: &Conn, me: &mut Session, name: &str) {
        self.names.release(conn.id(), name);
        if let Some(cluster) = &self.cluster {
            cluster.release(conn, name);
        }
        me.name = None;
        me.owner = None;
        let rooms = std::mem::take(&mut me.rooms);
        self.rooms.leave_all(&rooms, conn.id());
        let _ = self.store.submit(Job::Offline { name: name.to_owned(), conn: conn.id() });
    }

    async fn rename(&self, conn: &Conn, me: &mut Session, username: &str) -> Result<(), Refusal> {
        let old = named(me)?;
        let new = match (conn.identity::<TokenUser>(), hook_user(conn)) {
            // The token (or the backend) decides: a rename keeps its name.
            (Some(user), _) => user.name.clone(),
            (None, Some(_)) => old.clone(),
            (None, None) => names::user_name(username)?,
        };
        if new == old {
            let _ = conn.send_text(wire::envelope("renamed", json!({ "username": new })));
            return Ok(());
        }
        let owner = owner(me)?;
        self.names.rename(conn, &old, &new, &owner)?;
        if let Some(cluster) = &self.cluster {
            if let Err(refusal) = cluster.claim(conn, &new, &owner).await {
                // Back to the old name here too.
                let _ = self.names.rename(conn, &new, &old, &owner);
                return Err(refusal);
            }
            cluster.release(conn, &old);
        }
        me.name = Some(new.clone());
        let rooms = me.rooms.clone();
        self.submit(Job::Offline { name: old.clone(), conn: conn.id() })?;
        self.submit(Job::Online { name: new.clone(), conn: conn.clone() })?;
        let _ = conn.send_text(wire::envelope("renamed", json!({ "username": new })));
        self.rooms.rename(&rooms, conn.id(), &new);
        Ok(())
    }
}

impl StatefulComponent for Chat {
    type State = Session;

    async fn on_open(&self, _conn: &Conn) -> Session {
        Session {
            name: None,
            token: new_token(),
            owner: None,
            rooms: BTreeSet::new(),
            limiter: RateLimiter::new(self.limits.rate, self.limits.burst),
        }
    }

    async fn on_message(&self, conn: &Conn, me: &mut Session, message: Message) {
        LeftByServer::apply(conn, me);
        // Binary frames are refused, and count against the rate limit too.
        let command = match message {
            Message::Text(text) => protocol::parse(&text),
            Message::Binary(_) => Err(Refusal::new(
                ErrorCode::BinaryUnsupported,
                "binary messages are not part of the protocol",
            )),
        };
        let (kind, client_id, room) = match &command {
            Ok(command) => {
                (Some(command.type_name()), command_client_id(command), command_room(command))
            }
            Err(refusal) => (refusal.request_type.as_deref(), refusal.client_id.clone(), None),
        };
        match me.limiter.check() {
            Verdict::Allow => {}
            Verdict::Refuse => {
                let mut refusal =
                    Refusal::new(ErrorCode::RateLimited, "too many requests: slow down")
                        .for_client_id(client_id.as_deref());
                refusal.request_type = kind.map(str::to_owned);
                return send_refusal(conn, &refusal);
            }
            Verdict::Disconnect => return conn.close(CloseCode::POLICY_VIOLATION, "flooding"),
        }
        let result = match command {
            Ok(command) => {
                let kind = command.type_name();
                self.handle(conn, me, command).await.map_err(|mut refusal| {
                    refusal.request_type.get_or_insert_with(|| kind.to_owned());
                    if refusal.client_id.is_none() {
                        refusal.client_id = client_id.clone();
                    }
                    if refusal.room.is_none() {
                        refusal.room = room.clone();
                    }
                    refusal
                })
            }
            Err(refusal) => Err(refusal),
        };
        if let Err(refusal) = result {
            send_refusal(conn, &refusal);
        }
    }

    async fn on_close(&self, conn: &Conn, mut me: Session, _close: CloseInfo) {
        LeftByServer::apply(conn, &mut me);
        let Some(name) = me.name.clone() else { return };
        self.names.release(conn.id(), &name);
        if let Some(cluster) = &self.cluster {
            cluster.release(conn, &name);
        }
        let rooms = std::mem::take(&mut me.rooms);
        self.rooms.leave_all(&rooms, conn.id());
        let _ = self.store.submit(Job::Offline { name, conn: conn.id() });
        let _ = self.store.submit(Job::Closed { conn: conn.id() });
    }
}

/// The session's name, or the refusal of a request that needs one.
fn named(me: &Session) -> Result<String, Refusal> {
    me.name
        .clone()
        .ok_or_else(|| Refusal::new(ErrorCode::NotNamed, "send add_user with a name first"))
}

/// Who owns the session's name, or the refusal of a request that needs one.
fn owner(me: &Session) -> Result<String, Refusal> {
    me.owner
        .clone()
        .ok_or_else(|| Refusal::new(ErrorCode::NotNamed, "send add_user with a name first"))
}

fn in_room(me: &Session, room: &str) -> bool {
    me.rooms.contains(room)
}

fn not_in_room(room: &str) -> Refusal {
    Refusal::new(ErrorCode::NotInRoom, format!("you are not in {room}"))
}

/// A page size asked for, brought within 1..=`most` (`default` if not
/// asked).
fn page_size(asked: Option<u32>, default: usize, most: usize) -> usize {
    asked.map_or(default, |n| (n as usize).clamp(1, most))
}

fn command_client_id(command: &Command) -> Option<String> {
    match command {
        Command::Message { client_id, .. } | Command::Direct { client_id, .. } => client_id.clone(),
        _ => None,
    }
}

/// The room a request is about, as sent.
fn command_room(command: &Command) -> Option<String> {
    match command {
        Command::Message { room, .. } => {
            Some(room.clone().unwrap_or_else(|| DEFAULT_ROOM.to_owned()))
        }
        Command::Join { room, .. }
        | Command::Leave { room }
        | Command::History { room, .. }
        | Command::Members { room, .. }
        | Command::Typing { room, .. } => Some(room.clone()),
        _ => None,
    }
}

fn send_refusal(conn: &Conn, refusal: &Refusal) {
    let _ = conn.send_text(wire::error(refusal));
}
