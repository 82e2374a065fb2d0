//! Which credential verifies which message in a capture: TURN long-term credentials by
//! USERNAME (realm from the message), ICE short-term passwords by the ufrag in USERNAME.

use std::collections::HashMap;

use crate::core::stun::{attr, IntegrityKey, Message, PasswordAlgorithm};
use crate::sdp::Sdp;

use super::txn::KeyRef;

/// The credentials the user gave.
#[derive(Debug, Default, Clone)]
pub struct KeyBook {
    turn: Option<(String, String)>,
    ice_by_ufrag: HashMap<String, String>,
    ice_any: Vec<String>,
}

impl KeyBook {
    /// An empty book: every integrity check is `unchecked`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether any credential was given.
    pub fn is_empty(&self) -> bool {
        self.turn.is_none() && self.ice_by_ufrag.is_empty() && self.ice_any.is_empty()
    }

    /// TURN long-term credentials.
    pub fn set_turn(&mut self, user: &str, password: &str) {
        self.turn = Some((user.to_string(), password.to_string()));
    }

    /// An ICE password: `UFRAG:PWD` ties it to a ufrag (ICE characters exclude ':'), a bare
    /// `PWD` is tried on every check.
    pub fn add_ice(&mut self, spec: &str) {
        match spec.split_once(':') {
            Some((ufrag, pwd)) => {
                self.ice_by_ufrag.insert(ufrag.to_string(), pwd.to_string());
            }
            None => self.ice_any.push(spec.to_string()),
        }
    }

    /// Take every `a=ice-ufrag`/`a=ice-pwd` pair of an SDP, as the `sdp` module parsed it
    /// (session level, and each m-section's own or inherited pair); how many distinct ufrags it
    /// has.
    pub fn add_sdp(&mut self, sdp: &Sdp<'_>) -> usize {
        let session = (sdp.session.ice.ufrag, sdp.session.ice.pwd);
        let pairs = std::iter::once(session.0.zip(session.1).map(|(u, p)| (u.value, p.value)))
            .chain(sdp.media.iter().map(|m| sdp.ufrag(m).zip(sdp.pwd(m))));
        let mut found = std::collections::HashSet::new();
        for (ufrag, pwd) in pairs.flatten() {
            self.ice_by_ufrag.insert(ufrag.to_string(), pwd.to_string());
            found.insert(ufrag);
        }
        found.len()
    }

    /// The credential for a request (or indication), by its USERNAME and REALM.
    pub fn key_ref_for(&self, msg: &Message<&[u8]>) -> Option<KeyRef> {
        if self.is_empty() {
            return None;
        }
        let text = |t| msg.attribute(t).and_then(|a| std::str::from_utf8(a.value).ok());
        let username = text(attr::USERNAME)?;
        if let Some((user, _)) = &self.turn {
            if username == user {
                return text(attr::REALM).map(|realm| KeyRef::Turn { realm: realm.to_string() });
            }
        }
        // ICE: USERNAME is "receiver-ufrag:sender-ufrag"; the receiver's password signs it.
        let (receiver, _) = username.split_once(':')?;
        if let Some(pwd) = self.ice_by_ufrag.get(receiver) {
            return Some(KeyRef::Ice { pwd: pwd.clone(), definitive: true });
        }
        let first = self.ice_any.first()?;
        Some(KeyRef::Ice { pwd: first.clone(), definitive: false })
    }

    /// Keys to try for a credential reference; the bool says whether a failure means `bad`
    /// (the user tied the credential to this exchange) or only `unchecked`.
    pub fn keys(&self, key: &KeyRef, msg: &Message<&[u8]>) -> (Vec<IntegrityKey>, bool) {
        match key {
            KeyRef::Turn { realm } => match &self.turn {
                Some((user, pass)) => {
                    let alg = match msg.attribute(attr::PASSWORD_ALGORITHM).map(|a| a.value) {
                        Some([0, 2, ..]) => PasswordAlgorithm::Sha256,
                        _ => PasswordAlgorithm::Md5,
                    };
                    (vec![IntegrityKey::long_term(user, realm, pass, alg)], true)
                }
                None => (Vec::new(), false),
            },
            KeyRef::Ice { pwd, definitive: true } => (vec![IntegrityKey::short_term(pwd)], true),
            KeyRef::Ice { definitive: false, .. } => {
                (self.ice_any.iter().map(|p| IntegrityKey::short_term(p)).collect(), false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdp_credentials_per_section() {
        let sdp = "v=0\r\na=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsessionpw\r\nm=audio 9 UDP 0\r\na=ice-ufrag:aud1\r\na=ice-pwd:audiopasswordaudiopass1\r\nm=video 9 UDP 96\r\n";
        let mut book = KeyBook::new();
        assert_eq!(book.add_sdp(&Sdp::parse(sdp)), 2, "the video section inherits the session's pair");
        assert_eq!(book.ice_by_ufrag["sess"], "sessionpasswordsessionpw");
        assert_eq!(book.ice_by_ufrag["aud1"], "audiopasswordaudiopass1");
        book.add_ice("abcd:pw");
        book.add_ice("barepw");
        assert_eq!(book.ice_by_ufrag["abcd"], "pw");
        assert_eq!(book.ice_any, vec!["barepw"]);
    }
}
