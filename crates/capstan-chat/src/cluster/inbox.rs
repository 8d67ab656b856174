//! Direct messages across nodes: each user named on this node listens on
//! the user's inbox topic; a node that stored a direct message tells both
//! users' inboxes, and every node subscribes its connections of those users
//! to the conversation from just before that message — which then arrives
//! through the catch-up, once, with whatever followed it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use capstan::pubsub::Position;
use capstan::{CloseCode, Conn, ConnId, Listening, Topics};
use serde_json::{Value, json};

use crate::names::name_key;
use crate::rooms::Rooms;
use crate::store::answers::left_by_server;

/// This node's named connections, by user name, and their inboxes.
#[derive(Clone)]
pub struct Inboxes {
    topics: Topics,
    rooms: Arc<Rooms>,
    users: Arc<Mutex<HashMap<String, User>>>,
}

struct User {
    conns: Vec<Conn>,
    _inbox: Listening,
}

impl Inboxes {
    /// No user yet, on `topics`, members of `rooms`.
    pub fn new(topics: Topics, rooms: Arc<Rooms>) -> Self {
        Self { topics, rooms, users: Arc::default() }
    }

    fn users(&self) -> MutexGuard<'_, HashMap<String, User>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn topic(name: &str) -> String {
        format!("chat-user:{}", name_key(name))
    }

    /// `conn` goes by `name` on this node: resolves once its inbox hears
    /// the other nodes (so that a direct message sent after the user's name
    /// was answered reaches it).
    pub async fn online(&self, name: &str, conn: Conn) {
        {
            let mut users = self.users();
            match users.get_mut(name) {
                Some(user) => user.conns.push(conn),
                None => {
                    let inbox = self.listen(name);
                    users.insert(name.to_owned(), User { conns: vec![conn], _inbox: inbox });
                }
            }
        }
        if let Err(error) = self.topics.ready(&Self::topic(name)).await {
            tracing::warn!(%error, name, "a user's inbox is not heard from other nodes");
        }
    }

    /// `conn` no longer goes by `name`.
    pub fn offline(&self, name: &str, conn: ConnId) {
        let mut users = self.users();
        if let Some(user) = users.get_mut(name) {
            user.conns.retain(|c| c.id() != conn);
            if user.conns.is_empty() {
                users.remove(name);
            }
        }
    }

    /// The connections of `name` on this node.
    pub fn conns(&self, name: &str) -> Vec<Conn> {
        self.users().get(name).map(|user| user.conns.clone()).unwrap_or_default()
    }

    /// Tells `name`'s inbox, on every node, of the direct message at
    /// `position` in `room`.
    pub fn tell(&self, name: &str, room: &str, position: &Position) {
        let notice = json!({ "room": room, "id": position.offset, "epoch": position.epoch });
        let _ = self.topics.publish(&Self::topic(name), notice.to_string(), &[]);
    }

    /// Closes `name`'s connections on every node (the server API's
    /// `disconnect`).
    pub fn disconnect(&self, name: &str, code: CloseCode, reason: &str) {
        let order = json!({ "order": "disconnect", "code": code.0, "reason": reason });
        let _ = self.topics.publish(&Self::topic(name), order.to_string(), &[]);
    }

    /// Takes `name` out of the public `room` on every node (the server
    /// API's `unsubscribe`).
    pub fn unsubscribe(&self, name: &str, room: &str) {
        let order = json!({ "order": "unsubscribe", "room": room });
        let _ = self.topics.publish(&Self::topic(name), order.to_string(), &[]);
    }

    /// Carries out an order of the server API on `name`'s connections
    /// here; false if `notice` is not one.
    fn obey(&self, name: &str, notice: &Value) -> bool {
        match notice["order"].as_str() {
            Some("disconnect") => {
                let code = notice["code"].as_u64().and_then(|c| u16::try_from(c).ok());
                let code = code.map_or(CloseCode::NORMAL, CloseCode::from);
                let reason = notice["reason"].as_str().unwrap_or_default();
                for conn in self.conns(name) {
                    conn.close(code, reason);
                }
                true
            }
            Some("unsubscribe") => {
                if let Some(room) = notice["room"].as_str() {
                    for conn in self.conns(name) {
                        left_by_server(&conn, room, &self.rooms, &self.topics);
                    }
                }
                true
            }
            _ => false,
        }
    }

    fn listen(&self, name: &str) -> Listening {
        let (inboxes, name_owned) = (self.clone(), name.to_owned());
        self.topics.listen(&Self::topic(name), move |message| {
            let message = message.message();
            let Some(notice) = message.as_text().and_then(|t| serde_json::from_str::<Value>(t).ok())
            else {
                return;
            };
            if inboxes.obey(&name_owned, &notice) {
                return;
            }
            let (Some(room), Some(id), Some(epoch)) =
                (notice["room"].as_str(), notice["id"].as_u64(), notice["epoch"].as_str())
            else {
                return;
            };
            let since = Position::new(id.saturating_sub(1), epoch);
            let reading = inboxes.topics.get(room);
            for conn in inboxes.conns(&name_owned) {
                if reading.as_ref().is_some_and(|topic| topic.contains(&conn)) {
                    continue;
                }
                let (topics, room, since) = (inboxes.topics.clone(), room.to_owned(), since.clone());
                tokio::spawn(async move {
                    if let Err(error) = topics.subscribe_since(&room, &conn, Some(since)).await {
                        tracing::warn!(%error, room, "a direct message's conversation was not opened");
                    }
                });
            }
        })
    }
}
