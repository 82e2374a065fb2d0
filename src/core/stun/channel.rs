//! TURN ChannelData frames (RFC 8656 §12.4).

use std::fmt;

/// Why bytes are not a ChannelData frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelDataError {
    /// Fewer than 4 bytes.
    TooShort {
        /// How many bytes there are.
        len: usize,
    },
    /// The channel number is outside 0x4000..=0x7FFF.
    BadChannel {
        /// The channel number found.
        channel: u16,
    },
    /// The length field claims more than there is.
    Truncated {
        /// The declared data length.
        declared: u16,
        /// Bytes after the 4-byte header.
        available: usize,
    },
}

impl fmt::Display for ChannelDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelDataError::TooShort { len } => {
                write!(
                    f,
                    "{} is shorter than the 4-byte ChannelData header",
                    crate::core::units::count(*len as u64, "byte")
                )
            }
            ChannelDataError::BadChannel { channel } => {
                write!(f, "channel number 0x{channel:04x} is outside 0x4000-0x7FFF")
            }
            ChannelDataError::Truncated { declared, available } => write!(
                f,
                "ChannelData length field says {declared} bytes (offset 2) but {available} follow the header"
            ),
        }
    }
}

impl std::error::Error for ChannelDataError {}

/// A zero-copy view of a ChannelData frame.
#[derive(Debug, Clone, Copy)]
pub struct ChannelData<T: AsRef<[u8]>> {
    buffer: T,
}

/// Whether a first byte can begin ChannelData: channel numbers 0x4000..=0x7FFF (RFC 5766's
/// range; RFC 7983's demultiplexing table and RFC 8656 keep only 0x40-0x4F, but coturn's
/// clients use the rest).
pub fn starts_channel_data(first: u8) -> bool {
    (0x40..=0x7f).contains(&first)
}

impl<T: AsRef<[u8]>> ChannelData<T> {
    /// Check the header: 4 bytes, a channel number in 0x4000..=0x7FFF (RFC 5766's range; RFC
    /// 8656 narrowed it to 0x4FFF, see [`ChannelData::in_rfc8656_range`]), and a length that
    /// fits. Bytes after the data (UDP junk, TCP padding) are not part of the frame.
    pub fn new_checked(buffer: T) -> Result<Self, ChannelDataError> {
        let b = buffer.as_ref();
        if b.len() < 4 {
            return Err(ChannelDataError::TooShort { len: b.len() });
        }
        let channel = u16::from_be_bytes([b[0], b[1]]);
        if !starts_channel_data(b[0]) {
            return Err(ChannelDataError::BadChannel { channel });
        }
        let declared = u16::from_be_bytes([b[2], b[3]]);
        if usize::from(declared) > b.len() - 4 {
            return Err(ChannelDataError::Truncated { declared, available: b.len() - 4 });
        }
        Ok(ChannelData { buffer })
    }

    /// The channel number.
    pub fn channel(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Whether the channel number is in RFC 8656's 0x4000..=0x4FFF.
    pub fn in_rfc8656_range(&self) -> bool {
        (0x4000..=0x4fff).contains(&self.channel())
    }

    /// The declared data length.
    pub fn length(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[2], b[3]])
    }

    /// The application data.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[4..4 + usize::from(self.length())]
    }

    /// The whole buffer: header, data, and what trails it.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The frame's size on a stream transport, where it is padded to 4 bytes.
    pub fn padded_len(&self) -> usize {
        (4 + usize::from(self.length()) + 3) & !3
    }

    /// Bytes after the data (padding on a stream, junk on a datagram).
    pub fn trailing(&self) -> &[u8] {
        &self.buffer.as_ref()[4 + usize::from(self.length())..]
    }
}

impl<'a> ChannelData<&'a [u8]> {
    /// The application data, with the buffer's lifetime.
    pub fn into_data(self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer;
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        &b[4..4 + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(ChannelData::new_checked(&[0x40, 0, 0][..]).is_err());
        assert_eq!(
            ChannelData::new_checked(&[0x80, 0, 0, 0][..]).unwrap_err(),
            ChannelDataError::BadChannel { channel: 0x8000 }
        );
        assert!(matches!(
            ChannelData::new_checked(&[0x40, 0, 0, 5, 1][..]),
            Err(ChannelDataError::Truncated { .. })
        ));
        let cd = ChannelData::new_checked(&[0x40, 1, 0, 3, 9, 8, 7, 0][..]).unwrap();
        assert_eq!(cd.channel(), 0x4001);
        assert_eq!(cd.data(), &[9, 8, 7]);
        assert_eq!(cd.padded_len(), 8);
        assert_eq!(cd.trailing(), &[0]);
    }
}
