//! A realm's authenticator: from HELLO.Details to WELCOME (anonymous), to
//! a CHALLENGE and a [`PendingAuth`] (ticket, WAMP-CRA, cryptosign), or to
//! an [`AuthError`] for ABORT. Without I/O: the session feeds it the
//! messages and sends what it returns.
//!
//! The client's `authmethods` are tried in its order. A method the realm
//! does not serve, or this router does not know, is skipped; so is one that
//! cannot take this client (no such principal, no authid, …), as the spec
//! allows ("skip forward trying other authentication methods"). The first
//! method that can take the client is used. When none can, the first
//! method's refusal is the answer, or `wamp.error.no_auth_method` when no
//! offered method is served at all. A broken random source ends the
//! attempt at once.

use std::collections::{BTreeMap, BTreeSet};

use super::anonymous;
use super::cryptosign::{self, CryptosignPrincipal, PublicKey};
use super::entropy::{Entropy, OsEntropy};
use super::error::AuthError;
use super::hello::HelloAuth;
use super::identity::{Identity, STATIC_PROVIDER};
use super::method::AuthMethod;
use super::pending::{PendingAuth, Proof};
use super::ticket::TicketPrincipal;
use super::wampcra::{CraPrincipal, Salt};
use crate::id::Id;
use crate::value::{Dict, Value};

/// What to answer a HELLO with.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Admit the client now (anonymous): WELCOME.
    Welcome(Identity),
    /// Ask for proof: send `[4, authmethod, extra]` (CHALLENGE), keep
    /// `pending` until the client's AUTHENTICATE.
    Challenge {
        /// CHALLENGE's AuthMethod.
        authmethod: AuthMethod,
        /// CHALLENGE's Extra.
        extra: Dict,
        /// What the answer is checked against.
        pending: PendingAuth,
    },
}

/// Who may join one realm, and how they prove it. Built with the `with_*`
/// methods (or from the config file); a principal added twice to the same
/// method replaces the earlier one.
#[derive(Clone, PartialEq)]
pub struct Authenticator {
    realm: String,
    anonymous: Option<String>,
    ticket: Option<BTreeMap<String, TicketPrincipal>>,
    wampcra: Option<BTreeMap<String, CraPrincipal>>,
    cryptosign: Option<BTreeMap<String, CryptosignPrincipal>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn names<T>(map: &Option<BTreeMap<String, T>>) -> Option<Vec<&str>> {
            map.as_ref().map(|map| map.keys().map(String::as_str).collect())
        }
        f.debug_struct("Authenticator")
            .field("realm", &self.realm)
            .field("anonymous", &self.anonymous)
            .field("ticket", &names(&self.ticket))
            .field("wampcra", &names(&self.wampcra))
            .field("cryptosign", &names(&self.cryptosign))
            .finish()
    }
}

impl Authenticator {
    /// An authenticator for `realm` that admits no one yet.
    pub fn new(realm: impl Into<String>) -> Self {
        Self { realm: realm.into(), anonymous: None, ticket: None, wampcra: None, cryptosign: None }
    }

    /// An authenticator for `realm` that admits anyone, anonymously, as
    /// `role` (crossbar's default realm, with role `anonymous`).
    pub fn open(realm: impl Into<String>, role: impl Into<String>) -> Self {
        Self::new(realm).with_anonymous(role)
    }

    /// Admits anonymous clients, as `role`.
    pub fn with_anonymous(mut self, role: impl Into<String>) -> Self {
        self.anonymous = Some(role.into());
        self
    }

    /// Serves `method` even before (or without) any principal: a client
    /// offering it is then refused as an unknown principal rather than
    /// skipped. For [`AuthMethod::Anonymous`], admits anonymous clients as
    /// `anonymous` unless a role was set.
    pub fn serving(mut self, method: AuthMethod) -> Self {
        match method {
            AuthMethod::Anonymous => {
                self.anonymous.get_or_insert_with(|| "anonymous".to_owned());
            }
            AuthMethod::Ticket => {
                self.ticket.get_or_insert_with(BTreeMap::new);
            }
            AuthMethod::WampCra => {
                self.wampcra.get_or_insert_with(BTreeMap::new);
            }
            AuthMethod::Cryptosign => {
                self.cryptosign.get_or_insert_with(BTreeMap::new);
            }
        }
        self
    }

    /// Admits `authid` by ticket, as `role`.
    pub fn with_ticket(
        mut self,
        authid: impl Into<String>,
        ticket: &str,
        role: impl Into<String>,
    ) -> Self {
        let principal = TicketPrincipal::new(ticket, role.into());
        self.ticket.get_or_insert_with(BTreeMap::new).insert(authid.into(), principal);
        self
    }

    /// Admits `authid` by WAMP-CRA with `secret` (salted with `salt`, if
    /// given: the key is derived here, once), as `role`.
    pub fn with_wampcra(
        mut self,
        authid: impl Into<String>,
        secret: &str,
        role: impl Into<String>,
        salt: Option<Salt>,
    ) -> Self {
        let principal = CraPrincipal::new(secret, role.into(), salt);
        self.wampcra.get_or_insert_with(BTreeMap::new).insert(authid.into(), principal);
        self
    }

    /// Admits `authid` by cryptosign with any of `keys`, as `role`.
    pub fn with_cryptosign(
        mut self,
        authid: impl Into<String>,
        keys: impl IntoIterator<Item = PublicKey>,
        role: impl Into<String>,
    ) -> Self {
        let principal = CryptosignPrincipal { role: role.into(), keys: keys.into_iter().collect() };
        self.cryptosign.get_or_insert_with(BTreeMap::new).insert(authid.into(), principal);
        self
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The methods served, in [`AuthMethod::ALL`]'s order.
    pub fn methods(&self) -> Vec<AuthMethod> {
        let served = [
            self.anonymous.is_some(),
            self.ticket.is_some(),
            self.wampcra.is_some(),
            self.cryptosign.is_some(),
        ];
        AuthMethod::ALL.into_iter().zip(served).filter(|(_, on)| *on).map(|(m, _)| m).collect()
    }

    /// Every role a session may be given here (to check against the
    /// realm's [`Authorizer`](super::Authorizer)).
    pub fn roles(&self) -> BTreeSet<&str> {
        let mut roles: BTreeSet<&str> = self.anonymous.iter().map(String::as_str).collect();
        let ticket = self.ticket.iter().flat_map(|m| m.values().map(|p| p.role.as_str()));
        let wampcra = self.wampcra.iter().flat_map(|m| m.values().map(|p| p.role.as_str()));
        let cryptosign = self.cryptosign.iter().flat_map(|m| m.values().map(|p| p.role.as_str()));
        roles.extend(ticket.chain(wampcra).chain(cryptosign));
        roles
    }

    /// Answers HELLO (its Details), for the session that is to get the ID
    /// `session` (WAMP-CRA's challenge names it). Randomness from the OS.
    pub fn hello(&self, details: &Dict, session: Id) -> Result<Step, AuthError> {
        self.hello_with(details, session, &mut OsEntropy)
    }

    /// [`hello`](Self::hello), with randomness and time from `entropy`.
    pub(crate) fn hello_with(
        &self,
        details: &Dict,
        session: Id,
        entropy: &mut dyn Entropy,
    ) -> Result<Step, AuthError> {
        let hello = HelloAuth::read(details)?;
        let mut first_refusal = None;
        for name in &hello.methods {
            let attempt = match AuthMethod::from_name(name) {
                None => continue,
                Some(AuthMethod::Anonymous) => match &self.anonymous {
                    None => continue,
                    Some(role) => Ok(Step::Welcome(anonymous::identity(role, session))),
                },
                Some(AuthMethod::Ticket) => match &self.ticket {
                    None => continue,
                    Some(principals) => ticket(principals, &hello),
                },
                Some(AuthMethod::WampCra) => match &self.wampcra {
                    None => continue,
                    Some(principals) => wampcra(principals, &hello, session, entropy),
                },
                Some(AuthMethod::Cryptosign) => match &self.cryptosign {
                    None => continue,
                    Some(principals) => cryptosign(principals, &hello, entropy),
                },
            };
            match attempt {
                Ok(step) => return Ok(step),
                Err(broken @ AuthError::RandomnessUnavailable { .. }) => return Err(broken),
                Err(refusal) => {
                    first_refusal.get_or_insert(refusal);
                }
            }
        }
        Err(first_refusal.unwrap_or_else(|| AuthError::NoAcceptableMethod {
            realm: self.realm.clone(),
            offered: hello.methods.iter().map(|m| (*m).to_owned()).collect(),
            served: self.methods(),
        }))
    }
}

/// The identity a principal will have once its proof is checked.
fn identity(authid: &str, authrole: &str, authmethod: AuthMethod, authextra: Dict) -> Identity {
    Identity {
        authid: authid.to_owned(),
        authrole: authrole.to_owned(),
        authmethod,
        authprovider: STATIC_PROVIDER.to_owned(),
        authextra,
    }
}

/// The principal `hello.authid` names among `principals`.
fn named<'p, T>(
    principals: &'p BTreeMap<String, T>,
    hello: &HelloAuth<'_>,
    method: AuthMethod,
) -> Result<(&'p str, &'p T), AuthError> {
    let authid = hello.authid.ok_or(AuthError::AuthidRequired { method })?;
    principals
        .get_key_value(authid)
        .map(|(authid, principal)| (authid.as_str(), principal))
        .ok_or_else(|| AuthError::UnknownPrincipal { method, authid: authid.to_owned() })
}

fn ticket(
    principals: &BTreeMap<String, TicketPrincipal>,
    hello: &HelloAuth<'_>,
) -> Result<Step, AuthError> {
    let (authid, principal) = named(principals, hello, AuthMethod::Ticket)?;
    let identity = identity(authid, &principal.role, AuthMethod::Ticket, Dict::new());
    let pending = PendingAuth::new(identity, Proof::Ticket(principal.expected()));
    Ok(Step::Challenge { authmethod: AuthMethod::Ticket, extra: Dict::new(), pending })
}

fn wampcra(
    principals: &BTreeMap<String, CraPrincipal>,
    hello: &HelloAuth<'_>,
    session: Id,
    entropy: &mut dyn Entropy,
) -> Result<Step, AuthError> {
    let (authid, principal) = named(principals, hello, AuthMethod::WampCra)?;
    let (extra, expected) = principal.challenge(authid, session, entropy)?;
    let identity = identity(authid, &principal.role, AuthMethod::WampCra, Dict::new());
    let pending = PendingAuth::new(identity, Proof::WampCra(expected));
    Ok(Step::Challenge { authmethod: AuthMethod::WampCra, extra, pending })
}

fn cryptosign(
    principals: &BTreeMap<String, CryptosignPrincipal>,
    hello: &HelloAuth<'_>,
    entropy: &mut dyn Entropy,
) -> Result<Step, AuthError> {
    let (authid, principal, key) = cryptosign::select(principals, hello)?;
    let (extra, expected) = cryptosign::challenge(key, entropy)?;
    let authextra = Dict::from([("pubkey".to_owned(), Value::from(key.to_hex()))]);
    let identity = identity(authid, &principal.role, AuthMethod::Cryptosign, authextra);
    let pending = PendingAuth::new(identity, Proof::Cryptosign(expected));
    Ok(Step::Challenge { authmethod: AuthMethod::Cryptosign, extra, pending })
}
