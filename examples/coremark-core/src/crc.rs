//! CoreMark's CRC-16 (reference `core_util.c`: `crcu8`, `crcu16`,
//! `crcu32`, `crc16`): bitwise, polynomial 0xA001 (reflected 0x8005),
//! written as the reference's XOR with 0x4002 and a rotate.

/// One byte into `crc`, low bit first.
#[inline]
pub fn crcu8(data: u8, crc: u16) -> u16 {
    let mut data = data;
    let mut crc = crc;
    for _ in 0..8 {
        let x16 = (data ^ crc as u8) & 1;
        data >>= 1;
        if x16 == 1 {
            crc ^= 0x4002;
            crc = (crc >> 1) | 0x8000;
        } else {
            crc >>= 1;
        }
    }
    crc
}

/// A 16-bit value into `crc`, low byte first.
#[inline]
pub fn crcu16(value: u16, crc: u16) -> u16 {
    let [low, high] = value.to_le_bytes();
    crcu8(high, crcu8(low, crc))
}

/// A 32-bit value into `crc`, low half first.
#[inline]
pub fn crcu32(value: u32, crc: u16) -> u16 {
    crc16((value >> 16) as i16, crc16(value as i16, crc))
}

/// A signed 16-bit value into `crc` (its two's-complement bits).
#[inline]
pub fn crc16(value: i16, crc: u16) -> u16 {
    crcu16(value as u16, crc)
}
