//! The state machine workload (reference `core_state.c`): a Moore machine
//! that classifies comma-separated tokens (integer, decimal, scientific,
//! invalid) over an input of seeded patterns, once as is and once with
//! some bytes corrupted.

use crate::crc::crcu32;

/// The largest input: a 666-byte block.
pub(crate) const CAPACITY: usize = 666;

/// `enum CORE_STATE`, in the reference's order (its values index the
/// counts that go into the CRC).
const START: usize = 0;
const INVALID: usize = 1;
const S1: usize = 2;
const S2: usize = 3;
const INT: usize = 4;
const FLOAT: usize = 5;
const EXPONENT: usize = 6;
const SCIENTIFIC: usize = 7;
const NUM_STATES: usize = 8;

/// The reference's `intpat`, `floatpat`, `scipat` and `errpat`.
const INT_PATTERNS: [&[u8; 4]; 4] = [b"5012", b"1234", b"-874", b"+122"];
const FLOAT_PATTERNS: [&[u8; 8]; 4] = [b"35.54400", b".1234500", b"-110.700", b"+0.64400"];
const SCI_PATTERNS: [&[u8; 8]; 4] = [b"5.500e+3", b"-.123e-2", b"-87e+832", b"+0.6e-12"];
const ERR_PATTERNS: [&[u8; 8]; 4] = [b"T0.3e-1F", b"-T.T++Tq", b"1T3.4e4z", b"34.0e-T^"];

/// The machine's input: the reference's state block.
#[derive(Clone, Debug)]
pub(crate) struct StateInput {
    len: usize,
    bytes: [u8; CAPACITY],
}

impl StateInput {
    /// `core_init_state`: patterns picked by `seed`, each followed by a
    /// comma, while they fit in `len - 1` bytes; zeros after.
    pub(crate) fn new(len: usize, seed: i16) -> Self {
        assert!((1..=CAPACITY).contains(&len), "state block size");
        let mut input = StateInput { len, bytes: [0; CAPACITY] };
        let p = &mut input.bytes;
        let size = len - 1;
        let mut seed = seed;
        let mut total = 0;
        let mut pattern: &[u8] = &[];
        while total + pattern.len() + 1 < size {
            if !pattern.is_empty() {
                p[total..total + pattern.len()].copy_from_slice(pattern);
                p[total + pattern.len()] = b',';
                total += pattern.len() + 1;
            }
            seed = seed.wrapping_add(1);
            let which = ((seed >> 3) & 0x3) as usize;
            pattern = match seed & 0x7 {
                0..=2 => INT_PATTERNS[which],
                3 | 4 => FLOAT_PATTERNS[which],
                5 | 6 => SCI_PATTERNS[which],
                _ => ERR_PATTERNS[which],
            };
        }
        // The rest (from `total` to `len`) stays zero.
        input
    }

    /// `core_bench_state`: run the machine over the input, corrupt every
    /// `step`-th byte (not commas) with `seed1`, run it again, undo with
    /// `seed2`; every final-state and transition count into `crc`.
    pub(crate) fn bench(&mut self, seed1: i16, seed2: i16, step: i16, crc: u16) -> u16 {
        let mut final_counts = [0u32; NUM_STATES];
        let mut track_counts = [0u32; NUM_STATES];
        // `calc_func` passes 0x22..=0xff; a step below 1 would never end.
        let step = usize::from(step.unsigned_abs()).max(1);
        let input = &mut self.bytes[..self.len];
        scan(input, &mut final_counts, &mut track_counts);
        corrupt(input, step, seed1 as u8);
        scan(input, &mut final_counts, &mut track_counts);
        corrupt(input, step, seed2 as u8);
        let mut crc = crc;
        for (&f, &t) in final_counts.iter().zip(&track_counts) {
            crc = crcu32(f, crc);
            crc = crcu32(t, crc);
        }
        crc
    }
}

/// XORs every `step`-th byte that is not a comma with `mask`.
fn corrupt(input: &mut [u8], step: usize, mask: u8) {
    for byte in input.iter_mut().step_by(step) {
        if *byte != b',' {
            *byte ^= mask;
        }
    }
}

/// Runs the machine over tokens until a zero byte (or the end of the
/// block, which the reference's 2,000-byte buffer follows with zeros).
fn scan(input: &[u8], final_counts: &mut [u32; NUM_STATES], track_counts: &mut [u32; NUM_STATES]) {
    let mut pos = 0;
    while input.get(pos).is_some_and(|&b| b != 0) {
        let state = transition(input, &mut pos, track_counts);
        final_counts[state] += 1;
    }
}

#[inline]
fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// `core_state_transition`: scans one token from `*pos` (to past its
/// comma, or to the byte that made it invalid, or to a zero) and returns
/// the state it ended in.
fn transition(input: &[u8], pos: &mut usize, counts: &mut [u32; NUM_STATES]) -> usize {
    let mut state = START;
    let mut i = *pos;
    while let Some(&c) = input.get(i) {
        if c == 0 || state == INVALID {
            break;
        }
        if c == b',' {
            i += 1;
            break;
        }
        match state {
            START => {
                if is_digit(c) {
                    state = INT;
                } else if c == b'+' || c == b'-' {
                    state = S1;
                } else if c == b'.' {
                    state = FLOAT;
                } else {
                    state = INVALID;
                    counts[INVALID] += 1;
                }
                counts[START] += 1;
            }
            S1 => {
                state = if is_digit(c) {
                    INT
                } else if c == b'.' {
                    FLOAT
                } else {
                    INVALID
                };
                counts[S1] += 1;
            }
            INT => {
                if c == b'.' {
                    state = FLOAT;
                    counts[INT] += 1;
                } else if !is_digit(c) {
                    state = INVALID;
                    counts[INT] += 1;
                }
            }
            FLOAT => {
                if c == b'E' || c == b'e' {
                    state = S2;
                    counts[FLOAT] += 1;
                } else if !is_digit(c) {
                    state = INVALID;
                    counts[FLOAT] += 1;
                }
            }
            S2 => {
                state = if c == b'+' || c == b'-' { EXPONENT } else { INVALID };
                counts[S2] += 1;
            }
            EXPONENT => {
                state = if is_digit(c) { SCIENTIFIC } else { INVALID };
                counts[EXPONENT] += 1;
            }
            // The reference counts this exit as INVALID's.
            SCIENTIFIC if !is_digit(c) => {
                state = INVALID;
                counts[INVALID] += 1;
            }
            _ => {}
        }
        i += 1;
    }
    *pos = i;
    state
}
