//! Console lines without `core::fmt`: on USB-serial-JTAG or UART0, whichever
//! is connected (esp-println's `auto` printer).
//!
//! `core::fmt` costs flash on a microcontroller and nothing here needs it:
//! lines are [`wasm_sdk::StackStr`]s, which write numbers by hand, and are
//! handed to the printer as bytes. The nRF firmware logs with defmt instead;
//! here the log and the guests' outputs share the one console, so both are
//! plain text lines.

use wasm_sdk::StackStr;

/// Bytes of text in one console line, before its CR LF.
pub const LINE_LEN: usize = 126;

/// One console line, built in place; text past [`LINE_LEN`] is cut.
pub type Line = StackStr<LINE_LEN>;

/// Prints a line and its CR LF. esp-println writes in a critical section and
/// waits for the FIFO; on USB-serial-JTAG with no host reading, it gives up
/// after a short timeout instead of blocking the executor for good.
pub fn print(line: &Line) {
    let mut framed = StackStr::<{ LINE_LEN + 2 }>::new();
    framed.push_str(line).push_str("\r\n");
    esp_println::Printer::write_bytes(framed.as_bytes());
}

/// Prints the concatenation of `parts` as one line.
pub fn say(parts: &[&str]) {
    let mut line = Line::new();
    for part in parts {
        line.push_str(part);
    }
    print(&line);
}
