#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

pub mod client;
pub mod flash;
pub mod frame;
pub mod guests;
pub mod header;
pub mod server;
pub mod slots;

pub use frame::{FrameDecoder, FrameError, Received};
pub use guests::{BindingInfo, GuestInfo, Guests, NoGuests, ServiceInfo};
pub use server::{Action, Server};
pub use slots::{ImageState, SlotError, Slots};

/// Room for one response message. Clients reassemble responses of any
/// length (only requests are bound by `buf_size`), so it is larger than the
/// request buffer: the state list of four guest banks takes ~350 bytes.
pub const RESPONSE_LEN: usize = 768;

/// The reassembly buffer the standard clients need: at least 256 bytes
/// (`smpmgr` sends messages of up to 169, others fill `buf_size - 4`); 384
/// is Zephyr's default.
pub const DEFAULT_BUF_SIZE: usize = 384;

/// An SMP server on a serial line: console framing around a [`Server`].
/// `N` is the reassembly buffer, advertised as `buf_size`.
pub struct SerialServer<S, G = NoGuests, const N: usize = DEFAULT_BUF_SIZE> {
    decoder: FrameDecoder<N>,
    server: Server<S, G>,
    response: [u8; RESPONSE_LEN],
    /// The framed response: length, message, CRC.
    scratch: [u8; RESPONSE_LEN + 4],
    dropped: u32,
}

impl<S: Slots, const N: usize> SerialServer<S, NoGuests, N> {
    /// A server over `slots`, without the guest group.
    pub fn new(slots: S) -> Self {
        SerialServer::with_guests(slots, NoGuests)
    }
}

impl<S: Slots, G: Guests, const N: usize> SerialServer<S, G, N> {
    /// A server over `slots` with the guest group over `guests`.
    pub fn with_guests(slots: S, guests: G) -> Self {
        SerialServer {
            decoder: FrameDecoder::new(),
            server: Server::with_guests(slots, guests, u32::try_from(N).unwrap_or(u32::MAX)),
            response: [0; RESPONSE_LEN],
            scratch: [0; RESPONSE_LEN + 4],
            dropped: 0,
        }
    }

    /// The request handler (slots, guests, upload state).
    pub fn server(&self) -> &Server<S, G> {
        &self.server
    }

    /// The request handler, mutably.
    pub fn server_mut(&mut self) -> &mut Server<S, G> {
        &mut self.server
    }

    /// Frames dropped so far (bad CRC, length or base64, too large).
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Feeds received bytes; hands every response line to `line` and
    /// returns [`Action::Reset`] if a reset was answered.
    pub fn receive(&mut self, bytes: &[u8], mut line: impl FnMut(&[u8])) -> Action {
        let mut action = Action::None;
        for &byte in bytes {
            let (len, act) = match self.decoder.push(byte) {
                Received::Pending => continue,
                Received::Dropped(_) => {
                    self.dropped = self.dropped.saturating_add(1);
                    continue;
                }
                Received::Message(request) => self.server.handle(request, &mut self.response),
            };
            if act == Action::Reset {
                action = Action::Reset;
            }
            if len > 0 {
                // `len <= RESPONSE_LEN`, so the frame fits `scratch`.
                let _ = frame::encode(&self.response[..len], &mut self.scratch, &mut line);
            }
        }
        action
    }
}
