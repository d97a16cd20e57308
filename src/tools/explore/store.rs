//! What the walk keeps of every state it visits, in as few bytes as it
//! can: its key, its scene, and its successors (the edges), in columns that
//! grow without ever copying themselves.
#![deny(clippy::wildcard_enum_match_arm)]

/// Values per chunk of a column: 64 Ki.
const CHUNK_BITS: usize = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

/// An append-only column in chunks of fixed size. A `Vec` that doubles
/// copies what it holds and keeps both copies for a moment; a column of
/// tens of millions of values never does.
pub(super) struct Column<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy> Column<T> {
    pub(super) fn new() -> Column<T> {
        Column {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, value: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(value);
        }
        self.len += 1;
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> T {
        self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
    }

    /// The bytes the column holds, its last chunk counted whole.
    pub(super) fn bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<T>()
    }

    /// The bytes a column of `n` values holds.
    pub(super) fn bytes_for(n: usize) -> usize {
        n.div_ceil(CHUNK) * CHUNK * std::mem::size_of::<T>()
    }
}

/// The scene of every state, in one, two or four bytes a state as the
/// story's number of scenes needs.
pub(super) enum Scenes {
    Narrow(Column<u8>),
    Middle(Column<u16>),
    Wide(Column<u32>),
}

impl Scenes {
    pub(super) fn new(scenes: usize) -> Scenes {
        match scenes {
            0..=0xFF => Scenes::Narrow(Column::new()),
            0x100..=0xFFFF => Scenes::Middle(Column::new()),
            _ => Scenes::Wide(Column::new()),
        }
    }

    pub(super) fn push(&mut self, scene: u32) {
        match self {
            Scenes::Narrow(c) => c.push(scene as u8),
            Scenes::Middle(c) => c.push(scene as u16),
            Scenes::Wide(c) => c.push(scene),
        }
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> u32 {
        match self {
            Scenes::Narrow(c) => u32::from(c.get(i)),
            Scenes::Middle(c) => u32::from(c.get(i)),
            Scenes::Wide(c) => c.get(i),
        }
    }

    pub(super) fn bytes(&self) -> usize {
        match self {
            Scenes::Narrow(c) => c.bytes(),
            Scenes::Middle(c) => c.bytes(),
            Scenes::Wide(c) => c.bytes(),
        }
    }

    /// Bytes a state costs.
    pub(super) fn width(&self) -> usize {
        match self {
            Scenes::Narrow(_) => 1,
            Scenes::Middle(_) => 2,
            Scenes::Wide(_) => 4,
        }
    }
}

/// Edges in compressed sparse rows: state `i`'s successors are
/// `targets[offsets[i]..offsets[i + 1]]`, four bytes each.
pub(super) struct Edges {
    pub(super) offsets: Column<u32>,
    pub(super) targets: Column<u32>,
}

impl Edges {
    pub(super) fn new() -> Edges {
        let mut offsets = Column::new();
        offsets.push(0);
        Edges {
            offsets,
            targets: Column::new(),
        }
    }

    /// The rows added so far.
    pub(super) fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Adds the next row; an empty one, and `false`, when the edges would
    /// no longer fit four-byte offsets (past four billion edges: the
    /// caller treats the state as one whose future is unknown).
    pub(super) fn push_row(&mut self, targets: &[u32]) -> bool {
        let fits = self.targets.len() + targets.len() <= u32::MAX as usize;
        if fits {
            for &t in targets {
                self.targets.push(t);
            }
        }
        self.offsets.push(self.targets.len() as u32);
        fits
    }

    pub(super) fn bytes(&self) -> usize {
        self.offsets.bytes() + self.targets.bytes()
    }

    /// The same edges reversed, each row sorted: for every state, the
    /// states that lead to it, in increasing order (rows are read in
    /// order). The first of them, in a breadth-first walk, is its parent.
    pub(super) fn reversed(&self) -> Reversed {
        let n = self.rows();
        let mut offsets = vec![0u32; n + 1];
        for e in 0..self.targets.len() {
            offsets[self.targets.get(e) as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut targets = vec![0u32; self.targets.len()];
        // `offsets[v]` (shifted down one) is where the next predecessor of
        // `v` goes; once every row is in, it is where `v`'s row ends, so
        // shifting back up gives the starts.
        for u in 0..n {
            let (a, b) = (self.offsets.get(u), self.offsets.get(u + 1));
            for e in a..b {
                let v = self.targets.get(e as usize) as usize;
                targets[offsets[v] as usize] = u as u32;
                offsets[v] += 1;
            }
        }
        offsets.copy_within(0..n, 1);
        offsets[0] = 0;
        Reversed { offsets, targets }
    }
}

/// Reversed edges: `before(v)` are the states with an edge to `v`.
pub(super) struct Reversed {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Reversed {
    #[inline]
    pub(super) fn before(&self, v: usize) -> &[u32] {
        &self.targets[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }

    pub(super) fn bytes(&self) -> usize {
        (self.offsets.len() + self.targets.len()) * 4
    }
}

/// A set of state indices as bits.
#[derive(Clone)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Sets bit `i`, growing as needed; whether it was clear.
    #[inline]
    pub(super) fn insert(&mut self, i: usize) -> bool {
        if i / 64 >= self.0.len() {
            self.0.resize(i / 64 + 1, 0);
        }
        let w = &mut self.0[i / 64];
        let fresh = *w & (1 << (i % 64)) == 0;
        *w |= 1 << (i % 64);
        fresh
    }

    pub(super) fn bytes(&self) -> usize {
        self.0.len() * 8
    }

    /// The bits not set among the first `n`, with a rank: the index of
    /// each among them.
    pub(super) fn complement(&self, n: usize) -> Ranked {
        let words = n.div_ceil(64);
        let mut bits = Vec::with_capacity(words);
        let mut before = Vec::with_capacity(words);
        let mut count = 0u32;
        for w in 0..words {
            let mut word = !self.0.get(w).copied().unwrap_or(0);
            if w == words - 1 && !n.is_multiple_of(64) {
                word &= (1u64 << (n % 64)) - 1;
            }
            before.push(count);
            count += word.count_ones();
            bits.push(word);
        }
        Ranked {
            bits,
            before,
            count: count as usize,
        }
    }
}

/// A set of state indices with the rank of each: dense local indices for
/// arrays over a subset.
pub(super) struct Ranked {
    bits: Vec<u64>,
    before: Vec<u32>,
    pub(super) count: usize,
}

impl Ranked {
    #[inline]
    pub(super) fn contains(&self, i: usize) -> bool {
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The rank of `i`, which must be in the set.
    #[inline]
    pub(super) fn rank(&self, i: usize) -> usize {
        let w = self.bits[i / 64] & ((1u64 << (i % 64)) - 1);
        self.before[i / 64] as usize + w.count_ones() as usize
    }

    /// The members, in increasing order.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let b = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(w * 64 + b)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_keeps_its_values_across_chunks() {
        let mut c = Column::new();
        for i in 0..(CHUNK as u32 * 2 + 5) {
            c.push(i * 3);
        }
        assert_eq!(c.len(), CHUNK * 2 + 5);
        assert_eq!(c.get(0), 0);
        assert_eq!(c.get(CHUNK), CHUNK as u32 * 3);
        assert_eq!(c.get(CHUNK * 2 + 4), (CHUNK as u32 * 2 + 4) * 3);
        assert_eq!(c.bytes(), 3 * CHUNK * 4);
    }

    #[test]
    fn reversed_edges_list_every_predecessor_in_order() {
        let mut e = Edges::new();
        assert!(e.push_row(&[1, 2]));
        assert!(e.push_row(&[2]));
        assert!(e.push_row(&[0, 1]));
        let r = e.reversed();
        assert_eq!(r.before(0), &[2]);
        assert_eq!(r.before(1), &[0, 2]);
        assert_eq!(r.before(2), &[0, 1]);
    }

    #[test]
    fn the_complement_ranks_its_members() {
        let mut b = Bits::new(0);
        for i in [0, 3, 64, 65, 130] {
            b.insert(i);
        }
        let c = b.complement(132);
        assert_eq!(c.count, 132 - 5);
        assert!(!c.contains(3) && c.contains(4));
        assert_eq!(c.rank(1), 0);
        assert_eq!(c.rank(4), 2);
        assert_eq!(c.rank(66), 66 - 4);
        assert_eq!(c.iter().count(), c.count);
        assert_eq!(c.iter().last(), Some(131));
    }
}
