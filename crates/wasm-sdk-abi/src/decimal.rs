//! Numbers as text without `core::fmt`, whose formatting machinery costs
//! a guest kilobytes and firmware flash: for the guest SDK's reports and
//! the host's trap texts.

/// `n` in decimal, written into the end of `digits`.
#[inline(never)]
pub fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &str {
    let mut at = digits.len();
    // `u64::MAX` has 20 digits, so `at` stays in bounds; `get_mut` keeps
    // the panic path out anyway.
    while let Some(slot) = at.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        *slot = b'0' + (n % 10) as u8;
        at -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let ascii = digits.get(at..).unwrap_or_default();
    // SAFETY: only ASCII digits were written to `digits[at..]` (the
    // checked conversion would link UTF-8 validation into every guest).
    unsafe { core::str::from_utf8_unchecked(ascii) }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn numbers_read_as_decimal() {
        let cases: [(u64, &str); 5] = [
            (0, "0"),
            (7, "7"),
            (8192, "8192"),
            (u64::from(u32::MAX), "4294967295"),
            (u64::MAX, "18446744073709551615"),
        ];
        for (n, text) in cases {
            let mut digits = [0; 20];
            assert_eq!(decimal(n, &mut digits), text);
        }
    }
}
