//! The linked-list workload (reference `core_list_join.c`): find, reverse,
//! merge sort (by data, which runs the matrix and state workloads through
//! [`Work::calc`], then by index), remove and undo, and CRCs over the
//! result.
//!
//! The reference's cells are `list_head` (`next`, `info`) pointing at
//! `list_data` (`data16`, `idx`), carved from its memory block; here they
//! are an arena of indices, `NIL` for the null pointer. Node `k` starts
//! with data `k`, as the reference's two bump pointers advance together;
//! `remove` and `undo_remove` swap data between nodes as it does.

use crate::Work;
use crate::crc::crc16;

/// The most cells: the reference's `blksize / (16 + sizeof(list_data)) -
/// 2` for a 666-byte block.
pub(crate) const CAPACITY: usize = 666 / 20 - 2;

/// The null pointer.
const NIL: u8 = u8::MAX;

/// The reference's `list_data`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Data {
    data16: i16,
    idx: i16,
}

/// The list: cells `next` and `info` (an index into `data`), and the head
/// cell the benchmark always starts from (the reference's `res->list`).
#[derive(Clone, Debug)]
pub(crate) struct List {
    head: u8,
    next: [u8; CAPACITY],
    info: [u8; CAPACITY],
    data: [Data; CAPACITY],
}

impl List {
    /// `core_list_init`: a head cell, a tail cell, and as many seeded
    /// cells between them as the block holds; indexed (the first fifth in
    /// order, the rest pseudo-random) and sorted by index.
    pub(crate) fn new(block: usize, seed: i16) -> Self {
        let size = block / 20 - 2;
        assert!((4..=CAPACITY).contains(&size), "list block size");
        let mut list = List {
            head: 0,
            next: [NIL; CAPACITY],
            info: [0; CAPACITY],
            data: [Data::default(); CAPACITY],
        };
        list.data[0] = Data { data16: 0x8080_u16 as i16, idx: 0 };
        let mut free = 1;
        let mut info = Data { data16: -1, idx: 0x7fff };
        list.insert_after_head(&mut free, size, info);
        for i in 0..size as u16 {
            let datpat = (seed as u16 ^ i) & 0xf;
            let dat = (datpat << 3) | (i & 0x7);
            info.data16 = ((dat << 8) | dat) as i16;
            list.insert_after_head(&mut free, size, info);
        }
        let mut finder = list.next(0);
        let mut i: u32 = 1;
        while list.next(finder) != NIL {
            let idx = if i < (size / 5) as u32 {
                i as i16
            } else {
                let pattern = (i ^ seed as u32) as u16;
                (0x3fff & (((((i + 1) & 0x07) as u16) << 8) | pattern)) as i16
            };
            i += 1;
            list.data_mut(finder).idx = idx;
            finder = list.next(finder);
        }
        list.head = list.mergesort(0, cmp_idx);
        list
    }

    #[inline(always)]
    fn next(&self, cell: u8) -> u8 {
        self.next[usize::from(cell)]
    }

    #[inline(always)]
    fn set_next(&mut self, cell: u8, next: u8) {
        self.next[usize::from(cell)] = next;
    }

    #[inline(always)]
    fn data(&self, cell: u8) -> Data {
        self.data[usize::from(self.info[usize::from(cell)])]
    }

    #[inline(always)]
    fn data_mut(&mut self, cell: u8) -> &mut Data {
        &mut self.data[usize::from(self.info[usize::from(cell)])]
    }

    /// `core_list_insert_new` after the head cell, while cells remain (the
    /// reference silently drops the rest).
    fn insert_after_head(&mut self, free: &mut usize, size: usize, info: Data) {
        if *free + 1 >= size {
            return;
        }
        let cell = *free as u8;
        *free += 1;
        self.set_next(cell, self.next(0));
        self.set_next(0, cell);
        self.info[usize::from(cell)] = cell;
        self.data[usize::from(cell)] = info;
    }

    /// `core_list_find`: the first cell with index `info.idx` if that is
    /// not negative, else with low data byte `info.data16`; `NIL` if none.
    fn find(&self, mut list: u8, info: Data) -> u8 {
        if info.idx >= 0 {
            while list != NIL && self.data(list).idx != info.idx {
                list = self.next(list);
            }
        } else {
            while list != NIL && (self.data(list).data16 & 0xff) != info.data16 {
                list = self.next(list);
            }
        }
        list
    }

    /// `core_list_reverse`.
    fn reverse(&mut self, mut list: u8) -> u8 {
        let mut next = NIL;
        while list != NIL {
            let tmp = self.next(list);
            self.set_next(list, next);
            next = list;
            list = tmp;
        }
        next
    }

    /// `core_list_remove`: unlinks the cell after `item`, moving its data
    /// into `item` (the tail cell keeps this from reaching the end).
    fn remove(&mut self, item: u8) -> u8 {
        let removed = self.next(item);
        self.info.swap(usize::from(item), usize::from(removed));
        self.set_next(item, self.next(removed));
        self.set_next(removed, NIL);
        removed
    }

    /// `core_list_undo_remove`.
    fn undo_remove(&mut self, removed: u8, modified: u8) {
        self.info.swap(usize::from(removed), usize::from(modified));
        self.set_next(removed, self.next(modified));
        self.set_next(modified, removed);
    }

    /// `core_list_mergesort`: the reference's iterative, stable merge sort;
    /// `cmp` gets the data array and the two cells' data indices.
    fn mergesort(
        &mut self,
        mut list: u8,
        mut cmp: impl FnMut(&mut [Data; CAPACITY], usize, usize) -> i32,
    ) -> u8 {
        let mut insize = 1;
        loop {
            let mut p = list;
            list = NIL;
            let mut tail = NIL;
            let mut merges = 0;
            while p != NIL {
                merges += 1;
                let mut q = p;
                let mut psize = 0;
                for _ in 0..insize {
                    psize += 1;
                    q = self.next(q);
                    if q == NIL {
                        break;
                    }
                }
                let mut qsize = insize;
                while psize > 0 || (qsize > 0 && q != NIL) {
                    // From q when p is empty, or both have cells and q's is
                    // lower; from p on ties (the sort is stable).
                    let from_q = if psize == 0 {
                        true
                    } else if qsize == 0 || q == NIL {
                        false
                    } else {
                        let (a, b) = (self.info[usize::from(p)], self.info[usize::from(q)]);
                        cmp(&mut self.data, usize::from(a), usize::from(b)) > 0
                    };
                    let e;
                    if from_q {
                        e = q;
                        q = self.next(q);
                        qsize -= 1;
                    } else {
                        e = p;
                        p = self.next(p);
                        psize -= 1;
                    }
                    if tail == NIL {
                        list = e;
                    } else {
                        self.set_next(tail, e);
                    }
                    tail = e;
                }
                p = q;
            }
            self.set_next(tail, NIL);
            if merges <= 1 {
                return list;
            }
            insize *= 2;
        }
    }

    /// `core_bench_list`: `seed3` finds (by index from `finder_idx`, or by
    /// data if it is negative), each reversing the list and moving the
    /// found cell's successor to the front; a sort by data (when
    /// `finder_idx` is positive); a remove, a find and a CRC; the remove
    /// undone and a sort by index, which restores the list, and a CRC.
    pub(crate) fn bench(&mut self, work: &mut Work, seed3: i16, finder_idx: i16) -> u16 {
        let mut retval: u16 = 0;
        let mut found: u16 = 0;
        let mut missed: u16 = 0;
        let mut list = self.head;
        let mut info = Data { data16: 0, idx: finder_idx };
        for i in 0..seed3.max(0) {
            info.data16 = i & 0xff;
            let this_find = self.find(list, info);
            list = self.reverse(list);
            if this_find == NIL {
                missed = missed.wrapping_add(1);
                let data16 = self.data(self.next(list)).data16;
                retval = retval.wrapping_add(((data16 >> 8) & 1) as u16);
            } else {
                found = found.wrapping_add(1);
                let data16 = self.data(this_find).data16;
                if data16 & 0x1 != 0 {
                    retval = retval.wrapping_add(((data16 >> 9) & 1) as u16);
                }
                let finder = self.next(this_find);
                if finder != NIL {
                    self.set_next(this_find, self.next(finder));
                    self.set_next(finder, self.next(list));
                    self.set_next(list, finder);
                }
            }
            if info.idx >= 0 {
                info.idx = info.idx.wrapping_add(1);
            }
        }
        retval = retval.wrapping_add(found.wrapping_mul(4).wrapping_sub(missed));
        if finder_idx > 0 {
            list = self.mergesort(list, |data, a, b| {
                let val1 = work.calc(&mut data[a].data16);
                let val2 = work.calc(&mut data[b].data16);
                i32::from(val1) - i32::from(val2)
            });
        }
        let removed = self.remove(self.next(list));
        let mut finder = self.find(list, info);
        if finder == NIL {
            finder = self.next(list);
        }
        // The reference folds the first cell's data in once per cell from
        // `finder` on (not each cell's own).
        while finder != NIL {
            retval = crc16(self.data(list).data16, retval);
            finder = self.next(finder);
        }
        self.undo_remove(removed, self.next(list));
        list = self.mergesort(list, cmp_idx);
        let mut finder = self.next(list);
        while finder != NIL {
            retval = crc16(self.data(list).data16, retval);
            finder = self.next(finder);
        }
        retval
    }
}

/// `cmp_idx` with no results (how the reference always calls it): restores
/// both cells' low data bytes from their high bytes, then compares indices.
fn cmp_idx(data: &mut [Data; CAPACITY], a: usize, b: usize) -> i32 {
    for k in [a, b] {
        let d = data[k].data16 as u16;
        data[k].data16 = ((d & 0xff00) | (d >> 8)) as i16;
    }
    i32::from(data[a].idx) - i32::from(data[b].idx)
}
