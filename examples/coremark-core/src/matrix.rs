//! The matrix workload (reference `core_matrix.c`): `i16` matrices A and B,
//! an `i32` result C, all N x N; add and multiply by a constant, multiply
//! by a vector, by a matrix, and by a matrix with bit extraction, each
//! followed by a sum folded into a CRC.

use crate::crc::crc16;

/// Largest N: the most for a 666-byte block (`8 * N * N < 666`).
pub(crate) const MAX_N: usize = 9;
const CAPACITY: usize = MAX_N * MAX_N;

/// A, B and C of the reference's `mat_params`, in arrays of their own
/// (the reference carves them from its block; they never overlap).
#[derive(Clone, Debug)]
pub(crate) struct Matrices {
    n: usize,
    a: [i16; CAPACITY],
    b: [i16; CAPACITY],
    c: [i32; CAPACITY],
}

impl Matrices {
    /// `core_init_matrix`: the largest N with `8 * N * N < block`, A and B
    /// filled from `seed`.
    pub(crate) fn new(block: usize, seed: i32) -> Self {
        let mut i = 0;
        let mut j = 0;
        while j < block {
            i += 1;
            j = i * i * 2 * 4;
        }
        let n = i - 1;
        assert!(n <= MAX_N, "matrix block too large");
        let mut m = Matrices { n, a: [0; CAPACITY], b: [0; CAPACITY], c: [0; CAPACITY] };
        let mut seed = if seed == 0 { 1 } else { seed };
        for (k, order) in (0..n * n).zip(1_i32..) {
            seed = order.wrapping_mul(seed) % 65536;
            // `matrix_clip(val, 0)` keeps all 16 bits: a no-op on an `i16`.
            let val = seed.wrapping_add(order) as i16;
            m.b[k] = val;
            let val = (i32::from(val) + order) as i16;
            m.a[k] = val & 0xff;
        }
        m
    }

    /// N, the side of the matrices.
    #[cfg(test)]
    pub(crate) fn n(&self) -> usize {
        self.n
    }

    /// `core_bench_matrix`: one `matrix_test` with constant `seed`, folded
    /// into `crc`.
    pub(crate) fn bench(&mut self, seed: i16, crc: u16) -> u16 {
        crc16(self.test(seed), crc)
    }

    /// `matrix_test`: each step's `matrix_sum` into a CRC; A ends as it
    /// started.
    fn test(&mut self, val: i16) -> i16 {
        let mut crc = 0;
        // `matrix_big`: 0xf000 | val, narrowed to the reference's `MATDAT`.
        let clipval = (0xf000 | i32::from(val)) as i16;
        self.add_const(val);
        self.mul_const(val);
        crc = crc16(self.sum(clipval), crc);
        self.mul_vect();
        crc = crc16(self.sum(clipval), crc);
        self.mul_matrix();
        crc = crc16(self.sum(clipval), crc);
        self.mul_matrix_bitextract();
        crc = crc16(self.sum(clipval), crc);
        self.add_const(val.wrapping_neg());
        crc as i16
    }

    /// `matrix_sum`: +10 and restart whenever the running sum passes
    /// `clipval`, else +1 when an element exceeds the previous one.
    fn sum(&self, clipval: i16) -> i16 {
        let clipval = i32::from(clipval);
        let mut tmp: i32 = 0;
        let mut prev: i32 = 0;
        let mut ret: i16 = 0;
        for &cur in &self.c[..self.n * self.n] {
            tmp = tmp.wrapping_add(cur);
            if tmp > clipval {
                ret = ret.wrapping_add(10);
                tmp = 0;
            } else {
                ret = ret.wrapping_add(i16::from(cur > prev));
            }
            prev = cur;
        }
        ret
    }

    /// `matrix_mul_const`: C = A * val.
    fn mul_const(&mut self, val: i16) {
        let nn = self.n * self.n;
        for (c, &a) in self.c[..nn].iter_mut().zip(&self.a[..nn]) {
            *c = i32::from(a) * i32::from(val);
        }
    }

    /// `matrix_add_const`: A += val, wrapping as the reference's `i16`
    /// stores do.
    fn add_const(&mut self, val: i16) {
        for a in &mut self.a[..self.n * self.n] {
            *a = a.wrapping_add(val);
        }
    }

    /// `matrix_mul_vect`: C[i] = row i of A . the first row of B.
    fn mul_vect(&mut self) {
        let n = self.n;
        for i in 0..n {
            let row = &self.a[i * n..i * n + n];
            let mut acc: i32 = 0;
            for (&a, &b) in row.iter().zip(&self.b[..n]) {
                acc = acc.wrapping_add(i32::from(a) * i32::from(b));
            }
            self.c[i] = acc;
        }
    }

    /// `matrix_mul_matrix`: C = A x B.
    fn mul_matrix(&mut self) {
        let n = self.n;
        for i in 0..n {
            for j in 0..n {
                let mut acc: i32 = 0;
                for k in 0..n {
                    acc = acc
                        .wrapping_add(i32::from(self.a[i * n + k]) * i32::from(self.b[k * n + j]));
                }
                self.c[i * n + j] = acc;
            }
        }
    }

    /// `matrix_mul_matrix_bitextract`: C[i][j] = the sum over k of bits
    /// 2..=5 times bits 5..=11 of A[i][k] * B[k][j].
    fn mul_matrix_bitextract(&mut self) {
        let n = self.n;
        for i in 0..n {
            for j in 0..n {
                let mut acc: i32 = 0;
                for k in 0..n {
                    let tmp = i32::from(self.a[i * n + k]) * i32::from(self.b[k * n + j]);
                    acc = acc.wrapping_add(bit_extract(tmp, 2, 4) * bit_extract(tmp, 5, 7));
                }
                self.c[i * n + j] = acc;
            }
        }
    }
}

/// `bit_extract(x, from, to)`: `to` bits of `x` from bit `from` (an
/// arithmetic shift, as the reference's on its signed `MATRES`).
#[inline]
fn bit_extract(x: i32, from: u32, bits: u32) -> i32 {
    (x >> from) & !(-1i32 << bits)
}
