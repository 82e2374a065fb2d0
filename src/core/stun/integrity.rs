//! FINGERPRINT and MESSAGE-INTEGRITY(-SHA256): computing, checking, and credential keys.
//!
//! Both checks cover the message up to the attribute, with the header's length field set as if
//! the attribute ended the message (RFC 8489 §14.5, §14.6, §14.7). The header is patched in a
//! 20-byte copy; the rest is hashed in place.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

use super::attr::{self, AttrValue, Attribute, RawAttribute};
use super::message::Message;
use super::{FINGERPRINT_XOR, HEADER_LEN};

/// The outcome of one check, as the JSON contract spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// Present and correct.
    Ok,
    /// Present and wrong.
    Bad,
    /// Present, but no credentials to check it with.
    Unchecked,
    /// Not in the message.
    Absent,
}

impl Check {
    /// `ok`, `bad`, `unchecked` or `absent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Ok => "ok",
            Check::Bad => "bad",
            Check::Unchecked => "unchecked",
            Check::Absent => "absent",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The hash of a long-term key (PASSWORD-ALGORITHM, RFC 8489 §18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordAlgorithm {
    /// MD5, the RFC 5389 key and the default.
    #[default]
    Md5,
    /// SHA-256.
    Sha256,
}

/// An HMAC key for MESSAGE-INTEGRITY(-SHA256).
#[derive(Clone, PartialEq, Eq)]
pub struct IntegrityKey {
    bytes: Vec<u8>,
    mechanism: String,
}

impl fmt::Debug for IntegrityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are derived from passwords: never print them.
        write!(f, "IntegrityKey({}, ***)", self.mechanism)
    }
}

/// SASLprep (RFC 4013) where it applies; a string it rejects is used as it is, since the
/// other side may not have prepared it either.
fn prep(s: &str) -> std::borrow::Cow<'_, str> {
    stringprep::saslprep(s).unwrap_or(std::borrow::Cow::Borrowed(s))
}

impl IntegrityKey {
    /// Short-term credential key: the password itself (after SASLprep), as ICE uses it.
    pub fn short_term(password: &str) -> Self {
        IntegrityKey { bytes: prep(password).as_bytes().to_vec(), mechanism: "short-term credential".into() }
    }

    /// Long-term credential key: H(username ":" realm ":" password) with SASLprep applied.
    pub fn long_term(username: &str, realm: &str, password: &str, algorithm: PasswordAlgorithm) -> Self {
        let input = format!("{}:{}:{}", prep(username), prep(realm), prep(password));
        let (bytes, alg) = match algorithm {
            PasswordAlgorithm::Md5 => (Md5::digest(input.as_bytes()).to_vec(), "MD5"),
            PasswordAlgorithm::Sha256 => (Sha256::digest(input.as_bytes()).to_vec(), "SHA-256"),
        };
        IntegrityKey { bytes, mechanism: format!("long-term credential, {alg} key, realm {realm:?}") }
    }

    /// A key from raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        IntegrityKey { bytes: bytes.to_vec(), mechanism: "raw key".into() }
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How the key was made (for reports).
    pub fn mechanism(&self) -> &str {
        &self.mechanism
    }
}

/// What the user gave to verify integrity with. Username and realm, when not given, come from
/// the message, which is how a long-term credential is checked in practice.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Long-term username (default: the message's USERNAME).
    pub username: Option<String>,
    /// Long-term realm (default: the message's REALM).
    pub realm: Option<String>,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// The keys worth trying on a message: long-term when a username or realm was given;
    /// otherwise short-term and, when the message carries a REALM (a TURN exchange), also the
    /// long-term key built from the message's own USERNAME and REALM.
    pub fn keys<T: AsRef<[u8]>>(&self, msg: &Message<T>) -> Vec<IntegrityKey> {
        let text =
            |typ| msg.attribute(typ).and_then(|a| std::str::from_utf8(a.value).ok()).map(str::to_owned);
        let algorithm = msg
            .attribute(attr::PASSWORD_ALGORITHM)
            .and_then(|a| Attribute::decode(&a, msg.xor_key()).ok())
            .map_or(PasswordAlgorithm::Md5, |a| match a.value {
                AttrValue::PasswordAlgorithm { algorithm: 2, .. } => PasswordAlgorithm::Sha256,
                _ => PasswordAlgorithm::Md5,
            });
        let long_term_asked = self.username.is_some() || self.realm.is_some();
        let mut keys = Vec::new();
        if !long_term_asked {
            keys.push(IntegrityKey::short_term(&self.password));
        }
        let username = self.username.clone().or_else(|| text(attr::USERNAME));
        let realm = self.realm.clone().or_else(|| text(attr::REALM));
        if let (Some(u), Some(r)) = (&username, &realm) {
            keys.push(IntegrityKey::long_term(u, r, &self.password, algorithm));
        } else if long_term_asked {
            // Asked for long-term but the message lacks what is missing: try with what we have.
            keys.push(IntegrityKey::long_term(
                username.as_deref().unwrap_or(""),
                realm.as_deref().unwrap_or(""),
                &self.password,
                algorithm,
            ));
        }
        keys
    }
}

/// The header with its length field set to end right after an attribute of `attr_len` value
/// bytes at `offset`.
fn patched_header(bytes: &[u8], offset: usize, attr_len: usize) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&bytes[..HEADER_LEN]);
    let len = (offset + 4 + ((attr_len + 3) & !3) - HEADER_LEN) as u16;
    header[2..4].copy_from_slice(&len.to_be_bytes());
    header
}

/// The FINGERPRINT value for a message whose FINGERPRINT attribute starts at `offset`.
pub(crate) fn fingerprint_at(bytes: &[u8], offset: usize) -> u32 {
    // `Hasher::new` asks which CPU features there are each time: once is enough.
    static FRESH: std::sync::OnceLock<crc32fast::Hasher> = std::sync::OnceLock::new();
    let mut crc = FRESH.get_or_init(crc32fast::Hasher::new).clone();
    crc.update(&patched_header(bytes, offset, 4));
    crc.update(&bytes[HEADER_LEN..offset]);
    crc.finalize() ^ FINGERPRINT_XOR
}

/// HMAC-SHA1 (MESSAGE-INTEGRITY) for an attribute at `offset`.
pub(crate) fn hmac_sha1_at(bytes: &[u8], offset: usize, key: &[u8]) -> [u8; 20] {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(key) else {
        return [0; 20]; // HMAC accepts any key length; unreachable in practice
    };
    mac.update(&patched_header(bytes, offset, 20));
    mac.update(&bytes[HEADER_LEN..offset]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// HMAC-SHA256 (MESSAGE-INTEGRITY-SHA256) for an attribute of `len` bytes at `offset`.
pub(crate) fn hmac_sha256_at(bytes: &[u8], offset: usize, len: usize, key: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(&patched_header(bytes, offset, len));
    mac.update(&bytes[HEADER_LEN..offset]);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// Constant-time comparison, so a verifying server built on this leaks nothing by timing.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Verify FINGERPRINT: `Absent`, `Ok` or `Bad` (also `Bad` when its value is malformed).
    pub fn check_fingerprint(&self) -> Check {
        match self.attribute(attr::FINGERPRINT) {
            None => Check::Absent,
            Some(a) => self.check_fingerprint_attribute(&a),
        }
    }

    /// Verify a FINGERPRINT attribute already found by a walk of this message's attributes
    /// (`Ok` or `Bad`), so a caller that walks them anyway does not walk twice.
    pub fn check_fingerprint_attribute(&self, a: &RawAttribute<'_>) -> Check {
        let bytes = self.as_bytes();
        match a.value {
            &[b0, b1, b2, b3] if a.offset >= HEADER_LEN && a.offset + 8 <= bytes.len() => {
                if fingerprint_at(bytes, a.offset) == u32::from_be_bytes([b0, b1, b2, b3]) {
                    Check::Ok
                } else {
                    Check::Bad
                }
            }
            _ => Check::Bad,
        }
    }

    /// The FINGERPRINT value this message should carry (for reports of a bad one).
    pub fn expected_fingerprint(&self) -> Option<u32> {
        self.attribute(attr::FINGERPRINT).map(|a| fingerprint_at(self.as_bytes(), a.offset))
    }

    /// Whether the message carries MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256.
    pub fn has_integrity(&self) -> bool {
        self.attributes()
            .filter_map(Result::ok)
            .any(|a| a.typ == attr::MESSAGE_INTEGRITY || a.typ == attr::MESSAGE_INTEGRITY_SHA256)
    }

    /// Verify MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 with one key: `Absent` when
    /// neither is present, `Ok` when every one present verifies, else `Bad`.
    pub fn check_integrity(&self, key: &IntegrityKey) -> Check {
        let bytes = self.as_bytes();
        let mut seen = false;
        for a in self.attributes().filter_map(Result::ok) {
            let ok = match a.typ {
                attr::MESSAGE_INTEGRITY => {
                    a.value.len() == 20 && same(&hmac_sha1_at(bytes, a.offset, key.as_bytes()), a.value)
                }
                attr::MESSAGE_INTEGRITY_SHA256 => {
                    let n = a.value.len();
                    (16..=32).contains(&n)
                        && n % 4 == 0
                        && same(&hmac_sha256_at(bytes, a.offset, n, key.as_bytes())[..n], a.value)
                }
                _ => continue,
            };
            seen = true;
            if !ok {
                return Check::Bad;
            }
        }
        if seen {
            Check::Ok
        } else {
            Check::Absent
        }
    }

    /// Verify integrity with any of several keys; returns the result and the key that
    /// verified. `Unchecked` when the message has integrity but no key was given.
    pub fn check_integrity_any<'k>(&self, keys: &'k [IntegrityKey]) -> (Check, Option<&'k IntegrityKey>) {
        if !self.has_integrity() {
            return (Check::Absent, None);
        }
        if keys.is_empty() {
            return (Check::Unchecked, None);
        }
        for key in keys {
            if self.check_integrity(key) == Check::Ok {
                return (Check::Ok, Some(key));
            }
        }
        (Check::Bad, None)
    }
}
