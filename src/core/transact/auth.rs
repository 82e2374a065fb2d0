//! The client side of the long-term credential mechanism (RFC 8489 §9.2): answer a 401
//! challenge with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY, follow a 438 stale nonce, and
//! know when to stop (a second 401 means the credentials are wrong).
//!
//! It is a helper, not a transaction: the caller builds each request, lets [`LongTermAuth::sign`]
//! add the credential attributes, starts a new [`super::Transaction`] with
//! [`LongTermAuth::key`], and hands error responses to [`LongTermAuth::handle_error`], which
//! says whether to retry.

use std::fmt;

use crate::core::stun::{
    attr, AttrValue, Attribute, IntegrityKey, Message, MessageBuilder, PasswordAlgorithm,
};

/// The NONCE prefix by which a server announces RFC 8489 security features (§9.2).
const NONCE_COOKIE: &str = "obMatJos2";

/// How many 438 Stale Nonce answers in a row are followed before giving up.
const MAX_STALE_RETRIES: u32 = 3;

/// What to do after an error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// Send the request again, as a new transaction, signed with the updated credentials.
    Retry,
    /// Not an authentication matter (the caller handles the error).
    NotAuth,
    /// Authentication failed for good.
    Failed(AuthFailure),
}

/// Why authentication failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The server refused the credentials we sent (401 again, or 441).
    Rejected {
        /// The error code.
        code: u16,
        /// The server's reason phrase.
        reason: String,
    },
    /// A 401 or 438 without the REALM or NONCE needed to answer it.
    MissingChallenge {
        /// The error code.
        code: u16,
        /// Which attribute is missing.
        missing: &'static str,
    },
    /// The server kept saying the nonce is stale.
    StaleNonceLoop {
        /// How many 438 answers were followed.
        retries: u32,
    },
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthFailure::Rejected { code, reason } => {
                write!(f, "the server rejected the credentials ({code} {reason})")
            }
            AuthFailure::MissingChallenge { code, missing } => {
                write!(f, "a {code} response without {missing}: cannot authenticate")
            }
            AuthFailure::StaleNonceLoop { retries } => {
                write!(f, "the server answered 438 Stale Nonce {retries} times in a row")
            }
        }
    }
}

/// Long-term credentials and the state of the challenge with one server.
///
/// ```
/// use rtctool::core::stun::{attr, Class, Message, MessageBuilder, Method};
/// use rtctool::core::transact::{AuthStep, LongTermAuth};
///
/// let mut auth = LongTermAuth::new("user", "pass");
/// assert!(!auth.is_ready()); // the first request goes unsigned
/// // the server challenges
/// let mut b = MessageBuilder::new(Class::ErrorResponse, Method::ALLOCATE, [1; 12]);
/// b.error_code(401, "Unauthorized").text(attr::REALM, "example.org").text(attr::NONCE, "abc");
/// let challenge = b.finish();
/// assert_eq!(auth.handle_error(&Message::new_checked(&challenge[..]).unwrap()), AuthStep::Retry);
/// // the retry is signed
/// let mut retry = MessageBuilder::new(Class::Request, Method::ALLOCATE, [2; 12]);
/// auth.sign(&mut retry);
/// let bytes = retry.finish();
/// let msg = Message::new_checked(&bytes[..]).unwrap();
/// assert!(msg.attribute(attr::USERNAME).is_some() && msg.attribute(attr::NONCE).is_some());
/// assert_eq!(msg.check_integrity(auth.key().unwrap()), rtctool::core::stun::Check::Ok);
/// ```
#[derive(Clone)]
pub struct LongTermAuth {
    username: String,
    password: String,
    realm: Option<String>,
    nonce: Option<String>,
    algorithm: PasswordAlgorithm,
    /// PASSWORD-ALGORITHMS as the server sent it, echoed back (RFC 8489 §9.2.4).
    algorithms: Option<Vec<u8>>,
    key: Option<IntegrityKey>,
    signed_requests: u32,
    stale_retries: u32,
}

impl fmt::Debug for LongTermAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password never appears in any output.
        f.debug_struct("LongTermAuth")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl LongTermAuth {
    /// Credentials not yet challenged.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        LongTermAuth {
            username: username.into(),
            password: password.into(),
            realm: None,
            nonce: None,
            algorithm: PasswordAlgorithm::Md5,
            algorithms: None,
            key: None,
            signed_requests: 0,
            stale_retries: 0,
        }
    }

    /// Whether a challenge has been received, so requests can be signed.
    pub fn is_ready(&self) -> bool {
        self.key.is_some() && self.nonce.is_some()
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The realm, once challenged.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The current nonce.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The password algorithm in use.
    pub fn algorithm(&self) -> PasswordAlgorithm {
        self.algorithm
    }

    /// The key for MESSAGE-INTEGRITY, once challenged: give it to the transaction so responses
    /// are verified.
    pub fn key(&self) -> Option<&IntegrityKey> {
        self.key.as_ref()
    }

    /// Add USERNAME, REALM, NONCE, PASSWORD-ALGORITHMS/PASSWORD-ALGORITHM (when the server
    /// offered them) and MESSAGE-INTEGRITY to a request whose other attributes are in place.
    /// Does nothing before the first challenge. FINGERPRINT, if wanted, goes after.
    pub fn sign(&mut self, b: &mut MessageBuilder) {
        let (Some(realm), Some(nonce), Some(key)) = (&self.realm, &self.nonce, &self.key) else {
            return;
        };
        b.text(attr::USERNAME, &self.username);
        b.text(attr::REALM, realm);
        b.text(attr::NONCE, nonce);
        if let Some(algorithms) = &self.algorithms {
            b.raw(attr::PASSWORD_ALGORITHMS, algorithms);
            let number: u16 = match self.algorithm {
                PasswordAlgorithm::Md5 => 1,
                PasswordAlgorithm::Sha256 => 2,
            };
            let mut value = number.to_be_bytes().to_vec();
            value.extend_from_slice(&[0, 0]);
            b.raw(attr::PASSWORD_ALGORITHM, &value);
        }
        b.message_integrity(key);
        self.signed_requests += 1;
    }

    /// Take the success response to a signed request: the stale-nonce count starts over.
    pub fn handle_success(&mut self) {
        self.stale_retries = 0;
    }

    /// Read an error response: a challenge to answer, a stale nonce to refresh, credentials
    /// that were refused, or not our business.
    pub fn handle_error<T: AsRef<[u8]>>(&mut self, response: &Message<T>) -> AuthStep {
        let text =
            |typ| response.attribute(typ).and_then(|a| std::str::from_utf8(a.value).ok()).map(str::to_owned);
        let (code, reason) = match response
            .attribute(attr::ERROR_CODE)
            .and_then(|a| Attribute::decode(&a, response.xor_key()).ok())
            .map(|a| a.value)
        {
            Some(AttrValue::ErrorCode { code, reason }) => (code, reason.to_string()),
            _ => return AuthStep::NotAuth,
        };
        match code {
            401 => {
                if self.signed_requests > 0 {
                    // We sent credentials (perhaps after a stale nonce) and they were refused.
                    return AuthStep::Failed(AuthFailure::Rejected { code, reason });
                }
                let Some(realm) = text(attr::REALM) else {
                    return AuthStep::Failed(AuthFailure::MissingChallenge { code, missing: "REALM" });
                };
                let Some(nonce) = text(attr::NONCE) else {
                    return AuthStep::Failed(AuthFailure::MissingChallenge { code, missing: "NONCE" });
                };
                self.take_challenge(response, realm, nonce);
                AuthStep::Retry
            }
            438 => {
                if self.stale_retries >= MAX_STALE_RETRIES {
                    return AuthStep::Failed(AuthFailure::StaleNonceLoop { retries: self.stale_retries });
                }
                let Some(nonce) = text(attr::NONCE) else {
                    return AuthStep::Failed(AuthFailure::MissingChallenge { code, missing: "NONCE" });
                };
                let realm = text(attr::REALM).or_else(|| self.realm.clone());
                let Some(realm) = realm else {
                    return AuthStep::Failed(AuthFailure::MissingChallenge { code, missing: "REALM" });
                };
                self.stale_retries += 1;
                self.take_challenge(response, realm, nonce);
                AuthStep::Retry
            }
            441 => AuthStep::Failed(AuthFailure::Rejected { code, reason }),
            _ => AuthStep::NotAuth,
        }
    }

    fn take_challenge<T: AsRef<[u8]>>(&mut self, response: &Message<T>, realm: String, nonce: String) {
        // RFC 8489 §9.2.4: a server with the security-feature nonce cookie may offer password
        // algorithms; use SHA-256 when offered, echo the list.
        self.algorithms = None;
        self.algorithm = PasswordAlgorithm::Md5;
        if nonce.starts_with(NONCE_COOKIE) {
            if let Some(raw) = response.attribute(attr::PASSWORD_ALGORITHMS) {
                let offered: Vec<u16> =
                    attr::password_algorithms(raw.value).filter_map(Result::ok).map(|(a, _)| a).collect();
                if offered.contains(&2) {
                    self.algorithm = PasswordAlgorithm::Sha256;
                    self.algorithms = Some(raw.value.to_vec());
                } else if offered.contains(&1) {
                    self.algorithms = Some(raw.value.to_vec());
                }
            }
        }
        self.key = Some(IntegrityKey::long_term(&self.username, &realm, &self.password, self.algorithm));
        self.realm = Some(realm);
        self.nonce = Some(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{Check, Class, Method};

    fn error(code: u16, realm: Option<&str>, nonce: Option<&str>) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::ErrorResponse, Method::ALLOCATE, [1; 12]);
        b.error_code(code, "x");
        if let Some(r) = realm {
            b.text(attr::REALM, r);
        }
        if let Some(n) = nonce {
            b.text(attr::NONCE, n);
        }
        b.finish()
    }

    fn step(auth: &mut LongTermAuth, bytes: &[u8]) -> AuthStep {
        auth.handle_error(&Message::new_checked(bytes).unwrap())
    }

    fn signed(auth: &mut LongTermAuth) -> Vec<u8> {
        let mut b = MessageBuilder::new(Class::Request, Method::ALLOCATE, [2; 12]);
        b.raw(attr::REQUESTED_TRANSPORT, &[17, 0, 0, 0]);
        auth.sign(&mut b);
        b.fingerprint();
        b.finish()
    }

    #[test]
    fn challenge_then_wrong_password() {
        let mut auth = LongTermAuth::new("user", "wrong");
        assert_eq!(step(&mut auth, &error(401, Some("r"), Some("n1"))), AuthStep::Retry);
        let req = signed(&mut auth);
        let msg = Message::new_checked(&req[..]).unwrap();
        assert_eq!(
            msg.check_integrity(&IntegrityKey::long_term("user", "r", "wrong", PasswordAlgorithm::Md5)),
            Check::Ok
        );
        assert_eq!(msg.check_fingerprint(), Check::Ok);
        assert!(matches!(
            step(&mut auth, &error(401, Some("r"), Some("n2"))),
            AuthStep::Failed(AuthFailure::Rejected { code: 401, .. })
        ));
    }

    #[test]
    fn stale_nonce_is_followed_a_few_times() {
        let mut auth = LongTermAuth::new("user", "pass");
        assert_eq!(step(&mut auth, &error(401, Some("r"), Some("n1"))), AuthStep::Retry);
        signed(&mut auth);
        assert_eq!(step(&mut auth, &error(438, None, Some("n2"))), AuthStep::Retry);
        assert_eq!(auth.nonce(), Some("n2"));
        assert_eq!(auth.realm(), Some("r"));
        let req = signed(&mut auth);
        let msg = Message::new_checked(&req[..]).unwrap();
        let nonce = msg.attribute(attr::NONCE).unwrap();
        assert_eq!(nonce.value, b"n2");
        // a 401 after the stale-nonce retry: the credentials are wrong
        assert!(matches!(step(&mut auth, &error(401, Some("r"), Some("n3"))), AuthStep::Failed(_)));

        let mut auth = LongTermAuth::new("user", "pass");
        step(&mut auth, &error(401, Some("r"), Some("n1")));
        for i in 0..MAX_STALE_RETRIES {
            signed(&mut auth);
            assert_eq!(step(&mut auth, &error(438, Some("r"), Some(&format!("s{i}")))), AuthStep::Retry);
        }
        signed(&mut auth);
        assert_eq!(
            step(&mut auth, &error(438, Some("r"), Some("again"))),
            AuthStep::Failed(AuthFailure::StaleNonceLoop { retries: MAX_STALE_RETRIES })
        );
    }

    #[test]
    fn incomplete_challenges_and_other_errors() {
        let mut auth = LongTermAuth::new("user", "pass");
        assert!(matches!(
            step(&mut auth, &error(401, None, Some("n"))),
            AuthStep::Failed(AuthFailure::MissingChallenge { missing: "REALM", .. })
        ));
        assert!(matches!(
            step(&mut auth, &error(401, Some("r"), None)),
            AuthStep::Failed(AuthFailure::MissingChallenge { missing: "NONCE", .. })
        ));
        assert_eq!(step(&mut auth, &error(486, None, None)), AuthStep::NotAuth);
        assert!(matches!(step(&mut auth, &error(441, None, None)), AuthStep::Failed(_)));
        let mut unsigned = MessageBuilder::new(Class::Request, Method::ALLOCATE, [2; 12]);
        auth.sign(&mut unsigned);
        assert_eq!(unsigned.as_bytes().len(), 20, "nothing is added before a challenge");
    }

    #[test]
    fn sha256_when_offered_with_the_nonce_cookie() {
        let mut b = MessageBuilder::new(Class::ErrorResponse, Method::ALLOCATE, [1; 12]);
        b.error_code(401, "Unauthorized")
            .text(attr::REALM, "r")
            .text(attr::NONCE, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA")
            .raw(attr::PASSWORD_ALGORITHMS, &[0, 2, 0, 0, 0, 1, 0, 0]);
        let challenge = b.finish();
        let mut auth = LongTermAuth::new("user", "pass");
        assert_eq!(step(&mut auth, &challenge), AuthStep::Retry);
        assert_eq!(auth.algorithm(), PasswordAlgorithm::Sha256);
        let req = signed(&mut auth);
        let msg = Message::new_checked(&req[..]).unwrap();
        assert_eq!(msg.attribute(attr::PASSWORD_ALGORITHM).unwrap().value, &[0, 2, 0, 0]);
        assert_eq!(msg.attribute(attr::PASSWORD_ALGORITHMS).unwrap().value, &[0, 2, 0, 0, 0, 1, 0, 0]);
        let key = IntegrityKey::long_term("user", "r", "pass", PasswordAlgorithm::Sha256);
        assert_eq!(msg.check_integrity(&key), Check::Ok);
    }

    #[test]
    fn debug_hides_the_password() {
        let auth = LongTermAuth::new("user", "hunter2");
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
