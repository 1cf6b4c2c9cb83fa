//! Ports: the indices the SDK's raw calls take, and the typed handles
//! `#[task_run]` generates (`Input::Sample.receive()`,
//! `Output::Average.send(&avg)`).

use core::marker::PhantomData;

use crate::abi::schema::TypeKey;
use crate::abi::schema::postcard_schema::Schema;
use crate::abi::schema::postcard_schema::schema::NamedType;

/// Index of one of the module's inputs.
///
/// `#[task_run]`'s `Input::Name` handles convert into this; a raw `u8`
/// index converts too. A slice of them is the byte list
/// [`wait_input`](crate::wait_input) passes to the host as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct InputIdx(pub u8);

/// Index of one of the module's outputs.
///
/// `#[task_run]`'s handles of untyped outputs convert into this (a typed
/// output only sends its own type, with `send` on the handle); a raw `u8`
/// index converts too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutputIdx(pub u8);

impl From<u8> for InputIdx {
    fn from(idx: u8) -> Self {
        InputIdx(idx)
    }
}

impl From<u8> for OutputIdx {
    fn from(idx: u8) -> Self {
        OutputIdx(idx)
    }
}

/// The message type of an untyped port: raw bytes, read with
/// [`receive`](crate::receive) and written with [`send`](crate::send).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bytes {}

/// The largest postcard encoding of a message type, which sizes a typed
/// port's buffer: postcard's `MaxSize`, derived with
/// `#[derive(postcard::experimental::max_size::MaxSize)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no maximum postcard size, so its port's buffer cannot be sized",
    label = "not sized",
    note = "derive `postcard::experimental::max_size::MaxSize` for `{Self}`, or give the port \
            a buffer size in bytes: `name: {Self}[64]`"
)]
pub trait MaxSize {
    /// Bytes of the largest encoding.
    const MAX_SIZE: usize;
}

impl<T: postcard::experimental::max_size::MaxSize + ?Sized> MaxSize for T {
    const MAX_SIZE: usize = T::POSTCARD_MAX_SIZE;
}

/// A type that can be a typed port's message: it has a schema
/// (`#[derive(postcard_schema::Schema)]`), which `#[task_run]` puts in the
/// manifest with its key.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a port's message type: it has no schema",
    label = "no schema",
    note = "derive `postcard_schema::Schema` for `{Self}`, beside serde's `Serialize` and \
            `Deserialize`"
)]
pub trait Message {
    /// The type's schema.
    const SCHEMA: &'static NamedType;
    /// The type's key.
    const KEY: TypeKey;
}

impl<T: Schema + ?Sized> Message for T {
    const SCHEMA: &'static NamedType = T::SCHEMA;
    const KEY: TypeKey = TypeKey::of::<T>();
}

/// An input as `#[task_run]` generates it: `Input::Sample`. `T` is its
/// message type ([`Bytes`] when untyped) and `N` the buffer that typed
/// receives use, the type's [`MaxSize`] unless the attribute gives one.
pub struct InputPort<T = Bytes, const N: usize = 0> {
    index: u8,
    name: &'static str,
    ty: PhantomData<fn() -> T>,
}

/// An output as `#[task_run]` generates it: `Output::Average`. `T` is its
/// message type ([`Bytes`] when untyped) and `N` the buffer that typed
/// sends encode into.
pub struct OutputPort<T = Bytes, const N: usize = 0> {
    index: u8,
    name: &'static str,
    ty: PhantomData<fn(&T)>,
}

macro_rules! common {
    ($port:ident, $idx:ident, $noun:literal) => {
        impl<T, const N: usize> $port<T, N> {
            /// The handle of the
            #[doc = $noun]
            /// with this index and name; `#[task_run]` calls this.
            pub const fn new(index: u8, name: &'static str) -> Self {
                $port { index, name, ty: PhantomData }
            }

            /// The index the host knows this port by.
            pub const fn index(self) -> u8 {
                self.index
            }

            /// The name declared in `#[task_run]`, as in the manifest.
            pub const fn name(self) -> &'static str {
                self.name
            }

            /// The buffer size typed calls use, in bytes.
            pub const fn buffer_size(self) -> usize {
                N
            }
        }

        impl<T, const N: usize> Clone for $port<T, N> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T, const N: usize> Copy for $port<T, N> {}

        impl<T, const N: usize> PartialEq for $port<T, N> {
            fn eq(&self, other: &Self) -> bool {
                self.index == other.index
            }
        }

        impl<T, const N: usize> Eq for $port<T, N> {}

        impl<T, const N: usize> core::fmt::Debug for $port<T, N> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($port))
                    .field("index", &self.index)
                    .field("name", &self.name)
                    .finish()
            }
        }

        impl<T, const N: usize> PartialEq<$idx> for $port<T, N> {
            fn eq(&self, other: &$idx) -> bool {
                self.index == other.0
            }
        }

        /// So an index a call answered compares with the handles:
        /// `if ready == Input::Thresholds`.
        impl<T, const N: usize> PartialEq<$port<T, N>> for $idx {
            fn eq(&self, other: &$port<T, N>) -> bool {
                self.0 == other.index
            }
        }
    };
}

common!(InputPort, InputIdx, "input");
common!(OutputPort, OutputIdx, "output");

/// Any input, typed or not, names its index for the raw calls
/// ([`receive`](crate::receive), [`input_len`](crate::input_len)).
impl<T, const N: usize> From<InputPort<T, N>> for InputIdx {
    fn from(port: InputPort<T, N>) -> Self {
        InputIdx(port.index)
    }
}

/// Only an untyped output takes raw bytes: a typed one sends its own type
/// through [`OutputPort::send`], so `send(bytes, Output::Typed)` does not
/// compile.
impl From<OutputPort<Bytes>> for OutputIdx {
    fn from(port: OutputPort<Bytes>) -> Self {
        OutputIdx(port.index)
    }
}

/// The typed calls, where the SDK has its imports (wasm32 and the native
/// mock; firmware shares the port types, not the calls).
#[cfg(any(target_arch = "wasm32", not(target_os = "none")))]
mod calls {
    use serde::{Serialize, de::DeserializeOwned};

    use super::{InputIdx, InputPort, OutputIdx, OutputPort};
    use crate::error::{Error, Result};
    use crate::payload::{from_payload, serialize_into};

    impl<T: DeserializeOwned, const N: usize> InputPort<T, N> {
        /// Receives the next message, blocking until one is queued, and
        /// decodes it.
        ///
        /// # Errors
        ///
        /// - [`Error::InputClosed`] when the host closed the input: the normal
        ///   way for a module to stop;
        /// - [`Error::Payload`] when the message does not decode as `T` (it is
        ///   consumed; receive again for the next one);
        /// - [`Error::BufferTooSmall`] when the message is longer than `T` can
        ///   encode to (`N` bytes), which only a sender ignoring the type does.
        pub fn receive(self) -> Result<T> {
            let mut buffer = [0u8; N];
            let n = crate::receive(&mut buffer, InputIdx(self.index))?;
            from_payload(&buffer[..n])
        }

        /// Receives and decodes the next message if one is queued, without
        /// blocking: `Ok(None)` when nothing is.
        ///
        /// # Errors
        ///
        /// As [`receive`](Self::receive).
        pub fn try_receive(self) -> Result<Option<T>> {
            match crate::input_len(InputIdx(self.index)) {
                Ok(_) => self.receive().map(Some),
                Err(Error::Empty) => Ok(None),
                Err(error) => Err(error),
            }
        }
    }

    impl<T: Serialize, const N: usize> OutputPort<T, N> {
        /// Encodes `message` and sends it.
        ///
        /// # Errors
        ///
        /// As [`send`](crate::send); [`Error::Payload`] if `message` does not
        /// encode in `N` bytes (a size given in `#[task_run]` that is too small).
        pub fn send(self, message: &T) -> Result<()> {
            let mut buffer = [0u8; N];
            let n = serialize_into(message, &mut buffer)?;
            crate::send(&buffer[..n], OutputIdx(self.index))
        }
    }
}
