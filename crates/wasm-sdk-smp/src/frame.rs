//! SMP over a serial console: the framing of MCUmgr's UART transport
//! (Zephyr's `CONFIG_MCUMGR_TRANSPORT_UART`), which every standard client
//! speaks.
//!
//! A frame is `len: BE16 ‖ message ‖ crc: BE16`, where `len` counts the
//! message and the CRC (not itself) and the CRC is CRC-16/XMODEM over the
//! message only. The frame is base64-encoded (standard alphabet, padded)
//! and cut into lines: the first starts with the bytes `06 09`, the others
//! with `04 14`, and each ends with `\n` (a `\r` before it is accepted).
//! Bytes outside such lines (a boot banner, log lines) are skipped.
//!
//! [`FrameDecoder`] reassembles requests from received bytes in fixed
//! buffers; [`encode`] cuts a response into lines whose base64 is a
//! multiple of 4 characters each, because clients decode every line on its
//! own.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// CRC-16/XMODEM (poly 0x1021, init 0, no reflection): the check of every
/// SMP serial frame.
const CRC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);

/// The two bytes that start a frame's first line.
pub const FIRST_LINE: [u8; 2] = [0x06, 0x09];
/// The two bytes that start each further line of a frame.
pub const NEXT_LINE: [u8; 2] = [0x04, 0x14];

/// Longest line a client sends (124 base64 characters, marker and `\n`),
/// with room for a `\r`.
pub const MAX_LINE: usize = 128;

/// Base64 characters per response line: a multiple of 4, and short enough
/// that marker and `\n` keep the line within [`MAX_LINE`].
const RESPONSE_LINE_CHARS: usize = 124;

/// Why a received frame was dropped. A dropped frame gets no response (its
/// sequence number is unknown); the client times out and resends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A line longer than [`MAX_LINE`].
    LineTooLong,
    /// A line that is not base64.
    BadBase64,
    /// More bytes than the reassembly buffer holds.
    TooLarge,
    /// The length field disagrees with the bytes received, or is too small
    /// to hold the CRC.
    BadLength,
    /// The CRC does not match the message.
    BadCrc,
}

impl FrameError {
    /// A short lowercase description.
    pub const fn as_str(self) -> &'static str {
        match self {
            FrameError::LineTooLong => "line too long",
            FrameError::BadBase64 => "line is not base64",
            FrameError::TooLarge => "frame larger than the reassembly buffer",
            FrameError::BadLength => "frame length field is wrong",
            FrameError::BadCrc => "frame CRC does not match",
        }
    }
}

/// What [`FrameDecoder::push`] found in one received byte.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<'a> {
    /// Nothing complete yet.
    Pending,
    /// A whole SMP message (header and body), CRC checked.
    Message(&'a [u8]),
    /// A frame was dropped; decoding continues with the next line.
    Dropped(FrameError),
}

/// Reassembles SMP messages from console bytes, in fixed buffers: `N` is
/// the reassembly buffer, which holds the length field, the message and
/// the CRC (advertise `N` as the SMP `buf_size`).
pub struct FrameDecoder<const N: usize> {
    line: [u8; MAX_LINE],
    line_len: usize,
    /// The current line is not an SMP line, or overflowed: skip to `\n`.
    skipping: bool,
    frame: [u8; N],
    frame_len: usize,
    /// A first line was seen and the frame is not complete yet.
    in_frame: bool,
}

impl<const N: usize> Default for FrameDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameDecoder<N> {
    /// An empty decoder.
    pub const fn new() -> Self {
        FrameDecoder {
            line: [0; MAX_LINE],
            line_len: 0,
            skipping: false,
            frame: [0; N],
            frame_len: 0,
            in_frame: false,
        }
    }

    /// Feeds one received byte.
    pub fn push(&mut self, byte: u8) -> Received<'_> {
        if byte != b'\n' {
            if self.skipping {
                return Received::Pending;
            }
            let Some(slot) = self.line.get_mut(self.line_len) else {
                self.skipping = true;
                self.line_len = 0;
                // A console line may be long; an SMP line may not.
                return if self.in_frame || self.line.starts_with(&FIRST_LINE) {
                    self.in_frame = false;
                    Received::Dropped(FrameError::LineTooLong)
                } else {
                    Received::Pending
                };
            };
            *slot = byte;
            self.line_len += 1;
            return Received::Pending;
        }
        let len = core::mem::take(&mut self.line_len);
        if core::mem::take(&mut self.skipping) {
            return Received::Pending;
        }
        self.end_line(len)
    }

    fn end_line(&mut self, len: usize) -> Received<'_> {
        let line = &self.line[..len];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let payload = if let Some(rest) = line.strip_prefix(&FIRST_LINE) {
            // A new first line abandons any unfinished frame.
            self.in_frame = true;
            self.frame_len = 0;
            rest
        } else if let Some(rest) = line.strip_prefix(&NEXT_LINE).filter(|_| self.in_frame) {
            rest
        } else {
            return Received::Pending;
        };
        let Some(out) = self.frame.get_mut(self.frame_len..) else {
            return self.drop_frame(FrameError::TooLarge);
        };
        let written = match STANDARD.decode_slice(payload, out) {
            Ok(n) => n,
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                return self.drop_frame(FrameError::TooLarge);
            }
            Err(base64::DecodeSliceError::DecodeError(_)) => {
                return self.drop_frame(FrameError::BadBase64);
            }
        };
        self.frame_len += written;
        let Some((len_field, rest)) = self.frame[..self.frame_len].split_first_chunk::<2>() else {
            return Received::Pending;
        };
        let expected = usize::from(u16::from_be_bytes(*len_field));
        if rest.len() < expected {
            return Received::Pending;
        }
        self.in_frame = false;
        if rest.len() > expected || expected < 2 {
            return Received::Dropped(FrameError::BadLength);
        }
        let (message, crc) = rest.split_at(expected - 2);
        if CRC.checksum(message) != u16::from_be_bytes([crc[0], crc[1]]) {
            return Received::Dropped(FrameError::BadCrc);
        }
        Received::Message(message)
    }

    fn drop_frame(&mut self, error: FrameError) -> Received<'_> {
        self.in_frame = false;
        self.frame_len = 0;
        Received::Dropped(error)
    }
}

/// Why [`encode`] could not frame a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The message is longer than a frame's length field or the scratch
    /// buffer allows.
    TooLarge,
}

/// Frames `message` and hands each console line (marker, base64, `\n`) to
/// `line`. `scratch` holds the raw frame: at least `message.len() + 4`
/// bytes.
///
/// # Errors
///
/// [`EncodeError::TooLarge`]; nothing is emitted then.
pub fn encode(
    message: &[u8],
    scratch: &mut [u8],
    mut line: impl FnMut(&[u8]),
) -> Result<(), EncodeError> {
    let len = u16::try_from(message.len() + 2).map_err(|_| EncodeError::TooLarge)?;
    let frame = scratch.get_mut(..message.len() + 4).ok_or(EncodeError::TooLarge)?;
    let (head, tail) = frame.split_at_mut(2);
    head.copy_from_slice(&len.to_be_bytes());
    let (body, crc) = tail.split_at_mut(message.len());
    body.copy_from_slice(message);
    crc.copy_from_slice(&CRC.checksum(message).to_be_bytes());
    // 3 raw bytes are 4 base64 characters: whole groups per line keep every
    // line decodable on its own.
    let raw_per_line = RESPONSE_LINE_CHARS / 4 * 3;
    let mut buf = [0u8; MAX_LINE];
    for (i, chunk) in frame.chunks(raw_per_line).enumerate() {
        let marker = if i == 0 { FIRST_LINE } else { NEXT_LINE };
        buf[..2].copy_from_slice(&marker);
        // `chunk` is at most 93 bytes: 124 characters fit `buf[2..127]`.
        let n = STANDARD.encode_slice(chunk, &mut buf[2..MAX_LINE - 1]).unwrap_or(0);
        buf[2 + n] = b'\n';
        line(&buf[..3 + n]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn lines(message: &[u8]) -> Vec<Vec<u8>> {
        let mut scratch = [0u8; 1024];
        let mut out = Vec::new();
        encode(message, &mut scratch, |l| out.push(l.to_vec())).unwrap();
        out
    }

    fn decode_all<const N: usize>(
        d: &mut FrameDecoder<N>,
        bytes: &[u8],
    ) -> Vec<Result<Vec<u8>, FrameError>> {
        let mut got = Vec::new();
        for &b in bytes {
            match d.push(b) {
                Received::Pending => {}
                Received::Message(m) => got.push(Ok(m.to_vec())),
                Received::Dropped(e) => got.push(Err(e)),
            }
        }
        got
    }

    #[test]
    fn crc_is_xmodem() {
        assert_eq!(CRC.checksum(b"123456789"), 0x31C3);
    }

    #[test]
    fn a_message_round_trips_through_many_lines() {
        let message: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let lines = lines(&message);
        assert!(lines.len() > 1);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.len() <= MAX_LINE);
            assert_eq!(&l[..2], if i == 0 { &FIRST_LINE } else { &NEXT_LINE });
            assert_eq!((l.len() - 3) % 4, 0, "each line decodes on its own");
        }
        let mut d = FrameDecoder::<512>::new();
        let mut bytes = b"boot banner\r\nlog: started\n".to_vec();
        bytes.extend(lines.concat());
        assert_eq!(decode_all(&mut d, &bytes), [Ok(message)]);
    }

    #[test]
    fn broken_frames_are_dropped_and_the_next_one_decodes() {
        let good = lines(b"\x08\x00\x00\x01\x00\x00\x01\x06\xa0").concat();
        let mut bad_crc = good.clone();
        // Flip a bit of the CRC's base64 (last data characters before `\n`).
        let at = bad_crc.len() - 3;
        bad_crc[at] = if bad_crc[at] == b'A' { b'B' } else { b'A' };
        let mut d = FrameDecoder::<384>::new();
        let mut bytes = bad_crc;
        bytes.extend_from_slice(b"\x06\x09!!!!\n");
        bytes.extend_from_slice(&good);
        let got = decode_all(&mut d, &bytes);
        assert_eq!(got.len(), 3);
        assert!(matches!(got[0], Err(FrameError::BadCrc | FrameError::BadLength)));
        assert_eq!(got[1], Err(FrameError::BadBase64));
        assert!(got[2].is_ok());
    }

    #[test]
    fn oversized_frames_and_lines_are_dropped() {
        let mut d = FrameDecoder::<64>::new();
        let big = lines(&[7u8; 100]).concat();
        assert_eq!(decode_all(&mut d, &big), [Err(FrameError::TooLarge)]);
        let mut long = FIRST_LINE.to_vec();
        long.extend([b'A'; 200]);
        long.push(b'\n');
        assert_eq!(decode_all(&mut d, &long), [Err(FrameError::LineTooLong)]);
        // A long console line is not an error, just skipped.
        let console = [b'x'; 300];
        assert!(decode_all(&mut d, &[&console[..], b"\n"].concat()).is_empty());
        let ok = decode_all(&mut d, &lines(b"ok").concat());
        assert!(ok.len() == 1 && ok[0].is_ok(), "{ok:?}");
    }
}
