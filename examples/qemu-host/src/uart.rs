//! The CMSDK APB UART of `mps2-an505`, polled: the serial line the SMP
//! server listens on. QEMU connects it to a host pty with `-serial pty`.

/// Secure alias of UART0 on the AN505 (QEMU `mps2-tz`).
pub const UART0: usize = 0x5020_0000;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_RX_ENABLE: u32 = 0b11;

/// One CMSDK UART.
pub struct Uart {
    base: usize,
}

impl Uart {
    /// The UART at `base`, enabled for transmit and receive.
    ///
    /// # Safety
    ///
    /// `base` is a CMSDK APB UART that nothing else drives.
    pub unsafe fn new(base: usize) -> Self {
        let uart = Uart { base };
        // QEMU's model refuses to transmit with a divider below 16.
        uart.write_reg(BAUDDIV, 16);
        uart.write_reg(CTRL, CTRL_TX_RX_ENABLE);
        uart
    }

    fn read_reg(&self, offset: usize) -> u32 {
        // SAFETY: a register of the UART `new` was given.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    fn write_reg(&self, offset: usize, value: u32) {
        // SAFETY: a register of the UART `new` was given.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }

    /// The received byte, if one is waiting (the receive buffer holds one).
    pub fn try_read(&self) -> Option<u8> {
        (self.read_reg(STATE) & STATE_RX_FULL != 0).then(|| self.read_reg(DATA) as u8)
    }

    /// Sends bytes, waiting for room before each.
    pub fn write_all(&self, bytes: &[u8]) {
        for &byte in bytes {
            while self.read_reg(STATE) & STATE_TX_FULL != 0 {}
            self.write_reg(DATA, u32::from(byte));
        }
    }
}
