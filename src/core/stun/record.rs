//! A decoded frame as a report: what `stun decode` prints and what the pcap dissector emits per
//! message (the JSON keys of DESIGN.md). Building a report allocates; hot paths that only need
//! a field or two use the [`Message`] view directly.

use serde::Serialize;
use serde_json::Value;

use super::attr::{self, Attribute};
use super::channel::ChannelData;
use super::demux::{demux, PacketKind};
use super::integrity::{Check, Credentials, IntegrityKey};
use super::message::{HeaderError, Message};
use super::{hex, HEADER_LEN};

/// How many levels of STUN messages inside others (ChannelData payloads, DATA attributes) are
/// decoded. Real traffic nests one or two (TURN over TURN); a crafted 64 KiB message can nest
/// 2,700, which overflowed the stack of the decoder and of every recursive walk of its report.
const MAX_NESTING: usize = 8;

/// Chooses the integrity keys for a message (given its bytes): from user credentials, or, in
/// a capture, by the message's USERNAME and REALM. No keys means `unchecked`, never `bad`.
pub type KeysFor<'k> = &'k dyn Fn(&[u8]) -> Vec<IntegrityKey>;

fn credential_keys(credentials: Option<&Credentials>) -> impl Fn(&[u8]) -> Vec<IntegrityKey> + '_ {
    move |bytes| match credentials {
        Some(c) => c.keys(&Message::new_unchecked(bytes)),
        None => Vec::new(),
    }
}

/// A frame of the two kinds that `stun decode` accepts.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// A STUN message (possibly truncated or with trailing bytes; see [`DecodeReport`]).
    Stun(&'a [u8]),
    /// A TURN ChannelData frame.
    ChannelData(ChannelData<&'a [u8]>),
}

impl<'a> Frame<'a> {
    /// Recognise a STUN message or ChannelData frame by its first byte (RFC 7983).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        match demux(bytes) {
            PacketKind::Stun => Ok(Frame::Stun(bytes)),
            PacketKind::TurnChannel => ChannelData::new_checked(bytes).map(Frame::ChannelData).map_err(|e| e.to_string()),
            PacketKind::Unknown if bytes.is_empty() => Err("no bytes to decode".into()),
            kind => Err(format!(
                "first byte 0x{:02x} marks {} (RFC 7983), not STUN (0x00-0x03) or TURN ChannelData (0x40-0x4f)",
                bytes[0],
                kind_name(kind)
            )),
        }
    }
}

fn kind_name(kind: PacketKind) -> &'static str {
    match kind {
        PacketKind::Stun => "STUN",
        PacketKind::Zrtp => "ZRTP",
        PacketKind::Dtls => "DTLS",
        PacketKind::TurnChannel => "TURN ChannelData",
        PacketKind::Quic => "QUIC",
        PacketKind::Rtp => "RTP",
        PacketKind::Rtcp => "RTCP",
        PacketKind::Unknown => "an unknown protocol",
    }
}

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The message is damaged or a check failed.
    Error,
    /// Unusual but decodable.
    Warning,
}

/// Something wrong with a message, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Byte offset from the start of the frame, when it has one.
    pub offset: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// One attribute in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeRecord {
    /// Attribute type number.
    #[serde(rename = "type")]
    pub typ: u16,
    /// Registered name, or `UNKNOWN-0xNNNN`.
    pub name: String,
    /// Typed value as JSON; null when it could not be decoded.
    pub value: Value,
    /// Offset of the attribute header from the start of the message.
    pub offset: usize,
    /// Value length in bytes.
    pub length: usize,
    /// Why the value could not be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Check result for FINGERPRINT and MESSAGE-INTEGRITY(-SHA256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// The value as people read it (not in JSON, which has `value`).
    #[serde(skip)]
    pub display: String,
}

/// A decoded STUN message or ChannelData frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeReport {
    /// `stun` or `channel-data`.
    pub kind: &'static str,
    /// Null for a top-level frame; `channel-data` or `data-attribute` for one found inside
    /// another.
    pub via: Option<&'static str>,
    /// The 16-bit message type.
    pub message_type: Option<u16>,
    /// `request`, `indication`, `success-response`, `error-response`.
    pub class: Option<&'static str>,
    /// Method name (or `0xNNN`).
    pub method: Option<String>,
    /// Hex transaction id: 24 digits (32 for RFC 3489 messages).
    pub transaction_id: Option<String>,
    /// Whether this is an RFC 3489 message (no magic cookie).
    pub rfc3489: bool,
    /// Declared length (attributes for STUN, data for ChannelData).
    pub length: usize,
    /// Attributes in order.
    pub attributes: Vec<AttributeRecord>,
    /// FINGERPRINT check.
    pub fingerprint: Check,
    /// MESSAGE-INTEGRITY(-SHA256) check.
    pub integrity: Check,
    /// The credential mechanism that verified integrity.
    pub integrity_key: Option<String>,
    /// TURN channel number (ChannelData).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<u16>,
    /// What the ChannelData or DATA payload is (RFC 7983 kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<&'static str>,
    /// Damage and oddities, with offsets.
    pub problems: Vec<Problem>,
    /// STUN messages found inside (a ChannelData payload or a DATA attribute).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inner: Vec<DecodeReport>,
}

impl DecodeReport {
    fn problem(&mut self, severity: Severity, offset: Option<usize>, message: impl Into<String>) {
        self.problems.push(Problem { severity, offset, message: message.into() });
    }

    /// Whether any error-severity problem was found (here or inside).
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error) || self.inner.iter().any(Self::has_errors)
    }

    /// Decode a frame recognised by [`Frame::parse`].
    pub fn decode(frame: Frame<'_>, credentials: Option<&Credentials>) -> Result<Self, HeaderError> {
        match frame {
            Frame::Stun(bytes) => Self::stun(bytes, credentials),
            Frame::ChannelData(cd) => Ok(Self::channel_data(cd, &credential_keys(credentials))),
        }
    }

    /// Decode a ChannelData frame, and the STUN message inside when there is one.
    pub fn channel_data(cd: ChannelData<&[u8]>, keys_for: KeysFor<'_>) -> Self {
        let data = cd.data();
        let kind = demux(data);
        let mut report = DecodeReport {
            kind: "channel-data",
            via: None,
            message_type: None,
            class: None,
            method: None,
            transaction_id: None,
            rfc3489: false,
            length: data.len(),
            attributes: Vec::new(),
            fingerprint: Check::Absent,
            integrity: Check::Absent,
            integrity_key: None,
            channel: Some(cd.channel()),
            payload: Some(kind.as_str()),
            problems: Vec::new(),
            inner: Vec::new(),
        };
        if !cd.in_rfc8656_range() {
            report.problem(
                Severity::Warning,
                Some(0),
                format!(
                    "channel 0x{:04x} is outside RFC 8656's 0x4000-0x4FFF (allowed by RFC 5766)",
                    cd.channel()
                ),
            );
        }
        let trailing = cd.trailing().len();
        if trailing > 3 {
            report.problem(
                Severity::Warning,
                Some(4 + data.len()),
                format!(
                    "{} after the {}-byte frame {} not decoded",
                    crate::core::units::count(trailing as u64, "byte"),
                    4 + data.len(),
                    crate::core::units::was(trailing as u64)
                ),
            );
        }
        if kind == PacketKind::Stun {
            if let Ok(mut inner) = Self::stun_nested(data, keys_for, 1) {
                inner.via = Some("channel-data");
                report.inner.push(inner);
            }
        }
        report
    }

    /// Decode a STUN message leniently: only a buffer shorter than the header or one whose top
    /// bits are set is refused; everything else is decoded as far as it goes, with problems.
    pub fn stun(bytes: &[u8], credentials: Option<&Credentials>) -> Result<Self, HeaderError> {
        Self::stun_nested(bytes, &credential_keys(credentials), 0)
    }

    /// [`DecodeReport::stun`] with integrity keys chosen per message by `keys_for`.
    pub fn stun_with_keys(bytes: &[u8], keys_for: KeysFor<'_>) -> Result<Self, HeaderError> {
        Self::stun_nested(bytes, keys_for, 0)
    }

    /// [`DecodeReport::stun`] for a message `depth` levels inside another.
    fn stun_nested(bytes: &[u8], keys_for: KeysFor<'_>, depth: usize) -> Result<Self, HeaderError> {
        let msg = Message::new_unchecked(bytes);
        if let Err(e @ (HeaderError::TooShort { .. } | HeaderError::NotStun { .. })) = msg.check_header() {
            return Err(e);
        }
        let mut report = DecodeReport {
            kind: "stun",
            via: None,
            message_type: Some(msg.message_type()),
            class: Some(msg.class().as_str()),
            method: Some(match msg.method().name() {
                Some(n) => n.to_string(),
                None => format!("0x{:03x}", msg.method().0),
            }),
            transaction_id: Some(hex(msg.transaction_id_bytes())),
            rfc3489: msg.is_classic(),
            length: usize::from(msg.length()),
            attributes: Vec::new(),
            fingerprint: Check::Absent,
            integrity: Check::Absent,
            integrity_key: None,
            channel: None,
            payload: None,
            problems: Vec::new(),
            inner: Vec::new(),
        };
        match msg.check_header() {
            Err(e @ HeaderError::UnalignedLength { .. }) | Err(e @ HeaderError::Truncated { .. }) => {
                report.problem(Severity::Error, Some(2), e.to_string())
            }
            _ => {}
        }
        let end = HEADER_LEN + usize::from(msg.length());
        if bytes.len() > end {
            report.problem(
                Severity::Warning,
                Some(end),
                format!("{} bytes after the message's declared end were not decoded", bytes.len() - end),
            );
        }
        if msg.is_classic() {
            report.problem(Severity::Warning, Some(4), "no magic cookie: an RFC 3489 (classic STUN) message");
        }

        let xor_key = msg.xor_key();
        let mut integrity_at: Option<usize> = None;
        let mut fingerprint_at: Option<usize> = None;
        for item in msg.attributes() {
            let raw = match item {
                Ok(raw) => raw,
                Err(e) => {
                    report.problem(Severity::Error, Some(e.offset), e.to_string());
                    continue;
                }
            };
            if let Some(fp) = fingerprint_at {
                report.problem(
                    Severity::Error,
                    Some(raw.offset),
                    format!("{} follows FINGERPRINT (at offset {fp}), which must be last", raw.name()),
                );
            } else if let Some(mi) = integrity_at {
                if !matches!(raw.typ, attr::FINGERPRINT | attr::MESSAGE_INTEGRITY_SHA256) {
                    report.problem(
                        Severity::Warning,
                        Some(raw.offset),
                        format!(
                            "{} follows MESSAGE-INTEGRITY (at offset {mi}) and is not covered by it",
                            raw.name()
                        ),
                    );
                }
            }
            match raw.typ {
                attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256 => {
                    integrity_at.get_or_insert(raw.offset);
                }
                attr::FINGERPRINT => fingerprint_at = Some(raw.offset),
                _ => {}
            }
            let mut record = AttributeRecord {
                typ: raw.typ,
                name: raw.name().into_owned(),
                value: Value::Null,
                offset: raw.offset,
                length: raw.value.len(),
                error: None,
                check: None,
                display: String::new(),
            };
            match Attribute::decode(&raw, xor_key) {
                Ok(a) => {
                    record.value = a.value.to_json();
                    record.display = a.value.to_string();
                    if raw.typ == attr::DATA {
                        let kind = demux(raw.value);
                        report.payload = Some(kind.as_str());
                        if kind == PacketKind::Stun && depth >= MAX_NESTING {
                            report.problem(
                                Severity::Warning,
                                Some(raw.offset),
                                format!(
                                    "DATA holds a STUN message nested more than {MAX_NESTING} deep; not decoded"
                                ),
                            );
                        } else if kind == PacketKind::Stun {
                            if let Ok(mut inner) = Self::stun_nested(raw.value, keys_for, depth + 1) {
                                inner.via = Some("data-attribute");
                                report.inner.push(inner);
                            }
                        }
                    }
                }
                Err(e) => {
                    record.display = format!("{} bytes: {}", raw.value.len(), hex(raw.value));
                    record.error = Some(e.reason.clone());
                    report.problem(Severity::Error, Some(e.offset), e.to_string());
                }
            }
            report.attributes.push(record);
        }

        report.fingerprint = msg.check_fingerprint();
        if report.fingerprint == Check::Bad {
            let detail = match (msg.expected_fingerprint(), msg.attribute(attr::FINGERPRINT)) {
                (Some(want), Some(a)) if a.value.len() == 4 => {
                    let got = u32::from_be_bytes([a.value[0], a.value[1], a.value[2], a.value[3]]);
                    format!("FINGERPRINT mismatch: the message carries 0x{got:08x}, its bytes give 0x{want:08x} (the message was altered)")
                }
                _ => "FINGERPRINT value is not 4 bytes".to_string(),
            };
            report.problem(Severity::Error, fingerprint_at, detail);
        }
        for record in &mut report.attributes {
            if record.typ == attr::FINGERPRINT {
                record.check = Some(report.fingerprint);
            }
        }
        let keys = keys_for(bytes);
        let (integrity, key) = msg.check_integrity_any(&keys);
        report.set_integrity(integrity, key.map(|k| k.mechanism().to_string()), &keys);
        Ok(report)
    }

    /// Record an integrity outcome, replacing an earlier one (and its problem, if any). The
    /// pcap dissector uses it to turn a `bad` from a credential that may not apply into
    /// `unchecked`.
    pub fn set_integrity(&mut self, integrity: Check, key: Option<String>, tried: &[IntegrityKey]) {
        const FAILED: &str = "MESSAGE-INTEGRITY does not verify";
        self.integrity = integrity;
        self.integrity_key = key;
        self.problems.retain(|p| !p.message.starts_with(FAILED));
        let at = self
            .attributes
            .iter()
            .find(|a| matches!(a.typ, attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256))
            .map(|a| a.offset);
        if integrity == Check::Bad {
            let tried: Vec<&str> = tried.iter().map(|k| k.mechanism()).collect();
            let tried =
                if tried.is_empty() { String::new() } else { format!(" (tried: {})", tried.join("; ")) };
            self.problem(
                Severity::Error,
                at,
                format!("{FAILED} with the given password{tried}; the password is wrong or the message was altered"),
            );
        }
        for record in &mut self.attributes {
            if matches!(record.typ, attr::MESSAGE_INTEGRITY | attr::MESSAGE_INTEGRITY_SHA256) {
                record.check = Some(integrity);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::stun::{Class, MessageBuilder, Method};

    /// A Data indication whose DATA holds a Data indication whose DATA holds... `levels` deep.
    fn nested(levels: usize) -> Vec<u8> {
        let mut msg = MessageBuilder::new(Class::Indication, Method::DATA, [1; 12]).finish();
        for _ in 0..levels {
            let mut outer = MessageBuilder::new(Class::Indication, Method::DATA, [1; 12]);
            outer.raw(attr::DATA, &msg);
            msg = outer.finish();
        }
        msg
    }

    fn depth(report: &DecodeReport) -> usize {
        1 + report.inner.iter().map(depth).max().unwrap_or(0)
    }

    #[test]
    fn deep_nesting_is_cut_off_not_a_stack_overflow() {
        // The crashing input: 2,700 levels in 64,820 bytes overflowed an 8 MiB stack.
        let bytes = nested(2700);
        assert_eq!(bytes.len(), 64_820);
        let report = DecodeReport::decode(Frame::parse(&bytes).unwrap(), None).unwrap();
        assert_eq!(depth(&report), MAX_NESTING + 1);
        assert!(!report.has_errors());
        let mut deepest = &report;
        while let Some(inner) = deepest.inner.first() {
            deepest = inner;
        }
        assert!(
            deepest.problems.iter().any(|p| p.message.contains("nested more than")),
            "{:?}",
            deepest.problems
        );
        assert!(serde_json::to_string(&report).unwrap().contains("nested more than"));

        // Within the limit everything is decoded, with no warning.
        let report = DecodeReport::stun(&nested(MAX_NESTING), None).unwrap();
        assert_eq!(depth(&report), MAX_NESTING + 1);
        assert!(report.problems.is_empty());

        // Inside ChannelData the frame itself is the first level.
        let inner = nested(2700 - 1);
        let mut cd = vec![0x40, 0x00];
        cd.extend_from_slice(&(inner.len() as u16).to_be_bytes());
        cd.extend_from_slice(&inner);
        let report = DecodeReport::decode(Frame::parse(&cd).unwrap(), None).unwrap();
        assert_eq!(depth(&report), MAX_NESTING + 1);
    }
}
