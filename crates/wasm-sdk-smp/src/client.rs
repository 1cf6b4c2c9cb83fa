//! The client side of an upload, for firmware that measures or replays one
//! without a host (the QEMU firmware's `--measure-update`): the image
//! upload requests (group 1, command 1) the standard clients send, framed
//! like theirs.

use minicbor::encode::write::Cursor;
use sha2::{Digest, Sha256};

use crate::frame;
use crate::header::{HEADER_LEN, Header, Op};
use crate::server::GROUP_IMAGE;

/// Frames every upload request of `module` for `image`, in chunks of at
/// most `chunk` bytes, and hands each console line to `line`. `message`
/// holds one request (header, CBOR body) and `scratch` its frame: each at
/// least `chunk + 64` bytes. Returns the number of requests, or `None` if a
/// buffer is too small.
pub fn upload_lines(
    image: u32,
    module: &[u8],
    chunk: usize,
    message: &mut [u8],
    scratch: &mut [u8],
    mut line: impl FnMut(&[u8]),
) -> Option<u32> {
    let sha: [u8; 32] = Sha256::digest(module).into();
    let (mut off, mut seq) = (0usize, 0u8);
    loop {
        let end = off.saturating_add(chunk.max(1)).min(module.len());
        let (head, body) = message.split_at_mut_checked(HEADER_LEN)?;
        let mut enc = minicbor::Encoder::new(Cursor::new(&mut *body));
        let first = off == 0;
        let encoded = (|| {
            enc.map(if first { 5 } else { 2 })?;
            if first {
                enc.str("image")?.u32(image)?;
                enc.str("len")?.u64(module.len() as u64)?;
                enc.str("sha")?.bytes(&sha)?;
            }
            enc.str("off")?.u64(off as u64)?;
            enc.str("data")?.bytes(module.get(off..end).unwrap_or_default())?;
            Ok::<_, minicbor::encode::Error<_>>(())
        })();
        encoded.ok()?;
        let len = enc.into_writer().position();
        let header = Header {
            op: Op::Write,
            version: 1,
            flags: 0,
            len: u16::try_from(len).ok()?,
            group: GROUP_IMAGE,
            seq,
            cmd: 1,
        };
        head.copy_from_slice(&header.to_bytes());
        frame::encode(message.get(..HEADER_LEN + len)?, scratch, &mut line).ok()?;
        seq = seq.wrapping_add(1);
        off = end;
        if off >= module.len() {
            return Some(u32::from(seq));
        }
    }
}
