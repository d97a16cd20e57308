//! The walk itself: breadth first, a level at a time, the expansion split
//! between threads and the successors deduplicated in a sharded set of
//! state keys, merged in order so that no result depends on the threads.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::{HashMap, HashSet};
use std::hash::Hasher;

use crate::engine::{RollMode, State};
use crate::story::{Action, ChoiceId, Story};
use crate::tools::explore::crowds::crowds;
use crate::tools::explore::normalise::Normaliser;
use crate::tools::explore::pack::{Packer, key, read_scene};
use crate::tools::explore::{PathStep, Report};

/// States expanded per thread in one round.
const BATCH: usize = 16 * 1024;

/// Walks every state reachable from `start`, up to `max_states`, on up to
/// two threads (as many as the machine has).
///
/// Breadth first, a level at a time; each round splits up to two batches
/// of the frontier between the threads (the expansion: unpack, choose,
/// normalise, pack, hash), inserts their successors' keys into the
/// deduplication set (one shard per thread, see `dedup`), then merges them
/// in order, so the result (and every shortest path) is the same as a
/// single-threaded walk.
pub fn explore(
    story: &Story,
    start: State,
    max_states: usize,
    progress: &dyn Fn(usize, usize),
) -> Report {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    explore_on(story, start, max_states, threads, progress)
}

/// `explore` on a given number of threads (at least one): the report is the
/// same whatever the number.
pub fn explore_on(
    story: &Story,
    start: State,
    max_states: usize,
    threads: usize,
    progress: &dyn Fn(usize, usize),
) -> Report {
    let threads = threads.max(1);
    let norm = Normaliser::new(story);
    let packer = Packer::new(story, &norm);
    let stride = packer.stride;
    let mut template = start;
    template.turn = 0;
    let mut report = Report {
        states: 0,
        complete: true,
        scenes_reached: vec![false; story.scenes.len()],
        choices_taken: vec![false; story.choices.len()],
        endings: HashMap::new(),
        soft_locks: Vec::new(),
        scene_states: vec![0; story.scenes.len()],
        dedup_bytes: 0,
        frontier: Vec::new(),
    };
    // Parent links: for each visited state, (parent index, step).
    let mut parents: Vec<(u32, PathStep)> = vec![(
        u32::MAX,
        PathStep {
            choice: ChoiceId(u32::MAX),
            outcome: None,
        },
    )];
    // The deduplication set, in one shard per thread: a key always goes to
    // the same shard, so the shards can take a round's keys at once, each
    // in the round's order, and decide exactly what one set would.
    let mut shards: Vec<KeySet> = (0..threads).map(|_| KeySet::default()).collect();
    let mut level: Vec<u8> = vec![0; stride];
    packer.pack(&norm, &template, &mut level);
    packer.unpack(&level, &mut template);
    let first = key(&level);
    shards[shard_of(first, threads)].insert(first);
    // The first path found to each ending (the set's hashing is not needed
    // for a handful of endings reached by many states).
    let mut ending_paths: Vec<Option<Vec<PathStep>>> = vec![None; story.endings.len()];
    let mut level_first: u32 = 0;
    let path = |parents: &Vec<(u32, PathStep)>, mut i: u32| {
        let mut steps = Vec::new();
        while parents[i as usize].0 != u32::MAX {
            steps.push(parents[i as usize].1);
            i = parents[i as usize].0;
        }
        steps.reverse();
        steps
    };
    let expander = Expander {
        story,
        norm: &norm,
        packer: &packer,
        template: &template,
    };
    let mut locked_scenes = HashSet::new();
    while !level.is_empty() {
        let mut upcoming: Vec<u8> = Vec::new();
        let upcoming_first = parents.len() as u32;
        let count = level.len() / stride;
        let mut done = 0;
        while done < count {
            let take = (count - done).min(BATCH * threads);
            let round = &level[done * stride..(done + take) * stride];
            let per = take.div_ceil(threads).max(1);
            let results: Vec<Expansion> = if threads > 1 && take > 1024 {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = round
                        .chunks(per * stride)
                        .map(|chunk| scope.spawn(|| expander.expand(chunk)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                })
            } else {
                vec![expander.expand(round)]
            };
            let fresh = dedup(&mut shards, &results);
            let mut fresh = fresh.iter();
            let mut base = done;
            for result in results {
                for (i, visit) in result.visits.iter().enumerate() {
                    let index = level_first + (base + i) as u32;
                    let scene = read_scene(&level[(base + i) * stride..]);
                    report.states += 1;
                    report.scenes_reached[scene.index()] = true;
                    report.scene_states[scene.index()] += 1;
                    match visit {
                        Visit::Ending(e) => {
                            if ending_paths[*e].is_none() {
                                ending_paths[*e] = Some(path(&parents, index));
                            }
                        }
                        Visit::Locked => {
                            if locked_scenes.insert(scene) {
                                report.soft_locks.push((scene, path(&parents, index)));
                            }
                        }
                        Visit::Expanded => {}
                    }
                }
                for c in &result.choices_taken {
                    report.choices_taken[c.index()] = true;
                }
                for (k, ((_, parent, step), &new)) in
                    result.next.iter().zip(fresh.by_ref()).enumerate()
                {
                    if !new {
                        continue;
                    }
                    if parents.len() >= max_states {
                        if report.complete {
                            report.complete = false;
                            report.frontier = crowds(story, &norm, &packer, &template, &upcoming);
                        }
                        continue;
                    }
                    parents.push((level_first + base as u32 + parent, *step));
                    upcoming.extend_from_slice(&result.bytes[k * stride..(k + 1) * stride]);
                }
                base += result.visits.len();
            }
            done += take;
            progress(report.states, count - done + upcoming.len() / stride);
        }
        level = upcoming;
        level_first = upcoming_first;
    }
    progress(report.states, 0);
    report.endings = ending_paths
        .into_iter()
        .enumerate()
        .filter_map(|(e, p)| Some((e, p?)))
        .collect();
    // A hashbrown table: a 16-byte key and a control byte per bucket.
    report.dedup_bytes = shards.iter().map(|s| s.capacity() * 8 / 7 * (16 + 1)).sum();
    report
}

/// The deduplication set's hasher: keys are already hashes.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = set_hash(n);
    }
}

/// Where the set places a key: its low half (the shard is chosen by its
/// high half). Both halves of an xxh3 key depend on every byte of the
/// state.
fn set_hash(key: u128) -> u64 {
    key as u64
}

type KeySet = HashSet<u128, std::hash::BuildHasherDefault<KeyHasher>>;

/// What expanding one state found.
enum Visit {
    Ending(usize),
    Locked,
    Expanded,
}

/// The result of expanding a batch of packed states on one thread.
struct Expansion {
    /// For each state of the batch, in order.
    visits: Vec<Visit>,
    /// Successors in order: key, parent (index in the batch), step, and
    /// the packed bytes in `bytes`.
    next: Vec<(u128, u32, PathStep)>,
    bytes: Vec<u8>,
    choices_taken: Vec<ChoiceId>,
}

struct Expander<'a> {
    story: &'a Story,
    norm: &'a Normaliser,
    packer: &'a Packer,
    template: &'a State,
}

impl Expander<'_> {
    fn expand(&self, batch: &[u8]) -> Expansion {
        let stride = self.packer.stride;
        let mut out = Expansion {
            visits: Vec::with_capacity(batch.len() / stride),
            next: Vec::new(),
            bytes: Vec::new(),
            choices_taken: Vec::new(),
        };
        let mut state = self.template.clone();
        let mut next = self.template.clone();
        let mut choices: Vec<ChoiceId> = Vec::new();
        for (i, bytes) in batch.chunks_exact(stride).enumerate() {
            self.packer.unpack(bytes, &mut state);
            if let Some(e) = state.ending(self.story) {
                out.visits.push(Visit::Ending(e.index()));
                continue;
            }
            choices.clear();
            choices.extend(state.choices(self.story));
            if choices.is_empty() {
                out.visits.push(Visit::Locked);
                continue;
            }
            out.visits.push(Visit::Expanded);
            for &c in &choices {
                out.choices_taken.push(c);
                // A check branches both ways, unless its chance rules one out.
                let outcomes: &[Option<bool>] = match &self.story.choice(c).action {
                    Action::Goto(_) | Action::Tunnel { .. } | Action::Return(_) => &[None],
                    Action::Check(check) => match state.chance(self.story, check) {
                        0 => &[Some(false)],
                        100 => &[Some(true)],
                        _ => &[Some(true), Some(false)],
                    },
                };
                for &outcome in outcomes {
                    // Cheaper than a clone: only the packed parts, never the
                    // whole visit table.
                    self.packer.restore(&state, &mut next);
                    let mode = outcome.map_or(RollMode::Force(true), RollMode::Force);
                    if next.advance(self.story, c, mode).is_err() {
                        continue;
                    }
                    let at = out.bytes.len();
                    out.bytes.resize(at + stride, 0);
                    let packed = &mut out.bytes[at..];
                    self.packer.pack(self.norm, &next, packed);
                    out.next
                        .push((key(packed), i as u32, PathStep { choice: c, outcome }));
                }
            }
        }
        out
    }
}

/// The shard of the deduplication set a key belongs to: its high bits (its
/// low bits place it inside the shard).
fn shard_of(key: u128, shards: usize) -> usize {
    ((key >> 64) as u64 % shards as u64) as usize
}

/// Inserts a round's successor keys, in order, into the sharded set: for
/// each key, whether it was new. One thread per shard; each walks every key
/// and inserts its own, so the answers are those of a single set.
fn dedup(shards: &mut [KeySet], results: &[Expansion]) -> Vec<bool> {
    let total: usize = results.iter().map(|r| r.next.len()).sum();
    let n = shards.len();
    let insert = |shard: usize, set: &mut KeySet| -> Vec<bool> {
        let mut fresh = vec![false; total];
        let keys = results.iter().flat_map(|r| r.next.iter().map(|x| x.0));
        for (slot, key) in fresh.iter_mut().zip(keys) {
            if shard_of(key, n) == shard {
                *slot = set.insert(key);
            }
        }
        fresh
    };
    if n == 1 || total < 4096 {
        let mut fresh = vec![false; total];
        for (shard, set) in shards.iter_mut().enumerate() {
            for (f, new) in fresh.iter_mut().zip(insert(shard, set)) {
                *f |= new;
            }
        }
        return fresh;
    }
    let parts: Vec<Vec<bool>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shards
            .iter_mut()
            .enumerate()
            .map(|(shard, set)| scope.spawn(move || insert(shard, set)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut fresh = vec![false; total];
    for part in parts {
        for (f, new) in fresh.iter_mut().zip(part) {
            *f |= new;
        }
    }
    fresh
}

#[cfg(test)]
mod tests {
    use super::{set_hash, shard_of};
    use crate::tools::explore::pack::key;

    /// Issue 13, item 12: the old hand-written hash never mixed a state's
    /// first 8 bytes (its scene and first variables) into the half the set
    /// places keys by, so states that differed only there all shared one
    /// probe sequence (a 40-flag story of 3 KB took 129 s for 50,000
    /// states). Here 4,096 states differ only in their first 8 bytes: their
    /// set hashes must all differ and fill a table of 4,096 buckets about
    /// as a random function would (1 − 1/e of them, some 2,589), and the
    /// shards must share them evenly. The old hash gave one bucket.
    #[test]
    fn states_that_differ_only_in_their_first_bytes_spread_over_the_set() {
        const STATES: usize = 4096;
        let keys: Vec<u128> = (0..STATES as u64)
            .map(|i| {
                let mut bytes = [0u8; 40];
                bytes[..8].copy_from_slice(&i.to_le_bytes());
                key(&bytes)
            })
            .collect();
        let mut hashes: Vec<u64> = keys.iter().map(|&k| set_hash(k)).collect();
        let mut buckets: Vec<u64> = hashes.iter().map(|h| h % STATES as u64).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), STATES, "set hashes collide");
        buckets.sort_unstable();
        buckets.dedup();
        assert!(
            buckets.len() > 2400,
            "{} of {STATES} buckets used",
            buckets.len()
        );
        let first = keys.iter().filter(|&&k| shard_of(k, 2) == 0).count();
        assert!(
            (STATES * 4 / 10..STATES * 6 / 10).contains(&first),
            "{first} of {STATES} keys in the first shard"
        );
    }
}
