//! WAMP-Cryptosign: Ed25519 signatures of a random challenge.
//!
//! The client announces its public key in `HELLO.Details.authextra.pubkey`
//! (hex), with or without an `authid`; without one, the key alone picks
//! the principal. The router answers `[4, "cryptosign", {"challenge": hex
//! of 32 random bytes, "channel_binding": null}]`; the client signs the 32
//! bytes and sends the hex of the 64-byte signature followed by the 32
//! bytes signed (96 bytes), as autobahn does. TLS channel binding and
//! router authentication (`authextra.channel_binding`,
//! `authextra.challenge`) are refused: the first needs the TLS channel ID,
//! the second a router key, and a client that asks for either must not go
//! on without it.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signature, VerifyingKey};

use super::entropy::Entropy;
use super::error::AuthError;
use super::hello::HelloAuth;
use super::method::AuthMethod;
use crate::value::{Dict, Value};

/// An Ed25519 public key a cryptosign principal may authenticate with.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

/// Why text is not an Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// A key is written in hex.
    NotHex,
    /// A key is 32 bytes (64 hex digits).
    NotThirtyTwoBytes {
        /// How many bytes there were.
        bytes: usize,
    },
    /// The bytes must encode a point of the curve.
    NotACurvePoint,
    /// A point of small order verifies forged signatures: refused.
    WeakKey,
}

impl fmt::Display for PublicKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotHex => f.write_str("not hex"),
            Self::NotThirtyTwoBytes { bytes } => {
                write!(f, "{bytes} bytes, not 32 (64 hex digits)")
            }
            Self::NotACurvePoint => f.write_str("not a point of Ed25519's curve"),
            Self::WeakKey => f.write_str("a weak key (a point of small order)"),
        }
    }
}

impl std::error::Error for PublicKeyError {}

impl PublicKey {
    /// The key written as 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, PublicKeyError> {
        let bytes = hex::decode(text).map_err(|error| match error {
            hex::FromHexError::OddLength => {
                PublicKeyError::NotThirtyTwoBytes { bytes: text.len() / 2 }
            }
            _ => PublicKeyError::NotHex,
        })?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| PublicKeyError::NotThirtyTwoBytes { bytes: bytes.len() })?;
        Self::from_bytes(&bytes)
    }

    /// The key of these 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, PublicKeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| PublicKeyError::NotACurvePoint)?;
        if key.is_weak() {
            return Err(PublicKeyError::WeakKey);
        }
        Ok(Self(key))
    }

    /// The key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// A principal known by its public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CryptosignPrincipal {
    /// Its role.
    pub role: String,
    /// The keys it may authenticate with.
    pub keys: Vec<PublicKey>,
}

/// What a cryptosign CHALLENGE asks for: the challenge, signed by the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CryptosignExpected {
    key: PublicKey,
    challenge: [u8; 32],
}

/// The principal a HELLO asks for (by authid, else by its key alone), and
/// the key it is to prove.
pub(crate) fn select<'p>(
    principals: &'p BTreeMap<String, CryptosignPrincipal>,
    hello: &HelloAuth<'_>,
) -> Result<(&'p str, &'p CryptosignPrincipal, PublicKey), AuthError> {
    if let Some(binding) = hello.extra("channel_binding") {
        let requested = binding.as_str().map_or_else(|| format!("{binding:?}"), str::to_owned);
        return Err(AuthError::ChannelBindingUnsupported { requested });
    }
    if hello.extra("challenge").is_some() {
        return Err(AuthError::RouterAuthenticationUnsupported);
    }
    let pubkey = hello.extra("pubkey").ok_or(AuthError::PubkeyRequired)?;
    let pubkey = pubkey.as_str().ok_or_else(|| AuthError::MalformedPubkey {
        reason: format!("{}, not a string", pubkey.kind()),
    })?;
    let key = PublicKey::from_hex(pubkey)
        .map_err(|error| AuthError::MalformedPubkey { reason: error.to_string() })?;
    match hello.authid {
        Some(authid) => {
            let (authid, principal) =
                principals.get_key_value(authid).ok_or_else(|| AuthError::UnknownPrincipal {
                    method: AuthMethod::Cryptosign,
                    authid: authid.to_owned(),
                })?;
            if !principal.keys.contains(&key) {
                let pubkey = key.to_hex();
                return Err(AuthError::KeyNotAuthorized { authid: authid.clone(), pubkey });
            }
            Ok((authid, principal, key))
        }
        None => {
            let mut holders = principals.iter().filter(|(_, p)| p.keys.contains(&key));
            match (holders.next(), holders.next()) {
                (Some((authid, principal)), None) => Ok((authid, principal, key)),
                (None, _) => Err(AuthError::UnknownPubkey { pubkey: key.to_hex() }),
                (Some(_), Some(_)) => Err(AuthError::AmbiguousPubkey { pubkey: key.to_hex() }),
            }
        }
    }
}

/// CHALLENGE.extra for `key`, and what AUTHENTICATE must bring.
pub(crate) fn challenge(
    key: PublicKey,
    entropy: &mut dyn Entropy,
) -> Result<(Dict, CryptosignExpected), AuthError> {
    let mut challenge = [0u8; 32];
    entropy.fill(&mut challenge)?;
    let extra = Dict::from([
        ("challenge".to_owned(), Value::from(hex::encode(challenge))),
        ("channel_binding".to_owned(), Value::Null),
    ]);
    Ok((extra, CryptosignExpected { key, challenge }))
}

/// Checks AUTHENTICATE's Signature: hex of the Ed25519 signature (64
/// bytes) and the message signed (32 bytes), which must be the challenge.
pub(crate) fn verify(
    expected: &CryptosignExpected,
    signature: &str,
    authid: &str,
) -> Result<(), AuthError> {
    let malformed =
        |reason: String| AuthError::MalformedSignature { method: AuthMethod::Cryptosign, reason };
    let bytes = hex::decode(signature).map_err(|_| malformed("not hex".into()))?;
    let Ok(bytes) = <[u8; 96]>::try_from(bytes.as_slice()) else {
        return Err(malformed(format!(
            "{} bytes, not 96 (a 64-byte signature, then the 32 bytes signed)",
            bytes.len()
        )));
    };
    let (signature, message) = bytes.split_at(64);
    let signature = Signature::from_bytes(signature.try_into().expect("64 bytes"));
    // verify_strict: no malleable signatures, no weak keys (as libsodium,
    // which autobahn and crossbar use).
    if expected.key.0.verify_strict(message, &signature).is_err() {
        let authid = authid.to_owned();
        return Err(AuthError::WrongSignature { method: AuthMethod::Cryptosign, authid });
    }
    if message != expected.challenge {
        return Err(AuthError::WrongChallenge { authid: authid.to_owned() });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // The keys of two private seeds from the WAMP spec's cryptosign test
    // vectors, and signatures made with them by autobahn-python 26.11.1
    // (PyNaCl 1.6.2):
    //   key = autobahn.wamp.cryptosign.CryptosignKey.from_bytes(seed)
    //   key.public_key()
    //   await key.sign_challenge(Challenge("cryptosign", {"challenge": C}))

    /// `key.public_key()` of seed 4d57d97a…2804510 (dave's).
    pub(crate) const DAVE: &str =
        "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d";
    /// `key.public_key()` of seed d511fe78…8a2f5cd.
    pub(crate) const OTHER: &str =
        "6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0";
    /// Dave's key signing the challenge 07 × 32.
    pub(crate) const DAVE_SIGNS_07: &str = "79dbedf352bf42fb477ab900a9578e87a8a7291431c7e050817f4e87a229d7ba8946aa0dad022db13fb681d20c7dd577fb7fbf6f54f25ad5a41906319fdf2a0f0707070707070707070707070707070707070707070707070707070707070707";
    /// Dave's key signing the challenge ff × 32 (also the spec's first
    /// vector).
    const DAVE_SIGNS_FF: &str = "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    /// The other key signing the challenge 07 × 32.
    pub(crate) const OTHER_SIGNS_07: &str = "ab057b9a015669d0ccbb13fc80883ae71f70be2137a0688a90b07f9f722046297fee76eb2453945bb0dc1662cc1a1d5c2161ea7e85a095797bdfaf084e755d090707070707070707070707070707070707070707070707070707070707070707";

    fn expected(key: &str, challenge: u8) -> CryptosignExpected {
        CryptosignExpected { key: PublicKey::from_hex(key).unwrap(), challenge: [challenge; 32] }
    }

    #[test]
    fn autobahns_signature_of_the_challenge_verifies() {
        assert_eq!(verify(&expected(DAVE, 0x07), DAVE_SIGNS_07, "dave"), Ok(()));
        assert_eq!(verify(&expected(DAVE, 0xff), DAVE_SIGNS_FF, "dave"), Ok(()));
    }

    #[test]
    fn another_keys_signature_does_not() {
        assert_eq!(
            verify(&expected(DAVE, 0x07), OTHER_SIGNS_07, "dave"),
            Err(AuthError::WrongSignature {
                method: AuthMethod::Cryptosign,
                authid: "dave".into()
            })
        );
    }

    #[test]
    fn a_signature_of_another_challenge_is_a_replay() {
        assert_eq!(
            verify(&expected(DAVE, 0x07), DAVE_SIGNS_FF, "dave"),
            Err(AuthError::WrongChallenge { authid: "dave".into() })
        );
    }

    #[test]
    fn a_flipped_bit_breaks_the_signature() {
        let mut bytes = hex::decode(DAVE_SIGNS_07).unwrap();
        bytes[10] ^= 1;
        let tampered = hex::encode(bytes);
        assert!(matches!(
            verify(&expected(DAVE, 0x07), &tampered, "dave"),
            Err(AuthError::WrongSignature { .. })
        ));
    }

    #[test]
    fn signatures_not_of_96_hex_bytes_are_malformed() {
        for bad in ["zz", &DAVE_SIGNS_07[..128], "", &format!("{DAVE_SIGNS_07}00")] {
            assert!(
                matches!(
                    verify(&expected(DAVE, 0x07), bad, "dave"),
                    Err(AuthError::MalformedSignature { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_are_32_bytes_of_hex_on_the_curve_and_not_weak() {
        assert_eq!(PublicKey::from_hex(DAVE).unwrap().to_hex(), DAVE);
        assert_eq!(
            PublicKey::from_hex(&DAVE.to_uppercase()).unwrap(),
            PublicKey::from_hex(DAVE).unwrap()
        );
        assert_eq!(PublicKey::from_hex("xyz0"), Err(PublicKeyError::NotHex));
        assert_eq!(
            PublicKey::from_hex("abcd"),
            Err(PublicKeyError::NotThirtyTwoBytes { bytes: 2 })
        );
        assert_eq!(
            PublicKey::from_hex(&DAVE[1..]),
            Err(PublicKeyError::NotThirtyTwoBytes { bytes: 31 })
        );
        // y = 2 has no x on the curve.
        let mut off = [0u8; 32];
        off[0] = 2;
        assert_eq!(PublicKey::from_bytes(&off), Err(PublicKeyError::NotACurvePoint));
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(PublicKeyError::WeakKey));
    }
}
