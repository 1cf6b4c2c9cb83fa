//! Building messages on the stack without `core::fmt`.

use wasm_sdk_abi::decimal::decimal;

/// A string of at most `N` bytes on the stack, built by appending.
///
/// Appending never fails and never panics: text past the capacity is cut at
/// a character boundary. Numbers are written by hand, so a module that
/// reports errors or panics with this type does not link `core::fmt`
/// (which alone costs more than the rest of a small module; the book's
/// figures page, "Guest size levers").
///
/// ```
/// use wasm_sdk::StackStr;
/// let mut msg = StackStr::<32>::new();
/// msg.push_str("temperature ").push_i32(-4).push_str(" C");
/// assert_eq!(msg.as_str(), "temperature -4 C");
/// ```
#[derive(Clone)]
pub struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    /// An empty string.
    pub const fn new() -> Self {
        StackStr { buf: [0; N], len: 0 }
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        // SAFETY: `append` only copies whole `str`s or prefixes cut at a
        // char boundary, so `buf[..len]` is always UTF-8. Skipping the check
        // keeps `from_utf8` out of modules.
        unsafe { core::str::from_utf8_unchecked(bytes) }
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was appended.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether text was cut because the capacity ran out.
    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// Appends as much of `s` as fits, cut at a character boundary.
    pub fn push_str(&mut self, s: &str) -> &mut Self {
        append(&mut self.buf, &mut self.len, s);
        self
    }

    /// Appends an unsigned number in decimal.
    pub fn push_usize(&mut self, n: usize) -> &mut Self {
        self.push_u64(n as u64)
    }

    /// Appends an unsigned number in decimal.
    pub fn push_u32(&mut self, n: u32) -> &mut Self {
        self.push_u64(u64::from(n))
    }

    /// Appends an unsigned number in decimal.
    pub fn push_u64(&mut self, n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        append(&mut self.buf, &mut self.len, decimal(n, &mut digits));
        self
    }

    /// Appends a signed number in decimal.
    pub fn push_i32(&mut self, n: i32) -> &mut Self {
        self.push_i64(i64::from(n))
    }

    /// Appends a signed number in decimal.
    pub fn push_i64(&mut self, n: i64) -> &mut Self {
        if n < 0 {
            self.push_str("-");
        }
        self.push_u64(n.unsigned_abs())
    }
}

// The workers are not generic over `N`, so each exists once in a module
// however many buffer sizes it uses.

#[inline(never)]
fn append(buf: &mut [u8], len: &mut usize, s: &str) {
    let room = buf.len().saturating_sub(*len);
    let mut take = s.len().min(room);
    while !s.is_char_boundary(take) {
        take -= 1;
    }
    if let (Some(dst), Some(src)) = (buf.get_mut(*len..*len + take), s.as_bytes().get(..take)) {
        dst.copy_from_slice(src);
        *len += take;
    }
}

impl<const N: usize> Default for StackStr<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::ops::Deref for StackStr<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> core::fmt::Write for StackStr<N> {
    /// Appends what fits; reports an error if text was cut so `write!`
    /// callers can tell.
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let before = self.len;
        self.push_str(s);
        if self.len - before == s.len() { Ok(()) } else { Err(core::fmt::Error) }
    }
}

impl<const N: usize> core::fmt::Debug for StackStr<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::StackStr;

    #[test]
    fn numbers() {
        let mut s = StackStr::<64>::new();
        s.push_usize(0).push_str(" ").push_u64(u64::MAX).push_str(" ").push_i64(i64::MIN);
        assert_eq!(s.as_str(), std::format!("0 {} {}", u64::MAX, i64::MIN));
        let mut t = StackStr::<8>::new();
        t.push_i32(-7).push_u32(10);
        assert_eq!(t.as_str(), "-710");
    }

    #[test]
    fn truncates_at_char_boundary() {
        let mut s = StackStr::<5>::new();
        s.push_str("ab").push_str("\u{e9}\u{e9}");
        assert_eq!(s.as_str(), "ab\u{e9}");
        assert!(!s.is_full());
        s.push_str("xyz");
        assert_eq!(s.as_str(), "ab\u{e9}x");
        assert!(s.is_full());
        s.push_usize(12345);
        assert_eq!(s.as_str(), "ab\u{e9}x");
    }

    #[test]
    fn zero_capacity() {
        let mut s = StackStr::<0>::new();
        s.push_str("abc").push_i32(-1);
        assert!(s.is_empty());
    }
}
