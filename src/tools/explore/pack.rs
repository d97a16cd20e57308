//! A normalised state packed into a fixed number of bytes, and its key.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::engine::State;
use crate::story::{ChoiceId, SceneId, Story};
use crate::tools::explore::liveness::Liveness;
use crate::tools::explore::normalise::Normaliser;

/// A normalised state packed into a fixed number of bytes.
///
/// The explorer keeps its frontier packed (a few dozen bytes a state
/// instead of a `State` with five heap vectors) and deduplicates by a
/// 128-bit hash of the packed bytes. Only what the normaliser can leave
/// non-zero is packed: the variables (each in as few bytes as its range
/// needs), flags, items, dead crew, the `once` choices, the visit counts
/// that conditions read, and the tunnel stack (kept whole: a `return` reads
/// it), in as many slots as the story's tunnels can nest.
pub(super) struct Packer {
    pub(super) stride: usize,
    /// Per variable: byte offset, width in bytes, the variable's minimum.
    vars: Vec<(usize, usize, i64)>,
    /// (offset, words) of flags, items and dead crew.
    sets: [(usize, usize); 3],
    /// `once` choices in order, and where their bits start.
    once: Vec<usize>,
    once_at: usize,
    /// Visit-tracked scenes: scene, byte offset, width, saturation cap.
    visits: Vec<(SceneId, usize, usize, u32)>,
    /// The tunnel stack: where its slots start, how many (the story's
    /// `tunnel_depth`) and each one's width; a slot holds a scene's index
    /// plus one, 0 when empty.
    stack: (usize, usize, usize),
    /// Per scene, its index in `visits`, and per choice its index in
    /// `once` (`u32::MAX`: not packed): a state's sparse visits and `once`
    /// choices are packed by walking them, not by looking each slot up.
    visit_slot: Vec<u32>,
    once_slot: Vec<u32>,
    /// Per scene, `stride` bytes: the bits of the parts still live there
    /// (the rest are zeroed). `None` when the story is too large for it.
    live: Option<Vec<u8>>,
}

/// Past this many bytes, the per-scene liveness masks are not built.
const MASK_BUDGET: usize = 64 * 1024 * 1024;

impl Packer {
    pub(super) fn new(story: &Story, norm: &Normaliser) -> Packer {
        let mut at = 4; // the scene
        let vars = story
            .variables
            .iter()
            .map(|v| {
                let range = (i128::from(v.max) - i128::from(v.min)).max(0);
                let width = match range {
                    0..=0xFF => 1,
                    0x100..=0xFFFF => 2,
                    0x1_0000..=0xFFFF_FFFF => 4,
                    _ => 8,
                };
                at += width;
                (at - width, width, v.min)
            })
            .collect();
        let mut set = |len: usize| {
            let words = len.div_ceil(64);
            at += words * 8;
            (at - words * 8, words)
        };
        let sets = [
            set(story.flags.len()),
            set(story.items.len()),
            set(story.crew.len()),
        ];
        let once: Vec<usize> = (0..story.choices.len())
            .filter(|&c| story.choices[c].once)
            .collect();
        let once_at = at;
        at += once.len().div_ceil(8);
        let visits: Vec<(SceneId, usize, usize, u32)> = norm
            .caps
            .iter()
            .enumerate()
            .filter_map(|(s, cap)| {
                let cap = (*cap)?;
                let width = if cap <= 0xFF { 1 } else { 4 };
                at += width;
                Some((SceneId(s as u32), at - width, width, cap))
            })
            .collect();
        let stack_width = if story.scenes.len() < 0xFFFF { 2 } else { 4 };
        let stack = (at, story.tunnel_depth, stack_width);
        at += story.tunnel_depth * stack_width;
        let mut visit_slot = vec![u32::MAX; story.scenes.len()];
        for (i, &(s, ..)) in visits.iter().enumerate() {
            visit_slot[s.index()] = i as u32;
        }
        let mut once_slot = vec![u32::MAX; story.choices.len()];
        for (i, &c) in once.iter().enumerate() {
            once_slot[c] = i as u32;
        }
        let mut packer = Packer {
            stride: at,
            vars,
            sets,
            once,
            once_at,
            visits,
            stack,
            visit_slot,
            once_slot,
            live: None,
        };
        packer.live = norm.live.as_ref().and_then(|l| packer.masks(story, l));
        packer
    }

    /// Turns the liveness table's component bits into byte masks over the
    /// packed layout.
    fn masks(&self, story: &Story, l: &Liveness) -> Option<Vec<u8>> {
        let stride = self.stride;
        if story.scenes.len().saturating_mul(stride) > MASK_BUDGET {
            return None;
        }
        let mut masks = vec![0u8; story.scenes.len() * stride];
        for (si, mask) in masks.chunks_exact_mut(stride).enumerate() {
            let row = &l.bits[si * l.words..][..l.words];
            let on = |i: usize| row[i / 64] & (1 << (i % 64)) != 0;
            mask[..4].fill(0xFF);
            let (stack_at, slots, width) = self.stack;
            mask[stack_at..stack_at + slots * width].fill(0xFF);
            for (v, &(at, width, _)) in self.vars.iter().enumerate() {
                if on(v) {
                    mask[at..at + width].fill(0xFF);
                }
            }
            let firsts = [l.vars, l.vars + l.flags, l.vars + l.flags + l.items];
            for ((&(at, _), len), first) in
                self.sets.iter().zip([l.flags, l.items, l.crew]).zip(firsts)
            {
                for i in 0..len {
                    if on(first + i) {
                        mask[at + i / 8] |= 1 << (i % 8);
                    }
                }
            }
            for (i, &c) in self.once.iter().enumerate() {
                if l.once[c].is_some_and(on) {
                    mask[self.once_at + i / 8] |= 1 << (i % 8);
                }
            }
            for &(s, at, width, _) in &self.visits {
                if l.visits[s.index()].is_some_and(on) {
                    mask[at..at + width].fill(0xFF);
                }
            }
        }
        Some(masks)
    }

    /// Packs a state, normalised: each variable replaced by its cell's
    /// representative, visit counts saturated, and every part that is no
    /// longer live at the scene zeroed.
    pub(super) fn pack(&self, norm: &Normaliser, state: &State, out: &mut [u8]) {
        out.fill(0);
        out[..4].copy_from_slice(&state.scene.0.to_le_bytes());
        for (v, &(at, width, min)) in self.vars.iter().enumerate() {
            let x = norm.window(state.scene, v, state.vars[v]);
            put(out, at, width, x.wrapping_sub(min) as u64);
        }
        for (bits, &(at, words)) in [&state.flags, &state.items, &state.dead]
            .into_iter()
            .zip(&self.sets)
        {
            for (w, word) in bits.0.iter().take(words).enumerate() {
                put(out, at + w * 8, 8, *word);
            }
        }
        // `out` is zeroed: only what the state holds is written.
        for c in state.used.iter() {
            let i = self.once_slot[c.index()] as usize;
            if i != u32::MAX as usize {
                out[self.once_at + i / 8] |= 1 << (i % 8);
            }
        }
        for (s, n) in state.visits.iter() {
            if let Some(&(_, at, width, cap)) = self.visits.get(self.visit_slot[s.index()] as usize)
            {
                put(out, at, width, u64::from(n.min(cap)));
            }
        }
        // The explorer starts with no tunnel entered, and the stack never
        // grows past `tunnel_depth` from there (the compiler's analysis).
        let (stack_at, slots, width) = self.stack;
        for (k, s) in state.stack.iter().take(slots).enumerate() {
            put(out, stack_at + k * width, width, u64::from(s.0) + 1);
        }
        if let Some(live) = &self.live {
            let mask = &live[state.scene.index() * self.stride..][..self.stride];
            for (b, m) in out.iter_mut().zip(mask) {
                *b &= m;
            }
        }
    }

    /// Fills `state` from packed bytes. Only tracked scenes keep a visit
    /// count: nothing reads the others.
    pub(super) fn unpack(&self, bytes: &[u8], state: &mut State) {
        let word = |at: usize| get(bytes, at, 8);
        state.scene = read_scene(bytes);
        for (v, &(at, width, min)) in self.vars.iter().enumerate() {
            state.vars[v] = min.wrapping_add(get(bytes, at, width) as i64);
        }
        for (bits, &(at, words)) in [&mut state.flags, &mut state.items, &mut state.dead]
            .into_iter()
            .zip(&self.sets)
        {
            for w in 0..words {
                bits.0[w] = word(at + w * 8);
            }
        }
        // Both lists are rebuilt in order: appends, not insertions.
        state.used.clear();
        for (i, &c) in self.once.iter().enumerate() {
            if bytes[self.once_at + i / 8] & (1 << (i % 8)) != 0 {
                state.used.push_last(ChoiceId(c as u32));
            }
        }
        state.visits.clear();
        for &(s, at, width, _) in &self.visits {
            let n = get(bytes, at, width) as u32;
            if n > 0 {
                state.visits.push_last(s, n);
            }
        }
        state.stack.clear();
        let (stack_at, slots, width) = self.stack;
        for k in 0..slots {
            match get(bytes, stack_at + k * width, width) {
                0 => break,
                s => state.stack.push(SceneId((s - 1) as u32)),
            }
        }
        state.turn = 0;
    }

    /// Copies what the packing keeps from `from` into `to`: a cheap reset
    /// of a scratch state between two successors of the same state.
    pub(super) fn restore(&self, from: &State, to: &mut State) {
        to.scene = from.scene;
        to.vars.copy_from_slice(&from.vars);
        for (a, b) in [
            (&mut to.flags, &from.flags),
            (&mut to.items, &from.items),
            (&mut to.dead, &from.dead),
        ] {
            a.0.copy_from_slice(&b.0);
        }
        to.used.clear();
        for c in from.used.iter() {
            if self.once_slot[c.index()] != u32::MAX {
                to.used.push_last(c);
            }
        }
        to.visits.clear();
        for (s, n) in from.visits.iter() {
            if self.visit_slot[s.index()] != u32::MAX {
                to.visits.push_last(s, n);
            }
        }
        to.stack.clone_from(&from.stack);
    }
}

/// Writes the low `width` bytes of `x` (1, 2, 4 or 8), little-endian.
#[inline]
fn put(out: &mut [u8], at: usize, width: usize, x: u64) {
    match width {
        1 => out[at] = x as u8,
        2 => out[at..at + 2].copy_from_slice(&(x as u16).to_le_bytes()),
        4 => out[at..at + 4].copy_from_slice(&(x as u32).to_le_bytes()),
        _ => out[at..at + 8].copy_from_slice(&x.to_le_bytes()),
    }
}

/// Reads what `put` wrote.
#[inline]
fn get(bytes: &[u8], at: usize, width: usize) -> u64 {
    let mut b = [0u8; 8];
    match width {
        1 => return u64::from(bytes[at]),
        2 => b[..2].copy_from_slice(&bytes[at..at + 2]),
        4 => b[..4].copy_from_slice(&bytes[at..at + 4]),
        _ => b.copy_from_slice(&bytes[at..at + 8]),
    }
    u64::from_le_bytes(b)
}

/// The scene a packed state is in: its first four bytes.
pub(super) fn read_scene(bytes: &[u8]) -> SceneId {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[..4]);
    SceneId(u32::from_le_bytes(b))
}

/// The key of a packed state in the deduplication set: its 128-bit xxh3
/// hash. Every bit of both halves depends on every byte, so the set (which
/// places a key by its low half) and the shards (by its high half) spread
/// states that differ anywhere. Not cryptographic; treating xxh3 as a
/// random function, the chance that any two of N distinct states share a
/// key is at most N(N − 1) / 2¹²⁹ (ARCHITECTURE.md).
pub(super) fn key(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}
