//! One shard of the walk's deduplication table: open addressing with
//! linear probing, over slots of a state's index and the 32 bits of its
//! key that place it.
//!
//! Growing reads the slots alone, never a key (a table of indices whose
//! hashes live in the keys would read every key again, from all over
//! memory, at each doubling); a lookup reads a key only when its 32 bits
//! match, which is almost only when it is the key. The walk reserves a
//! round's room before looking its keys up, so slots stay where they are
//! until the round is settled, and prefetches the slots of keys a few
//! places ahead.

/// A slot: the placing bits of a key and the value stored for it.
#[derive(Clone, Copy)]
#[repr(C)]
struct Slot {
    tag: u32,
    value: u32,
}

/// The value of an empty slot (the walk's values stay below it).
const EMPTY: u32 = u32::MAX;

/// A shard: a power of two of slots, at most 7/8 of them full.
#[derive(Default)]
pub(super) struct Table {
    slots: Vec<Slot>,
    len: usize,
}

impl Table {
    /// How many keys the table holds.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The bytes the slots take.
    pub(super) fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }

    /// The bytes the table would take at most while `more` keys go in: its
    /// own, and when it must grow, its new slots too (both are held while
    /// it moves).
    pub(super) fn bytes_with(&self, more: usize) -> usize {
        let needed = slots_for(self.len + more);
        if needed > self.slots.len() {
            self.bytes() + needed * std::mem::size_of::<Slot>()
        } else {
            self.bytes()
        }
    }

    /// Makes room for `more` keys, so that none of them moves a slot.
    pub(super) fn reserve(&mut self, more: usize) {
        let needed = slots_for(self.len + more);
        if needed <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(
            &mut self.slots,
            vec![
                Slot {
                    tag: 0,
                    value: EMPTY
                };
                needed
            ],
        );
        let mask = needed - 1;
        for slot in old.into_iter().filter(|s| s.value != EMPTY) {
            let mut i = slot.tag as usize & mask;
            while self.slots[i].value != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Asks the processor to fetch the first slot a key with `tag` would
    /// be looked for in.
    #[inline]
    pub(super) fn prefetch(&self, tag: u32) {
        if self.slots.is_empty() {
            return;
        }
        let at = &self.slots[tag as usize & (self.slots.len() - 1)];
        crate::engine::state::prefetch(std::ptr::from_ref(at));
    }

    /// The slot holding a value with `tag` that `is` accepts, and the
    /// value; else the empty slot where such a value would go. The table
    /// must have room (`reserve`).
    #[inline]
    pub(super) fn find(
        &self,
        tag: u32,
        mut is: impl FnMut(u32) -> bool,
    ) -> Result<(usize, u32), usize> {
        debug_assert!(self.len < self.slots.len());
        let mask = self.slots.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot.value == EMPTY {
                return Err(i);
            }
            if slot.tag == tag && is(slot.value) {
                return Ok((i, slot.value));
            }
            i = (i + 1) & mask;
        }
    }

    /// Fills the empty slot `find` gave.
    pub(super) fn put(&mut self, at: usize, tag: u32, value: u32) {
        debug_assert!(self.slots[at].value == EMPTY && value != EMPTY);
        self.slots[at] = Slot { tag, value };
        self.len += 1;
    }

    /// Replaces the value in a full slot.
    pub(super) fn set(&mut self, at: usize, value: u32) {
        debug_assert!(self.slots[at].value != EMPTY && value != EMPTY);
        self.slots[at].value = value;
    }

    /// Empties a full slot, moving back the keys after it that probed past
    /// it, so that every key stays reachable from its home slot (no
    /// tombstones). Slots after `at` may move.
    pub(super) fn remove(&mut self, at: usize) {
        let mask = self.slots.len() - 1;
        let mut hole = at;
        let mut j = at;
        loop {
            j = (j + 1) & mask;
            let slot = self.slots[j];
            if slot.value == EMPTY {
                break;
            }
            let home = slot.tag as usize & mask;
            // The key at `j` may stay when its home lies cyclically in
            // (hole, j]; else it moves into the hole.
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = slot;
                hole = j;
            }
        }
        self.slots[hole].value = EMPTY;
        self.len -= 1;
    }
}

/// The slots a table needs to hold `keys` keys at most 7/8 full: a power
/// of two, at least 8.
fn slots_for(keys: usize) -> usize {
    (keys.saturating_mul(8) / 7 + 1).next_power_of_two().max(8)
}

#[cfg(test)]
mod tests {
    use super::Table;

    /// Against a map, through growth and removals that wrap around the
    /// end of the slots: every key is found with its value, and no key
    /// that was removed or never put.
    #[test]
    fn agrees_with_a_map() {
        let mut table = Table::default();
        let mut map = std::collections::HashMap::new();
        // Tags crowded into few homes, so probes run long and wrap.
        let tag = |k: u32| k.wrapping_mul(2_654_435_761) | 0xFFFF_FFF0;
        let mut x: u64 = 1;
        for round in 0..200u32 {
            table.reserve(64);
            for i in 0..64u32 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let k = (x >> 40) as u32 % 2_000;
                let value = round * 64 + i;
                match table.find(tag(k), |v| map.get(&k) == Some(&v)) {
                    Ok((at, _)) => {
                        if value % 3 == 0 {
                            table.remove(at);
                            map.remove(&k);
                        } else {
                            table.set(at, value);
                            map.insert(k, value);
                        }
                    }
                    Err(at) => {
                        table.put(at, tag(k), value);
                        map.insert(k, value);
                    }
                }
            }
            assert_eq!(table.len(), map.len());
        }
        for k in 0..2_000u32 {
            table.reserve(1);
            let found = table
                .find(tag(k), |v| map.get(&k) == Some(&v))
                .ok()
                .map(|(_, v)| v);
            assert_eq!(found, map.get(&k).copied(), "key {k}");
        }
    }
}
