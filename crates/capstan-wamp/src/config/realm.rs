//! One of `realms`, checked and turned into what the router runs: the
//! realm's [`Authenticator`] and [`Authorizer`].

use super::error::ConfigError;
use super::file;
use crate::auth::{
    Action, AuthMethod, Authenticator, Authorizer, Permission, PublicKey, Role, Salt,
};
use crate::pattern::MatchPolicy;
use crate::uri::{self, UriRule};

/// The largest WAMP-CRA `keylen` taken (bytes).
pub const MAX_KEYLEN: u32 = 1024;

/// A realm: who may join it and what each role may do in it.
#[derive(Debug, Clone)]
pub struct RealmConfig {
    /// The realm's name (a URI).
    pub name: String,
    /// Who may join, and how they prove it.
    pub authenticator: Authenticator,
    /// What each role may do.
    pub authorizer: Authorizer,
}

impl RealmConfig {
    /// A realm anyone may join anonymously, as role `anonymous`, allowed
    /// everything (crossbar's default `realm1`).
    pub fn open(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            authenticator: Authenticator::open(name.clone(), "anonymous"),
            authorizer: Authorizer::allow_all("anonymous"),
            name,
        }
    }

    /// Checks one of the file's realms.
    pub(crate) fn from_file(realm: file::Realm) -> Result<Self, ConfigError> {
        let file::Realm { name, roles, auth } = realm;
        if let Err(invalid) = uri::check(&name, UriRule::Loose, false) {
            return Err(ConfigError::InvalidRealmName { realm: name, reason: invalid.reason });
        }
        let mut checked = Vec::new();
        for role in roles {
            if checked.iter().any(|known: &Role| known.name() == role.name) {
                return Err(ConfigError::DuplicateRole { realm: name, role: role.name });
            }
            checked.push(role_from_file(&name, role)?);
        }
        let authorizer = Authorizer::new(checked);
        let authenticator = authenticator(&name, auth, &authorizer)?;
        Ok(Self { name, authenticator, authorizer })
    }
}

fn role_from_file(realm: &str, role: file::Role) -> Result<Role, ConfigError> {
    let mut permissions: Vec<Permission> = Vec::new();
    for p in role.permissions {
        let policy = match p.policy {
            file::Match::Exact => MatchPolicy::Exact,
            file::Match::Prefix => MatchPolicy::Prefix,
            file::Match::Wildcard => MatchPolicy::Wildcard,
        };
        let mut permission =
            Permission::new(p.uri, policy).map_err(|error| ConfigError::InvalidPermission {
                realm: realm.to_owned(),
                role: role.name.clone(),
                error,
            })?;
        if permissions.iter().any(|q| q.uri() == permission.uri() && q.policy() == policy) {
            return Err(ConfigError::DuplicatePermission {
                realm: realm.to_owned(),
                role: role.name,
                uri: permission.uri().to_owned(),
                policy,
            });
        }
        for (action, allowed) in [
            (Action::Call, p.call),
            (Action::Register, p.register),
            (Action::Publish, p.publish),
            (Action::Subscribe, p.subscribe),
        ] {
            if allowed {
                permission = permission.allow(action);
            }
        }
        permissions.push(permission);
    }
    Ok(Role::new(role.name, permissions))
}

/// The realm's authenticator, every role it gives defined in `authorizer`.
fn authenticator(
    realm: &str,
    auth: file::Auth,
    authorizer: &Authorizer,
) -> Result<Authenticator, ConfigError> {
    let known = |role: &str, used_by: String| match authorizer.role(role) {
        Some(_) => Ok(()),
        None => Err(ConfigError::UnknownRole {
            realm: realm.to_owned(),
            role: role.to_owned(),
            used_by,
        }),
    };
    let empty = |method, authid: &str| ConfigError::EmptySecret {
        realm: realm.to_owned(),
        method,
        authid: authid.to_owned(),
    };
    let file::Auth { anonymous, ticket, wampcra, cryptosign } = auth;
    if anonymous.is_none() && ticket.is_none() && wampcra.is_none() && cryptosign.is_none() {
        return Err(ConfigError::NoAuthMethod { realm: realm.to_owned() });
    }
    let mut authenticator = Authenticator::new(realm);
    if let Some(file::Anonymous { role }) = anonymous {
        known(&role, "auth.anonymous".into())?;
        authenticator = authenticator.with_anonymous(role);
    }
    if let Some(ticket) = ticket {
        authenticator = authenticator.serving(AuthMethod::Ticket);
        for (authid, principal) in ticket.principals.0 {
            known(&principal.role, format!("auth.ticket.principals.{authid}"))?;
            if principal.ticket.is_empty() {
                return Err(empty(AuthMethod::Ticket, &authid));
            }
            authenticator = authenticator.with_ticket(authid, &principal.ticket, principal.role);
        }
    }
    if let Some(wampcra) = wampcra {
        authenticator = authenticator.serving(AuthMethod::WampCra);
        for (authid, principal) in wampcra.principals.0 {
            known(&principal.role, format!("auth.wampcra.principals.{authid}"))?;
            if principal.secret.is_empty() {
                return Err(empty(AuthMethod::WampCra, &authid));
            }
            let salt = salt(realm, &authid, &principal)?;
            authenticator =
                authenticator.with_wampcra(authid, &principal.secret, principal.role, salt);
        }
    }
    if let Some(cryptosign) = cryptosign {
        authenticator = authenticator.serving(AuthMethod::Cryptosign);
        let mut holders: Vec<(PublicKey, String)> = Vec::new();
        for (authid, principal) in cryptosign.principals.0 {
            known(&principal.role, format!("auth.cryptosign.principals.{authid}"))?;
            let keys = keys(realm, &authid, &principal.authorized_keys)?;
            for key in &keys {
                if let Some((_, other)) = holders.iter().find(|(k, a)| k == key && *a != authid) {
                    return Err(ConfigError::SharedPublicKey {
                        realm: realm.to_owned(),
                        key: key.to_hex(),
                        authids: [other.clone(), authid.clone()],
                    });
                }
                holders.push((*key, authid.clone()));
            }
            authenticator = authenticator.with_cryptosign(authid, keys, principal.role);
        }
    }
    Ok(authenticator)
}

/// A WAMP-CRA principal's salt: all three of salt, iterations and keylen,
/// or none.
fn salt(
    realm: &str,
    authid: &str,
    principal: &file::CraPrincipal,
) -> Result<Option<Salt>, ConfigError> {
    let (salt, iterations, keylen) = (&principal.salt, principal.iterations, principal.keylen);
    let invalid = |reason| ConfigError::InvalidSalt {
        realm: realm.to_owned(),
        authid: authid.to_owned(),
        reason,
    };
    match (salt, iterations, keylen) {
        (None, None, None) => Ok(None),
        (Some(salt), Some(iterations), Some(keylen)) => {
            if iterations == 0 {
                return Err(invalid("iterations must be at least 1"));
            }
            if !(1..=MAX_KEYLEN).contains(&keylen) {
                return Err(invalid("keylen must be within 1..=1024"));
            }
            Ok(Some(Salt { salt: salt.clone(), iterations, keylen }))
        }
        _ => {
            let given = [
                ("salt", salt.is_some()),
                ("iterations", iterations.is_some()),
                ("keylen", keylen.is_some()),
            ];
            Err(ConfigError::IncompleteSalt {
                realm: realm.to_owned(),
                authid: authid.to_owned(),
                missing: given.iter().filter(|(_, given)| !given).map(|(name, _)| *name).collect(),
            })
        }
    }
}

/// A cryptosign principal's keys: at least one, each an Ed25519 key.
fn keys(realm: &str, authid: &str, written: &[String]) -> Result<Vec<PublicKey>, ConfigError> {
    if written.is_empty() {
        return Err(ConfigError::NoAuthorizedKeys {
            realm: realm.to_owned(),
            authid: authid.to_owned(),
        });
    }
    let mut keys = Vec::new();
    for key in written {
        let parsed = PublicKey::from_hex(key).map_err(|error| ConfigError::InvalidPublicKey {
            realm: realm.to_owned(),
            authid: authid.to_owned(),
            key: key.clone(),
            error,
        })?;
        if !keys.contains(&parsed) {
            keys.push(parsed);
        }
    }
    Ok(keys)
}
