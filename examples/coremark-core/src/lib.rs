//! CoreMark's workload as a `no_std` crate: the linked list, matrix and
//! state machine benchmarks with the reference's CRCs, seeds and checks,
//! written from EEMBC's CoreMark 1.0 (`core_list_join.c`, `core_matrix.c`,
//! `core_state.c`, `core_util.c`, `core_main.c`).
//!
//! No allocation, no floats, no `unsafe`, no dependencies: a [`CoreMark`]
//! holds the reference's data block (2,000 bytes split three ways) as
//! typed arrays in about 1.5 KB, on the stack or in a static. The same
//! code runs natively (desktop, firmware) and inside a wasm guest, so the
//! two can be timed on the same CPU:
//!
//! ```
//! use coremark_core::{Seeds, run, validate};
//!
//! let report = run(10, Seeds::PERFORMANCE);
//! assert_eq!(report.seedcrc, 0xe9f5);
//! assert!(validate(&report).is_ok());
//! ```
//!
//! Seeds are inputs, as in the reference, which takes them from the
//! command line or a volatile so that the compiler cannot precompute the
//! work: pass them through [`core::hint::black_box`] when they are
//! constants. The reference's shorthands (seeds 0, 0, 0 for the
//! performance run, 1, 0, 0 for validation) are not applied here; use
//! [`Seeds::PERFORMANCE`] and [`Seeds::VALIDATION`].

#![no_std]
#![forbid(unsafe_code)]

mod crc;
mod list;
mod matrix;
mod state;

pub use crc::{crc16, crcu8, crcu16, crcu32};

use list::List;
use matrix::Matrices;
use state::StateInput;

/// The reference's `TOTAL_DATA_SIZE` for a standard ("2K") run: the block
/// the three workloads share, 666 bytes each.
pub const TOTAL_DATA_SIZE: usize = 2000;

/// The data size of the reference's profile-generation run (400 bytes per
/// workload), with [`Seeds::PROFILE`].
pub const PROFILE_DATA_SIZE: usize = 1200;

/// The smallest data size [`CoreMark::with_data_size`] takes: the list
/// needs a head, a tail and one cell between them (120 bytes each).
pub const MIN_DATA_SIZE: usize = 360;

/// The three seeds (the reference's `seed1`, `seed2`, `seed3`, signed 16-bit
/// there: these are their bits). `seed1` and `seed2` fill the list,
/// matrices and state input and corrupt the input; `seed3` is the number
/// of list finds per pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Seeds {
    /// `seed1`.
    pub seed1: u16,
    /// `seed2`; equal to `seed1` for iterations to be identical.
    pub seed2: u16,
    /// `seed3`.
    pub seed3: u16,
}

impl Seeds {
    /// The performance run: 0, 0, 0x66.
    pub const PERFORMANCE: Seeds = Seeds { seed1: 0, seed2: 0, seed3: 0x66 };
    /// The validation run: 0x3415, 0x3415, 0x66.
    pub const VALIDATION: Seeds = Seeds { seed1: 0x3415, seed2: 0x3415, seed3: 0x66 };
    /// The profile-generation run: 8, 8, 8 (with [`PROFILE_DATA_SIZE`]).
    pub const PROFILE: Seeds = Seeds { seed1: 8, seed2: 8, seed3: 8 };
}

/// What a run computed: the reference's output lines, less the timing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Report {
    /// Iterations run.
    pub iterations: u32,
    /// CRC of the seeds and the per-workload size: names the known run.
    pub seedcrc: u16,
    /// The running CRC after the first iteration (list, and through it
    /// everything); fixed by the seeds.
    pub crclist: u16,
    /// The first matrix CRC; fixed by the seeds.
    pub crcmatrix: u16,
    /// The first state machine CRC; fixed by the seeds.
    pub crcstate: u16,
    /// The running CRC after the last iteration: depends on the count.
    pub crcfinal: u16,
}

/// What [`Work::calc`] reaches through the reference's `core_results`: the
/// matrix and state workloads, their seeds and the running CRCs.
#[derive(Clone, Debug)]
struct Work {
    seed1: i16,
    seed2: i16,
    matrices: Matrices,
    state: StateInput,
    crc: u16,
    crcmatrix: u16,
    crcstate: u16,
}

impl Work {
    /// `calc_func`: a list cell's data, computed once and cached in its
    /// low byte (bit 7 set). Bits 0-2 pick the work (0 the state machine,
    /// 1 the matrices, else the data itself), bits 3-6 its parameter.
    fn calc(&mut self, pdata: &mut i16) -> i16 {
        let data = *pdata;
        if (data >> 7) & 1 != 0 {
            return data & 0x007f;
        }
        let flag = data & 0x7;
        let mut dtype = (data >> 3) & 0xf;
        dtype |= dtype << 4;
        let retval = match flag {
            0 => {
                // The smallest step of the input corruption.
                dtype = dtype.max(0x22);
                let crc = self.state.bench(self.seed1, self.seed2, dtype, self.crc);
                if self.crcstate == 0 {
                    self.crcstate = crc;
                }
                crc as i16
            }
            1 => {
                let crc = self.matrices.bench(dtype, self.crc);
                if self.crcmatrix == 0 {
                    self.crcmatrix = crc;
                }
                crc as i16
            }
            _ => data,
        };
        self.crc = crcu16(retval as u16, self.crc);
        let retval = retval & 0x007f;
        *pdata = ((data as u16 & 0xff00) | 0x0080 | retval as u16) as i16;
        retval
    }
}

/// The benchmark's state: seeds, the list, the matrices and the state
/// machine's input, initialized as the reference's `main` does. About
/// 1.5 KB; no allocation.
#[derive(Clone, Debug)]
pub struct CoreMark {
    seeds: Seeds,
    seedcrc: u16,
    list: List,
    work: Work,
}

impl CoreMark {
    /// The standard run's state: [`TOTAL_DATA_SIZE`] bytes of data.
    pub fn new(seeds: Seeds) -> Self {
        Self::init(seeds, TOTAL_DATA_SIZE / 3)
    }

    /// State for `data_size` bytes of data, split three ways as the
    /// reference does ([`PROFILE_DATA_SIZE`] for the profile run); `None`
    /// outside [`MIN_DATA_SIZE`]..=[`TOTAL_DATA_SIZE`].
    pub fn with_data_size(seeds: Seeds, data_size: usize) -> Option<Self> {
        (MIN_DATA_SIZE..=TOTAL_DATA_SIZE)
            .contains(&data_size)
            .then(|| Self::init(seeds, data_size / 3))
    }

    fn init(seeds: Seeds, block: usize) -> Self {
        let [seed1, seed2, seed3] = [seeds.seed1, seeds.seed2, seeds.seed3].map(|s| s as i16);
        let mut seedcrc = 0;
        for value in [seed1, seed2, seed3, block as i16] {
            seedcrc = crc16(value, seedcrc);
        }
        // The reference widens `seed1` to 32 bits with its sign.
        let matrix_seed = i32::from(seed1) | (i32::from(seed2) << 16);
        CoreMark {
            seeds,
            seedcrc,
            list: List::new(block, seed1),
            work: Work {
                seed1,
                seed2,
                matrices: Matrices::new(block, matrix_seed),
                state: StateInput::new(block, seed1),
                crc: 0,
                crcmatrix: 0,
                crcstate: 0,
            },
        }
    }

    /// The seeds this state was built from.
    pub fn seeds(&self) -> Seeds {
        self.seeds
    }

    /// `iterate`: `iterations` times, the list benchmark by index and by
    /// data, each result folded into the running CRC. The CRCs start from
    /// zero on each call; the data carries over, as in the reference
    /// (every iteration leaves it as it found it, for equal `seed1` and
    /// `seed2`).
    pub fn iterate(&mut self, iterations: u32) -> Report {
        let seed3 = self.seeds.seed3 as i16;
        let work = &mut self.work;
        work.crc = 0;
        work.crcmatrix = 0;
        work.crcstate = 0;
        let mut crclist = 0;
        for i in 0..iterations {
            let crc = self.list.bench(work, seed3, 1);
            work.crc = crcu16(crc, work.crc);
            let crc = self.list.bench(work, seed3, -1);
            work.crc = crcu16(crc, work.crc);
            if i == 0 {
                crclist = work.crc;
            }
        }
        Report {
            iterations,
            seedcrc: self.seedcrc,
            crclist,
            crcmatrix: work.crcmatrix,
            crcstate: work.crcstate,
            crcfinal: work.crc,
        }
    }
}

/// A standard run ([`TOTAL_DATA_SIZE`]) of `iterations` from fresh state.
pub fn run(iterations: u32, seeds: Seeds) -> Report {
    CoreMark::new(seeds).iterate(iterations)
}

/// The runs whose CRCs the reference knows, in the order of its tables
/// (`known_id` in `core_main.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KnownRun {
    /// [`Seeds::PERFORMANCE`], 6,000 bytes (not runnable here).
    Performance6K,
    /// [`Seeds::VALIDATION`], 6,000 bytes (not runnable here).
    Validation6K,
    /// [`Seeds::PROFILE`], [`PROFILE_DATA_SIZE`].
    Profile,
    /// [`Seeds::PERFORMANCE`], [`TOTAL_DATA_SIZE`]: the CoreMark score's run.
    Performance2K,
    /// [`Seeds::VALIDATION`], [`TOTAL_DATA_SIZE`].
    Validation2K,
}

/// The reference's known results, from `core_main.c` (`seedcrc` cases and
/// `list_known_crc`, `matrix_known_crc`, `state_known_crc`): seedcrc,
/// list, matrix, state for each [`KnownRun`] in order.
const KNOWN: [(KnownRun, [u16; 4]); 5] = [
    (KnownRun::Performance6K, [0x8a02, 0xd4b0, 0xbe52, 0x5e47]),
    (KnownRun::Validation6K, [0x7b05, 0x3340, 0x1199, 0x39bf]),
    (KnownRun::Profile, [0x4eaf, 0x6a79, 0x5608, 0xe5a4]),
    (KnownRun::Performance2K, [0xe9f5, 0xe714, 0x1fd7, 0x8e3a]),
    (KnownRun::Validation2K, [0x18f2, 0xe3c1, 0x0747, 0x8d84]),
];

impl KnownRun {
    /// The run whose seeds and size give `seedcrc`.
    pub fn from_seedcrc(seedcrc: u16) -> Option<Self> {
        KNOWN.iter().find(|(_, k)| k[0] == seedcrc).map(|&(run, _)| run)
    }

    fn known(self) -> [u16; 4] {
        KNOWN[self as usize].1
    }

    /// The reference's seedcrc for this run.
    pub fn seedcrc(self) -> u16 {
        self.known()[0]
    }

    /// The reference's `crclist`.
    pub fn crclist(self) -> u16 {
        self.known()[1]
    }

    /// The reference's `crcmatrix`.
    pub fn crcmatrix(self) -> u16 {
        self.known()[2]
    }

    /// The reference's `crcstate`.
    pub fn crcstate(self) -> u16 {
        self.known()[3]
    }
}

/// A workload whose CRC [`validate`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// `crclist`.
    List,
    /// `crcmatrix`.
    Matrix,
    /// `crcstate`.
    State,
}

/// Why [`validate`] refused a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mismatch {
    /// Not a known run: the reference checks nothing then.
    UnknownSeeds {
        /// The report's seedcrc.
        seedcrc: u16,
    },
    /// A known run with a CRC other than the reference's.
    Crc {
        /// The run the seeds name.
        run: KnownRun,
        /// The first workload that differs (list, matrix, state).
        workload: Workload,
        /// The report's CRC.
        actual: u16,
        /// The reference's.
        expected: u16,
    },
}

/// The reference's check: `report.seedcrc` names a known run and the
/// list, matrix and state CRCs are that run's. `crcfinal` depends on the
/// iteration count and is not checked.
///
/// # Errors
///
/// The seeds are not a known run's, or a CRC differs.
pub fn validate(report: &Report) -> Result<KnownRun, Mismatch> {
    let run = KnownRun::from_seedcrc(report.seedcrc)
        .ok_or(Mismatch::UnknownSeeds { seedcrc: report.seedcrc })?;
    let checks = [
        (Workload::List, report.crclist, run.crclist()),
        (Workload::Matrix, report.crcmatrix, run.crcmatrix()),
        (Workload::State, report.crcstate, run.crcstate()),
    ];
    for (workload, actual, expected) in checks {
        if actual != expected {
            return Err(Mismatch::Crc { run, workload, actual, expected });
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_reference() {
        // 666 bytes each: 31 list cells, 9 x 9 matrices.
        let m = CoreMark::new(Seeds::PERFORMANCE);
        assert_eq!(m.work.matrices.n(), 9);
        assert_eq!(m.seedcrc, 0xe9f5);
        assert!(core::mem::size_of::<CoreMark>() < TOTAL_DATA_SIZE);
        assert!(CoreMark::with_data_size(Seeds::PROFILE, MIN_DATA_SIZE - 1).is_none());
        assert!(CoreMark::with_data_size(Seeds::PROFILE, TOTAL_DATA_SIZE + 1).is_none());
        assert!(CoreMark::with_data_size(Seeds::PROFILE, MIN_DATA_SIZE).is_some());
    }

    #[test]
    fn known_runs_validate() {
        let perf = run(1, Seeds::PERFORMANCE);
        assert_eq!(validate(&perf), Ok(KnownRun::Performance2K));
        assert_eq!((perf.crclist, perf.crcmatrix, perf.crcstate), (0xe714, 0x1fd7, 0x8e3a));
        assert_eq!(validate(&run(2, Seeds::VALIDATION)), Ok(KnownRun::Validation2K));
        let profile =
            CoreMark::with_data_size(Seeds::PROFILE, PROFILE_DATA_SIZE).unwrap().iterate(1);
        assert_eq!(validate(&profile), Ok(KnownRun::Profile));
    }

    #[test]
    fn mismatches_are_named() {
        let mut report = run(1, Seeds::PERFORMANCE);
        report.crcmatrix ^= 1;
        assert_eq!(
            validate(&report),
            Err(Mismatch::Crc {
                run: KnownRun::Performance2K,
                workload: Workload::Matrix,
                actual: 0x1fd6,
                expected: 0x1fd7
            })
        );
        let other = run(1, Seeds { seed1: 1, seed2: 1, seed3: 0x66 });
        assert_eq!(validate(&other), Err(Mismatch::UnknownSeeds { seedcrc: other.seedcrc }));
        assert_eq!(validate(&run(0, Seeds::PERFORMANCE)).map_err(|_| ()), Err(()));
    }
}
