//! The 8-byte SMP header (big endian):
//! `[res:3|ver:2|op:3] [flags] [len: u16] [group: u16] [seq] [cmd]`.

/// Header length in bytes.
pub const HEADER_LEN: usize = 8;

/// An SMP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read request.
    Read,
    /// Read response.
    ReadRsp,
    /// Write request.
    Write,
    /// Write response.
    WriteRsp,
}

impl Op {
    fn from_bits(bits: u8) -> Option<Op> {
        Some(match bits {
            0 => Op::Read,
            1 => Op::ReadRsp,
            2 => Op::Write,
            3 => Op::WriteRsp,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Op::Read => 0,
            Op::ReadRsp => 1,
            Op::Write => 2,
            Op::WriteRsp => 3,
        }
    }

    /// The response op of a request op (`None` for a response).
    pub fn response(self) -> Option<Op> {
        match self {
            Op::Read => Some(Op::ReadRsp),
            Op::Write => Some(Op::WriteRsp),
            Op::ReadRsp | Op::WriteRsp => None,
        }
    }
}

/// A parsed SMP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Read or write, request or response.
    pub op: Op,
    /// Protocol version: 0 (SMP v1) or 1 (SMP v2).
    pub version: u8,
    /// Flags (unused, 0).
    pub flags: u8,
    /// Length of the CBOR body.
    pub len: u16,
    /// Command group (0 OS, 1 image, ...).
    pub group: u16,
    /// Sequence number, echoed in the response.
    pub seq: u8,
    /// Command within the group.
    pub cmd: u8,
}

impl Header {
    /// Parses the header at the start of `message`; `None` if it is short
    /// or the op is not one of the four.
    pub fn parse(message: &[u8]) -> Option<Header> {
        let b: &[u8; HEADER_LEN] = message.first_chunk()?;
        Some(Header {
            op: Op::from_bits(b[0] & 0x07)?,
            version: (b[0] >> 3) & 0x03,
            flags: b[1],
            len: u16::from_be_bytes([b[2], b[3]]),
            group: u16::from_be_bytes([b[4], b[5]]),
            seq: b[6],
            cmd: b[7],
        })
    }

    /// The header's bytes.
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let [l0, l1] = self.len.to_be_bytes();
        let [g0, g1] = self.group.to_be_bytes();
        [
            (self.version & 0x03) << 3 | self.op.bits(),
            self.flags,
            l0,
            l1,
            g0,
            g1,
            self.seq,
            self.cmd,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let h = Header { op: Op::Write, version: 1, flags: 0, len: 300, group: 1, seq: 7, cmd: 1 };
        let bytes = h.to_bytes();
        assert_eq!(bytes, [0x0a, 0, 0x01, 0x2c, 0, 1, 7, 1]);
        assert_eq!(Header::parse(&bytes), Some(h));
        assert_eq!(Header::parse(&bytes[..7]), None);
        assert_eq!(Header::parse(&[0x07, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
