//! Encoding STUN messages.

use std::net::SocketAddr;

use super::attr::{self, Attribute};
use super::integrity::{fingerprint_at, hmac_sha1_at, hmac_sha256_at, IntegrityKey};
use super::message::{message_type, Class, Method};
use super::{HEADER_LEN, MAGIC_COOKIE};

/// Builds one STUN message: header, attributes with exact lengths and zero padding, then
/// optionally MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, which must come last.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    buf: Vec<u8>,
}

impl MessageBuilder {
    /// A message of this class and method with an RFC 5389 header (magic cookie).
    pub fn new(class: Class, method: Method, transaction_id: [u8; 12]) -> Self {
        Self::with_type(message_type(class, method), transaction_id)
    }

    /// A message with a raw 16-bit type (for unusual or invalid types in tests).
    pub fn with_type(message_type: u16, transaction_id: [u8; 12]) -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&message_type.to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf.extend_from_slice(&transaction_id);
        MessageBuilder { buf }
    }

    /// An RFC 3489 message: no magic cookie, a 128-bit transaction id.
    pub fn classic(message_type: u16, transaction_id: [u8; 16]) -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&message_type.to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&transaction_id);
        MessageBuilder { buf }
    }

    /// The key of the XOR address encoding (header bytes 4..20).
    pub fn xor_key(&self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key.copy_from_slice(&self.buf[4..HEADER_LEN]);
        key
    }

    fn set_length(&mut self) {
        let len = (self.buf.len() - HEADER_LEN) as u16;
        self.buf[2..4].copy_from_slice(&len.to_be_bytes());
    }

    /// Start an attribute header; returns where its value begins.
    fn begin(&mut self, typ: u16) -> usize {
        self.buf.extend_from_slice(&typ.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        self.buf.len()
    }

    /// Fill in the value length, pad with zeros, update the header length.
    fn end(&mut self, start: usize) {
        let len = (self.buf.len() - start) as u16;
        self.buf[start - 2..start].copy_from_slice(&len.to_be_bytes());
        let pad = (4 - usize::from(len) % 4) % 4;
        self.buf.extend(std::iter::repeat_n(0, pad));
        self.set_length();
    }

    /// Add an attribute with raw value bytes.
    pub fn raw(&mut self, typ: u16, value: &[u8]) -> &mut Self {
        let start = self.begin(typ);
        self.buf.extend_from_slice(value);
        self.end(start);
        self
    }

    /// Add a typed attribute.
    pub fn add(&mut self, attribute: &Attribute<'_>) -> &mut Self {
        let key = self.xor_key();
        let start = self.begin(attribute.typ);
        attribute.encode_value(key, &mut self.buf);
        self.end(start);
        self
    }

    /// Add an XOR-encoded address attribute (XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS...).
    pub fn xor_address(&mut self, typ: u16, addr: SocketAddr) -> &mut Self {
        self.add(&Attribute { typ, value: attr::AttrValue::XorAddress(addr) })
    }

    /// Add a plain address attribute (MAPPED-ADDRESS, OTHER-ADDRESS...).
    pub fn address(&mut self, typ: u16, addr: SocketAddr) -> &mut Self {
        self.add(&Attribute { typ, value: attr::AttrValue::Address(addr) })
    }

    /// Add a text attribute (USERNAME, REALM, NONCE, SOFTWARE...).
    pub fn text(&mut self, typ: u16, text: &str) -> &mut Self {
        self.raw(typ, text.as_bytes())
    }

    /// Add a 32-bit number attribute (LIFETIME, PRIORITY...).
    pub fn u32(&mut self, typ: u16, value: u32) -> &mut Self {
        self.raw(typ, &value.to_be_bytes())
    }

    /// Add a 64-bit number attribute (ICE-CONTROLLING/-CONTROLLED).
    pub fn u64(&mut self, typ: u16, value: u64) -> &mut Self {
        self.raw(typ, &value.to_be_bytes())
    }

    /// Add ERROR-CODE.
    pub fn error_code(&mut self, code: u16, reason: &str) -> &mut Self {
        self.add(&Attribute { typ: attr::ERROR_CODE, value: attr::AttrValue::ErrorCode { code, reason } })
    }

    /// Add CHANGE-REQUEST.
    pub fn change_request(&mut self, change_ip: bool, change_port: bool) -> &mut Self {
        self.add(&Attribute {
            typ: attr::CHANGE_REQUEST,
            value: attr::AttrValue::ChangeRequest { change_ip, change_port },
        })
    }

    /// Append MESSAGE-INTEGRITY (HMAC-SHA1) computed with `key`.
    pub fn message_integrity(&mut self, key: &IntegrityKey) -> &mut Self {
        let offset = self.buf.len();
        self.raw(attr::MESSAGE_INTEGRITY, &[0; 20]);
        let mac = hmac_sha1_at(&self.buf, offset, key.as_bytes());
        self.buf[offset + 4..offset + 24].copy_from_slice(&mac);
        self
    }

    /// Append MESSAGE-INTEGRITY-SHA256 (full 32 bytes) computed with `key`.
    pub fn message_integrity_sha256(&mut self, key: &IntegrityKey) -> &mut Self {
        let offset = self.buf.len();
        self.raw(attr::MESSAGE_INTEGRITY_SHA256, &[0; 32]);
        let mac = hmac_sha256_at(&self.buf, offset, 32, key.as_bytes());
        self.buf[offset + 4..offset + 36].copy_from_slice(&mac);
        self
    }

    /// Append FINGERPRINT.
    pub fn fingerprint(&mut self) -> &mut Self {
        let offset = self.buf.len();
        self.raw(attr::FINGERPRINT, &[0; 4]);
        let crc = fingerprint_at(&self.buf, offset);
        self.buf[offset + 4..offset + 8].copy_from_slice(&crc.to_be_bytes());
        self
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished message.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}
