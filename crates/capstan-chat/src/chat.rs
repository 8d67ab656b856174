//! The chat as a Capstan component: checks each request, keeps names and
//! room membership, and hands storage and delivery to the store's thread.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use capstan::http::{Authenticator, JwtAuth, JwtClaims, Rejection};
use capstan::{CloseCode, CloseInfo, Component, Conn, Message, Request, Topics};

use crate::errors::{ErrorCode, Refusal};
use crate::names::{self, DEFAULT_ROOM, Room};
use crate::protocol::{self, Command, server as wire};
use crate::rate::{RateLimiter, Verdict};
use crate::store::{Job, JoinAnswer, NewMessage, Store, StoreBusy, worker_members};
use crate::time::now_ms;
use crate::user::{Session, UserName, new_token};

/// Close code for a connection whose name was taken over by its own
/// reconnecting client.
pub const REPLACED: CloseCode = CloseCode(4001);

/// Limits of the chat protocol.
#[derive(Debug, Clone)]
pub struct ChatLimits {
    /// Largest message content, in bytes of UTF-8.
    pub max_message_bytes: usize,
    /// Requests per second per connection.
    pub rate: f64,
    /// Requests allowed in a burst.
    pub burst: u32,
}

impl Default for ChatLimits {
    fn default() -> Self {
        Self { max_message_bytes: 4096, rate: 10.0, burst: 20 }
    }
}

/// The user a verified token names: the identity [`TokenAuth`] attaches to
/// a connection when the server requires tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenUser {
    /// The chat name: the token's `name` claim, or its `sub` when it has no
    /// `name`, checked like any user name.
    pub name: String,
    /// The verified claims.
    pub claims: JwtClaims,
}

/// Requires a valid token to open the WebSocket and names its user (an
/// [`Authenticator`] for `capstan::http::Authenticate`). A token whose
/// name is not a valid chat name is refused with 403.
#[derive(Debug)]
pub struct TokenAuth(pub JwtAuth);

impl Authenticator for TokenAuth {
    type Identity = TokenUser;

    fn authenticate(&self, request: &Request) -> Result<TokenUser, Rejection> {
        let claims = self.0.authenticate(request)?;
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

struct Holder {
    name: String,
    conn: Conn,
    /// Who owns the name: a session token, or `token:NAME` for a user
    /// named by a verified token.
    token: String,
}

/// The chat component.
pub struct Chat {
    store: Store,
    topics: Topics,
    limits: ChatLimits,
    /// Who holds which name (by case-insensitive key).
    names: Mutex<HashMap<String, Holder>>,
}

impl Chat {
    /// A chat storing through `store` and broadcasting through `topics`
    /// (the same topics the store delivers to).
    pub fn new(store: Store, topics: Topics, limits: ChatLimits) -> Self {
        Self { store, topics, limits, names: Mutex::new(HashMap::new()) }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<String, Holder>> {
        self.names.lock().unwrap_or_else(|p| p.into_inner())
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

    fn handle(&self, conn: &Conn, command: Command) -> Result<(), Refusal> {
        match command {
            Command::AddUser { username, session, rooms } => {
                self.add_user(conn, &username, session, rooms)
            }
            Command::RenameUser { username } => self.rename(conn, &username),
            Command::Message { content, room, client_id } => {
                let name = named(conn)?;
                let room = Room::parse(room.as_deref().unwrap_or(DEFAULT_ROOM))?;
                if room.is_direct() || !in_room(conn, &room.name()) {
                    return Err(not_in_room(&room.name()));
                }
                names::content(&content, self.limits.max_message_bytes)?;
                names::client_id(client_id.as_deref())?;
                let message = NewMessage {
                    room: room.name(),
                    author: name,
                    content,
                    created_ms: now_ms(),
                    client_id,
                };
                self.submit(Job::Append { message, sender: conn.clone(), direct_to: None })
            }
            Command::Direct { to, content, client_id } => {
                let name = named(conn)?;
                let to = names::user_name(&to)?;
                let recipient =
                    self.names().get(&names::name_key(&to)).map(|h| (h.name.clone(), h.conn.id()));
                let to = match recipient {
                    Some((to, id)) if id != conn.id() => to,
                    _ => {
                        return Err(Refusal::new(
                            ErrorCode::UserOffline,
                            format!("{to} is not connected"),
                        ));
                    }
                };
                names::content(&content, self.limits.max_message_bytes)?;
                names::client_id(client_id.as_deref())?;
                let room = Room::direct(&name, &to).name();
                let message =
                    NewMessage { room, author: name, content, created_ms: now_ms(), client_id };
                self.submit(Job::Append { message, sender: conn.clone(), direct_to: Some(to) })
            }
            Command::Join { room, after } => {
                let name = named(conn)?;
                let room = Room::parse(&room)?;
                if !room.readable_by(&name) {
                    return Err(not_in_room(&room.name()));
                }
                if !room.is_direct() {
                    with_session(conn, |s| s.rooms.insert(room.name()));
                }
                self.submit(Job::Join {
                    conn: conn.clone(),
                    room,
                    after,
                    answer: JoinAnswer::Joined,
                })
            }
            Command::Leave { room } => {
                named(conn)?;
                let room = Room::parse(&room)?.name();
                if !with_session(conn, |s| s.rooms.remove(&room)) {
                    return Err(not_in_room(&room));
                }
                // Through the store's queue, behind a join of this room
                // that may still wait there.
                self.submit(Job::Leave { conn: conn.clone(), room: room.clone() }).inspect_err(
                    |_| {
                        with_session(conn, |s| s.rooms.insert(room));
                    },
                )
            }
            Command::Rooms => {
                named(conn)?;
                self.submit(Job::Rooms { conn: conn.clone() })
            }
            Command::History { room, before, after, limit } => {
                let name = named(conn)?;
                let room = Room::parse(&room)?;
                let allowed = if room.is_direct() {
                    room.readable_by(&name)
                } else {
                    in_room(conn, &room.name())
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
                let name = named(conn)?;
                let room = Room::parse(&room)?.name();
                if !in_room(conn, &room) {
                    return Err(not_in_room(&room));
                }
                self.topics.publish(&room, wire::typing(&room, &name, active), &[conn.id()]);
                Ok(())
            }
        }
    }

    fn add_user(
        &self,
        conn: &Conn,
        username: &str,
        session: Option<String>,
        resume: BTreeMap<String, u64>,
    ) -> Result<(), Refusal> {
        if current_name(conn).is_some() {
            return self.rename(conn, username);
        }
        let token_user = conn.identity::<TokenUser>();
        let name = match token_user {
            // The token decides the name; the one asked for is ignored.
            Some(user) => user.name.clone(),
            None => names::user_name(username)?,
        };
        if let Some(token) = session.filter(|t| !t.is_empty() && t.len() <= 128) {
            with_session(conn, |s| s.token = token);
        }
        let token = with_session(conn, |s| s.token.clone());
        // Who may take the name over from an earlier connection: the same
        // session, or, with tokens, any connection whose token names the
        // same user (exactly: "Ann" does not take over "ann").
        let owner = match token_user {
            Some(user) => format!("token:{}", user.name),
            None => token.clone(),
        };
        self.claim(conn, &name, &owner)?;
        conn.attributes().insert(UserName(name.clone()));

        let mut rooms = vec![(Room::general(), resume.get(DEFAULT_ROOM).copied())];
        for (room_name, last) in &resume {
            match Room::parse(room_name) {
                Ok(room) if room == Room::general() => {}
                Ok(room) if room.readable_by(&name) => rooms.push((room, Some(*last))),
                Ok(room) => {
                    let refusal =
                        not_in_room(&room.name()).for_type("add_user").for_room(room_name);
                    send_refusal(conn, &refusal);
                }
                Err(refusal) => {
                    send_refusal(conn, &refusal.for_type("add_user").for_room(room_name))
                }
            }
        }
        let public: Vec<String> =
            rooms.iter().filter(|(r, _)| !r.is_direct()).map(|(r, _)| r.name()).collect();
        with_session(conn, |s| {
            s.name = Some(name.clone());
            s.rooms = public.iter().cloned().collect();
        });
        let answer = JoinAnswer::AddUser { username: name.clone(), session: token, rooms: public };
        let mut rooms = rooms.into_iter();
        let (general, after) = rooms.next().expect("general comes first");
        let online = Job::Online { name: name.clone(), conn: conn.clone() };
        let joined = self.submit(online).and_then(|()| {
            self.submit(Job::Join { conn: conn.clone(), room: general, after, answer })
        });
        if let Err(refusal) = joined {
            // Not half named: the client may simply send add_user again.
            self.release(conn, &name);
            return Err(refusal);
        }
        for (room, after) in rooms {
            let name = room.name();
            let job = Job::Join { conn: conn.clone(), room, after, answer: JoinAnswer::Joined };
            if let Err(refusal) = self.submit(job) {
                with_session(conn, |s| s.rooms.remove(&name));
                send_refusal(conn, &refusal.for_type("add_user").for_room(&name));
            }
        }
        Ok(())
    }

    /// Undoes a name taken by `conn`.
    fn release(&self, conn: &Conn, name: &str) {
        let mut names = self.names();
        let key = names::name_key(name);
        if names.get(&key).is_some_and(|h| h.conn.id() == conn.id()) {
            names.remove(&key);
        }
        drop(names);
        conn.attributes().remove::<UserName>();
        with_session(conn, |s| {
            s.name = None;
            s.rooms.clear();
        });
        let _ = self.store.submit(Job::Offline { name: name.to_owned(), conn: conn.id() });
    }

    /// Takes `name` for `conn`: free, already ours, or held by an earlier
    /// connection of the same owner (a session, or a token's user), which is
    /// then closed.
    fn claim(&self, conn: &Conn, name: &str, token: &str) -> Result<(), Refusal> {
        let mut names = self.names();
        let key = names::name_key(name);
        if let Some(holder) = names.get(&key)
            && holder.conn.id() != conn.id()
        {
            if holder.token != token {
                return Err(Refusal::new(ErrorCode::NameTaken, format!("{name} is taken")));
            }
            holder.conn.close(REPLACED, "replaced by a new connection");
        }
        let holder = Holder { name: name.to_owned(), conn: conn.clone(), token: token.to_owned() };
        names.insert(key, holder);
        Ok(())
    }

    fn rename(&self, conn: &Conn, username: &str) -> Result<(), Refusal> {
        let old = named(conn)?;
        let new = match conn.identity::<TokenUser>() {
            // The token decides: a rename keeps the token's name.
            Some(user) => user.name.clone(),
            None => names::user_name(username)?,
        };
        if new == old {
            let _ =
                conn.send_text(wire::envelope("renamed", serde_json::json!({ "username": new })));
            return Ok(());
        }
        {
            let mut names = self.names();
            let new_key = names::name_key(&new);
            if names.get(&new_key).is_some_and(|h| h.conn.id() != conn.id()) {
                return Err(Refusal::new(ErrorCode::NameTaken, format!("{new} is taken")));
            }
            let token = with_session(conn, |s| s.token.clone());
            names.remove(&names::name_key(&old));
            names.insert(new_key, Holder { name: new.clone(), conn: conn.clone(), token });
        }
        conn.attributes().insert(UserName(new.clone()));
        with_session(conn, |s| s.name = Some(new.clone()));
        self.submit(Job::Offline { name: old.clone(), conn: conn.id() })?;
        self.submit(Job::Online { name: new.clone(), conn: conn.clone() })?;
        let _ = conn.send_text(wire::envelope("renamed", serde_json::json!({ "username": new })));
        let notice = wire::info(&format!("{old} is now known as {new}"));
        for room in with_session(conn, |s| s.rooms.clone()) {
            if let Some(topic) = self.topics.get(&room) {
                let members = worker_members(&topic.subscribers());
                topic.publish(wire::presence(&room, &new, "rename", &members, Some(&old)));
                topic.publish(notice.clone());
            }
        }
        Ok(())
    }
}

/// Tells a room that `conn`'s user left it.
pub(crate) fn announce_leave(topics: &Topics, conn: &Conn, room: &str) {
    let Some(name) = current_name(conn) else { return };
    let Some(topic) = topics.get(room) else { return };
    let members = worker_members(&topic.subscribers());
    if members.contains(&name) {
        return; // still there through another connection
    }
    topic.publish_except(wire::presence(room, &name, "leave", &members, None), &[conn.id()]);
    topic.publish_except(wire::info(&format!("{name} left #{room}")), &[conn.id()]);
}

impl Component for Chat {
    async fn on_open(&self, conn: &Conn) {
        conn.attributes().insert(Session {
            name: None,
            token: new_token(),
            rooms: BTreeSet::new(),
            limiter: RateLimiter::new(self.limits.rate, self.limits.burst),
        });
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
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
        match with_session(conn, |s| s.limiter.check()) {
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
        let result = command.and_then(|command| {
            let kind = command.type_name();
            self.handle(conn, command).map_err(|mut refusal| {
                refusal.request_type.get_or_insert_with(|| kind.to_owned());
                if refusal.client_id.is_none() {
                    refusal.client_id = client_id.clone();
                }
                if refusal.room.is_none() {
                    refusal.room = room.clone();
                }
                refusal
            })
        });
        if let Err(refusal) = result {
            send_refusal(conn, &refusal);
        }
    }

    async fn on_close(&self, conn: &Conn, _close: CloseInfo) {
        let Some(name) = current_name(conn) else { return };
        let replaced = {
            let mut names = self.names();
            let key = names::name_key(&name);
            match names.get(&key) {
                Some(holder) if holder.conn.id() == conn.id() => {
                    names.remove(&key);
                    false
                }
                _ => true,
            }
        };
        let _ = self.store.submit(Job::Offline { name, conn: conn.id() });
        if !replaced {
            for room in with_session(conn, |s| s.rooms.clone()) {
                announce_leave(&self.topics, conn, &room);
            }
        }
    }
}

fn with_session<R>(conn: &Conn, f: impl FnOnce(&mut Session) -> R) -> R {
    conn.attributes().with_mut(f).expect("every connection has a session from on_open")
}

fn current_name(conn: &Conn) -> Option<String> {
    conn.attributes().with(|s: &Session| s.name.clone()).flatten()
}

fn named(conn: &Conn) -> Result<String, Refusal> {
    current_name(conn)
        .ok_or_else(|| Refusal::new(ErrorCode::NotNamed, "send add_user with a name first"))
}

fn in_room(conn: &Conn, room: &str) -> bool {
    conn.attributes().with(|s: &Session| s.rooms.contains(room)).unwrap_or(false)
}

fn not_in_room(room: &str) -> Refusal {
    Refusal::new(ErrorCode::NotInRoom, format!("you are not in {room}"))
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
        | Command::Typing { room, .. } => Some(room.clone()),
        _ => None,
    }
}

fn send_refusal(conn: &Conn, refusal: &Refusal) {
    let _ = conn.send_text(wire::error(refusal));
}
