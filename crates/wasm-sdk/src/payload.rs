//! Typed payloads: serde types as postcard bytes.

use crate::error::{PayloadError, Result};
use serde::{Serialize, de::DeserializeOwned};

/// Decodes a postcard-encoded value from the start of `bytes`.
///
/// Trailing bytes are ignored, so a whole receive buffer can be passed.
///
/// # Errors
///
/// [`PayloadError::Truncated`] or [`PayloadError::Malformed`]; never panics.
pub fn from_payload<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|err| map_error(err).into())
}

/// Encodes `value` with postcard into the start of `buf` and returns the
/// number of bytes written.
///
/// # Errors
///
/// [`PayloadError::BufferFull`] when `buf` is too short; never panics.
#[inline(always)]
pub fn serialize_into<T: Serialize + ?Sized>(value: &T, buf: &mut [u8]) -> Result<usize> {
    let cap = buf.len();
    let written = postcard::to_slice(value, buf).map(|used| used.len());
    // postcard never writes past `buf`; saying so lets the optimizer prove
    // the caller's `&buf[..n]` in bounds, which keeps the slice-index panic
    // and the `core::fmt` it formats with out of the module.
    written.map(|n| n.min(cap)).map_err(|err| map_error(err).into())
}

fn map_error(err: postcard::Error) -> PayloadError {
    use postcard::Error as E;
    match err {
        E::DeserializeUnexpectedEnd => PayloadError::Truncated,
        E::SerializeBufferFull => PayloadError::BufferFull,
        E::WontImplement | E::NotYetImplemented | E::SerializeSeqLengthUnknown => {
            PayloadError::Unsupported
        }
        _ => PayloadError::Malformed,
    }
}

/// A message type that travels as postcard bytes.
///
/// Implemented for every serde type, so deriving `Serialize` and
/// `Deserialize` is enough:
///
/// ```
/// use wasm_sdk::Payload;
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Reading { celsius: i16 }
///
/// let mut buf = [0u8; 8];
/// let n = Reading { celsius: -3 }.serialize_into(&mut buf).unwrap();
/// assert_eq!(Reading::from_payload(&buf[..n]).unwrap(), Reading { celsius: -3 });
/// assert!(Reading::from_payload(&[]).is_err());
/// ```
pub trait Payload: Sized {
    /// Decodes a value from the start of `bytes`; see [`from_payload`].
    ///
    /// # Errors
    ///
    /// Malformed or truncated bytes.
    fn from_payload(bytes: &[u8]) -> Result<Self>;

    /// Encodes the value into `buf`; see [`serialize_into`].
    ///
    /// # Errors
    ///
    /// `buf` is too short.
    fn serialize_into(&self, buf: &mut [u8]) -> Result<usize>;
}

impl<T: Serialize + DeserializeOwned> Payload for T {
    fn from_payload(bytes: &[u8]) -> Result<Self> {
        from_payload(bytes)
    }

    fn serialize_into(&self, buf: &mut [u8]) -> Result<usize> {
        serialize_into(self, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Sample {
        id: u32,
        flag: bool,
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(Sample::from_payload(&[]), Err(Error::Payload(PayloadError::Truncated)));
        assert_eq!(Sample::from_payload(&[1, 7]), Err(Error::Payload(PayloadError::Malformed)));
        let mut short = [0u8; 1];
        assert_eq!(
            Sample { id: 1, flag: true }.serialize_into(&mut short),
            Err(Error::Payload(PayloadError::BufferFull))
        );
    }

    #[test]
    fn every_byte_string_is_handled() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let _ = Sample::from_payload(&[a, b, a]);
            }
        }
    }
}
