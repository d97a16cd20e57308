//! The walk itself: breadth first, a level at a time, the expansion split
//! between threads and the successors deduplicated in a sharded table of
//! state keys, merged in order so that no result depends on the threads.
//! Every state gets an index in the order it is met; the walk keeps its
//! key, its scene and its successors' indices (the edges), which the
//! soft-lock analysis (`traps`) reads backwards once the walk is done.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use crate::engine::{RollMode, State};
use crate::story::source::{FileId, Span};
use crate::story::{Action, Assumption, ChoiceId, Condition, Invariant, SceneId, Scope, Story};
use crate::tools::explore::crowds::crowds;
use crate::tools::explore::normalise::Normaliser;
use crate::tools::explore::pack::{Packer, key, read_scene};
use crate::tools::explore::probes::Probes;
use crate::tools::explore::store::{Bits, Column, Edges, Scenes};
use crate::tools::explore::table::Table;
use crate::tools::explore::traps;
use crate::tools::explore::{Cut, Limits, PathStep, Progress, Report, Rule, Violation};

/// States expanded per thread in one round.
const BATCH: usize = 16 * 1024;
/// The successors a state is given room for in a batch's buffers: a
/// guess (most scenes open two or three choices); past it they grow.
const SUCCESSORS_RESERVED: usize = 3;

/// A table value with this bit set is provisional: the position in the
/// current round of a key met for the first time, replaced by the state's
/// index once the round is merged. Indices stay below it.
const PENDING: u32 = 1 << 31;
/// The most states a walk admits: indices and provisional positions must
/// both fit below `PENDING`.
const MAX_INDEX: usize = (PENDING - 2) as usize;
/// In `found`: the key was new. In a round's indices: the state was not
/// admitted (the walk was cut off).
const FRESH: u32 = u32::MAX;
const DROPPED: u32 = u32::MAX - 1;

/// Walks every state reachable from `start`, up to `max_states`, on up to
/// two threads (as many as the machine has).
pub fn explore(
    story: &Story,
    start: State,
    max_states: usize,
    progress: &dyn Fn(usize, usize),
) -> Report {
    explore_within(story, start, Limits::states(max_states), None, &|p| {
        progress(p.states, p.queued);
    })
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
    explore_within(
        story,
        start,
        Limits::states(max_states),
        Some(threads),
        &|p| progress(p.states, p.queued),
    )
}

/// Walks every state reachable from `start` within `limits`, on `threads`
/// threads (default: up to two, as many as the machine has), calling
/// `progress` after every round.
///
/// Breadth first, a level at a time; each round splits up to two batches
/// of the frontier between the threads (the expansion: unpack, choose,
/// normalise, pack, hash), looks their successors' keys up in the
/// deduplication table (one shard per thread, see `dedup`), then merges
/// them in order, so the result (every index, edge and shortest path) is
/// the same as a single-threaded walk. Past a limit the walk admits no new
/// state but still expands those it holds, so that each of them has its
/// edges; a state that lost a successor to the cut-off counts as one that
/// might reach an ending.
pub fn explore_within(
    story: &Story,
    start: State,
    limits: Limits,
    threads: Option<usize>,
    progress: &dyn Fn(&Progress),
) -> Report {
    walk(story, start, limits, threads, None, progress)
}

/// `explore_within`, looking also for a state where `witness` holds (a
/// condition of the story's language): `Report::witness` is the shortest
/// path to one, or `None` if the walk met none (a proof that none exists
/// when the walk is complete). The witness is checked as an invariant of
/// the whole story is, so the reductions keep what it reads.
pub fn explore_with(
    story: &Story,
    start: State,
    limits: Limits,
    threads: Option<usize>,
    witness: Option<&Condition>,
    progress: &dyn Fn(&Progress),
) -> Report {
    let Some(when) = witness else {
        return walk(story, start, limits, threads, None, progress);
    };
    let mut asked = story.clone();
    let n = asked.invariants.len() as u32;
    asked.invariants.push(Invariant {
        rule: Assumption {
            when: when.clone(),
            span: Span {
                file: FileId(0),
                start: 0,
                end: 0,
            },
        },
        scope: Scope::Story,
    });
    walk(&asked, start, limits, threads, Some(n), progress)
}

fn walk(
    story: &Story,
    start: State,
    limits: Limits,
    threads: Option<usize>,
    witness: Option<u32>,
    progress: &dyn Fn(&Progress),
) -> Report {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)))
        .max(1);
    let norm = Normaliser::new(story);
    let packer = Packer::new(story, &norm);
    let stride = packer.stride;
    let mut template = start;
    template.turn = 0;
    let mut report = Report::empty(story);
    let mut level: Vec<u8> = vec![0; stride];
    packer.pack(&norm, &template, &mut level);
    packer.unpack(&level, &mut template);
    let mut walk = Walk::new(story, threads);
    walk.admit(key(&level), read_scene(&level));
    let max_states = limits.max_states.unwrap_or(usize::MAX).min(MAX_INDEX);
    let probes = Probes::new(story, witness);
    let expander = Expander {
        story,
        norm: &norm,
        packer: &packer,
        template: &template,
        probes: &probes,
    };
    // The first state that hits each probe (the lowest index: the
    // shortest path).
    let mut probe_first: Vec<Option<u32>> = vec![None; probes.list.len()];
    // The first state of each ending met (the lowest index: the shortest
    // path).
    let mut ending_first: Vec<Option<u32>> = vec![None; story.endings.len()];
    let mut level_first: usize = 0;
    let mut row: Vec<u32> = Vec::new();
    while !level.is_empty() {
        let mut upcoming: Vec<u8> = Vec::new();
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
            let mut results = results;
            let mut first = 0;
            for r in &mut results {
                r.first = first;
                first += r.next.len();
            }
            let round_keys: Vec<u128> = results
                .iter()
                .flat_map(|r| r.next.iter().map(|x| x.0))
                .collect();
            let (found, slots) = dedup(&mut walk.shards, &walk.keys, &round_keys);
            // What the tables will hold at most before the next round: the
            // budget is checked against it with each state admitted.
            let tables = walk.table_reserve(round_keys.len());
            let mut indices: Vec<u32> = vec![DROPPED; round_keys.len()];
            let mut k = 0;
            let mut base = done;
            for result in &results {
                for &(i, probe) in &result.hits {
                    let index = (level_first + base + i as usize) as u32;
                    probe_first[probe as usize].get_or_insert(index);
                }
                let mut next = result.next.iter().peekable();
                for (i, visit) in result.visits.iter().enumerate() {
                    let index = level_first + base + i;
                    let scene = read_scene(&level[(base + i) * stride..]);
                    report.states += 1;
                    report.scenes_reached[scene.index()] = true;
                    report.scene_states[scene.index()] += 1;
                    match visit {
                        Visit::Ending(e) => {
                            ending_first[*e].get_or_insert(index as u32);
                        }
                        Visit::Locked => report.dead_ends[scene.index()] = true,
                        Visit::Expanded => {}
                    }
                    row.clear();
                    while let Some(&&(succ_key, parent, _)) = next.peek() {
                        if parent as usize != i {
                            break;
                        }
                        next.next();
                        let target = match found[k] {
                            FRESH => {
                                let local = k - result.first;
                                let bytes = &result.bytes[local * stride..(local + 1) * stride];
                                let room = walk.keys.len() < max_states
                                    && limits.max_bytes.is_none_or(|max| {
                                        walk.projected(tables, level.len(), upcoming.len() + stride)
                                            <= max
                                    });
                                if room {
                                    let at = walk.admit(succ_key, read_scene(bytes));
                                    upcoming.extend_from_slice(bytes);
                                    at
                                } else {
                                    if report.cut.is_none() {
                                        report.cut = Some(if walk.keys.len() >= max_states {
                                            Cut::States(max_states)
                                        } else {
                                            Cut::Memory(limits.max_bytes.unwrap_or(0))
                                        });
                                        report.frontier =
                                            crowds(story, &norm, &packer, &template, &upcoming);
                                    }
                                    DROPPED
                                }
                            }
                            v if v & PENDING != 0 => indices[(v & !PENDING) as usize],
                            v => v,
                        };
                        indices[k] = target;
                        k += 1;
                        if target == DROPPED {
                            walk.truncated.insert(index);
                        } else if target as usize != index {
                            row.push(target);
                        }
                    }
                    row.sort_unstable();
                    row.dedup();
                    if !walk.edges.push_row(&row) {
                        walk.truncated.insert(index);
                    }
                }
                for c in &result.choices_taken {
                    report.choices_taken[c.index()] = true;
                }
                base += result.visits.len();
            }
            settle(&mut walk.shards, &round_keys, &found, &slots, &indices);
            walk.peak = walk
                .peak
                .max(walk.bytes() + level.len() + upcoming.capacity());
            done += take;
            progress(&Progress {
                states: report.states,
                queued: count - done + upcoming.len() / stride,
                bytes: walk.bytes() + level.len() + upcoming.len(),
            });
        }
        level_first += count;
        level = upcoming;
    }
    report.complete = report.cut.is_none();
    report.dedup_bytes = walk.table_bytes() + walk.keys.bytes();
    let Walk {
        keys,
        scenes,
        edges,
        truncated,
        shards,
        peak,
    } = walk;
    // The tables go before the edges are reversed: the analysis needs the
    // keys (to replay a path) and the edges, not the tables.
    drop(shards);
    let stored = traps::Stored {
        keys: &keys,
        scenes: &scenes,
        truncated: &truncated,
    };
    let rev = edges.reversed();
    let reversed_peak = keys.bytes() + scenes.bytes() + edges.bytes() + rev.bytes();
    drop(edges);
    let replay = traps::Replayer {
        expander: &expander,
    };
    let paths: HashMap<usize, Vec<PathStep>> = ending_first
        .iter()
        .enumerate()
        .filter_map(|(e, first)| Some((e, replay.path_to(&stored, &rev, (*first)? as usize).0)))
        .collect();
    report.endings = paths;
    report.rules = probes.list.len() - usize::from(witness.is_some());
    for (n, first) in probe_first.iter().enumerate() {
        let probe = &probes.list[n];
        let path = first.map(|i| replay.path_to(&stored, &rev, i as usize));
        if witness == Some(n as u32) {
            report.witness = Some(path.map(|p| p.0));
            continue;
        }
        if let Some((path, state, _)) = path {
            report.violations.push(Violation {
                rule: probe.scene.map_or(Rule::Invariant, Rule::Assumption),
                when: probe.rule.when.clone(),
                span: probe.rule.span,
                scene: state.scene,
                path,
            });
        }
    }
    if witness.is_some() && report.witness.is_none() {
        report.witness = Some(None);
    }
    let found = traps::find(story, &stored, &rev, &replay);
    report.soft_locks = found.soft_locks;
    report.trapped = found.trapped;
    report.peak_bytes = peak.max(reversed_peak + found.bytes);
    progress(&Progress {
        states: report.states,
        queued: 0,
        bytes: report.peak_bytes,
    });
    report
}

/// What the walk keeps of every state, and its deduplication table.
struct Walk {
    /// Each state's key, by index.
    keys: Column<u128>,
    scenes: Scenes,
    edges: Edges,
    /// States that lost a successor to the cut-off.
    truncated: Bits,
    /// The deduplication table, in one shard per thread: a key always goes
    /// to the same shard, so the shards can take a round's keys at once,
    /// each in the round's order, and decide exactly what one table would.
    /// A shard holds indices; their keys are in `keys`.
    shards: Vec<Table>,
    /// The most bytes held at the end of a round.
    peak: usize,
}

impl Walk {
    fn new(story: &Story, threads: usize) -> Walk {
        Walk {
            keys: Column::new(),
            scenes: Scenes::new(story.scenes.len()),
            edges: Edges::new(),
            truncated: Bits::new(0),
            shards: (0..threads).map(|_| Table::default()).collect(),
            peak: 0,
        }
    }

    /// Gives the next index to a state (its key already in a shard, or
    /// the first state).
    fn admit(&mut self, key: u128, scene: SceneId) -> u32 {
        let at = self.keys.len() as u32;
        self.keys.push(key);
        self.scenes.push(scene.0);
        if at == 0 {
            let n = self.shards.len();
            let table = &mut self.shards[shard_of(key, n)];
            table.reserve(1);
            if let Err(slot) = table.find(tag(key), |_| false) {
                table.put(slot, tag(key), 0);
            }
        }
        at
    }

    /// The tables' bytes: eight a slot (see `table`).
    fn table_bytes(&self) -> usize {
        self.shards.iter().map(Table::bytes).sum()
    }

    /// The most the tables can hold before the next round ends, `more`
    /// keys added: a table that grows holds its old slots and its new
    /// ones for a moment.
    fn table_reserve(&self, more: usize) -> usize {
        self.shards.iter().map(|t| t.bytes_with(more)).sum()
    }

    fn bytes(&self) -> usize {
        self.keys.bytes()
            + self.scenes.bytes()
            + self.edges.bytes()
            + self.truncated.bytes()
            + self.table_bytes()
    }

    /// The bytes the walk would need with one more state (`frontier`
    /// bytes of packed states queued): during the walk, or after it, when
    /// the edges are reversed (the tables gone) and the states that can
    /// reach an ending are found (a queue of indices).
    fn projected(&self, tables: usize, level: usize, upcoming: usize) -> usize {
        let n = self.keys.len() + 1;
        let stored = Column::<u128>::bytes_for(n) + self.scenes.width() * n;
        // A state has on average as many successors as those so far.
        let edges = (n + self.edges.targets.len() + self.edges.targets.len() / n.max(2) + 1) * 4;
        let during = stored + edges + tables + level + upcoming + n / 8;
        let after = stored + 2 * edges + 4 * n + n / 4;
        during.max(after)
    }
}

/// The bits that place a key in its shard: its low 32 (the shard is
/// chosen by its high half). Both halves of an xxh3 key depend on every
/// byte of the state.
fn tag(key: u128) -> u32 {
    key as u32
}

/// The shard of the deduplication table a key belongs to: its high bits
/// (its low bits place it inside the shard).
fn shard_of(key: u128, shards: usize) -> usize {
    ((key >> 64) as u64 % shards as u64) as usize
}

/// The key of a table value: a state's, or for a provisional value the
/// round's key at that position.
#[inline]
fn stored_key(v: u32, keys: &Column<u128>, round: &[u128]) -> u128 {
    if v & PENDING != 0 {
        round[(v & !PENDING) as usize]
    } else {
        keys.get(v as usize)
    }
}

/// Looks a round's successor keys up, in order, in the sharded table: for
/// each, the index of the state it is (`FRESH` when new; a provisional
/// value when it repeats a key met earlier in the round), and for a new
/// key the slot it went into. New keys go in with a provisional value,
/// which `settle` replaces. One thread per shard; each takes its own keys
/// in the round's order, so the answers are those of a single table.
fn dedup(shards: &mut [Table], keys: &Column<u128>, round: &[u128]) -> (Vec<u32>, Vec<u32>) {
    /// How many keys ahead a shard prefetches the slot of.
    const AHEAD: usize = 16;
    let n = shards.len();
    let look = |shard: usize, table: &mut Table| -> Vec<(usize, u32, u32)> {
        let mine: Vec<u32> = (0..round.len() as u32)
            .filter(|&k| shard_of(round[k as usize], n) == shard)
            .collect();
        // Room for all of them: no slot moves until the round is settled.
        table.reserve(mine.len());
        let mut out = Vec::with_capacity(mine.len());
        for (j, &k) in mine.iter().enumerate() {
            if let Some(&ahead) = mine.get(j + AHEAD) {
                table.prefetch(tag(round[ahead as usize]));
            }
            let key = round[k as usize];
            let t = tag(key);
            match table.find(t, |v| stored_key(v, keys, round) == key) {
                Ok((_, v)) => out.push((k as usize, v, 0)),
                Err(slot) => {
                    table.put(slot, t, PENDING | k);
                    out.push((k as usize, FRESH, slot as u32));
                }
            }
        }
        out
    };
    let parts: Vec<Vec<(usize, u32, u32)>> = if n == 1 || round.len() < 4096 {
        shards
            .iter_mut()
            .enumerate()
            .map(|(s, t)| look(s, t))
            .collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = shards
                .iter_mut()
                .enumerate()
                .map(|(s, t)| scope.spawn(move || look(s, t)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let mut found = vec![FRESH; round.len()];
    let mut slots = vec![0; round.len()];
    for part in parts {
        for (k, v, slot) in part {
            found[k] = v;
            slots[k] = slot;
        }
    }
    (found, slots)
}

/// Replaces the provisional values of a round's new keys by the indices
/// the merge gave them (in the slots `dedup` put them in, which have not
/// moved), then removes the keys of states not admitted (a removal moves
/// slots, so those are found again by their provisional value).
fn settle(shards: &mut [Table], round: &[u128], found: &[u32], slots: &[u32], indices: &[u32]) {
    let n = shards.len();
    let fix = |shard: usize, table: &mut Table| {
        let mut dropped = Vec::new();
        for (k, &key) in round.iter().enumerate() {
            if found[k] != FRESH || shard_of(key, n) != shard {
                continue;
            }
            if indices[k] == DROPPED {
                dropped.push(k);
            } else {
                table.set(slots[k] as usize, indices[k]);
            }
        }
        for k in dropped {
            let provisional = PENDING | k as u32;
            if let Ok((slot, _)) = table.find(tag(round[k]), |v| v == provisional) {
                table.remove(slot);
            }
        }
    };
    if n == 1 || round.len() < 4096 {
        for (s, t) in shards.iter_mut().enumerate() {
            fix(s, t);
        }
        return;
    }
    std::thread::scope(|scope| {
        for (s, t) in shards.iter_mut().enumerate() {
            scope.spawn(move || fix(s, t));
        }
    });
}

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
    /// The position of this batch's first successor in the round.
    first: usize,
    /// Each probe a state hits: the state's place in the batch, the probe.
    hits: Vec<(u32, u32)>,
}

pub(super) struct Expander<'a> {
    story: &'a Story,
    norm: &'a Normaliser,
    packer: &'a Packer,
    template: &'a State,
    probes: &'a Probes<'a>,
}

impl Expander<'_> {
    fn expand(&self, batch: &[u8]) -> Expansion {
        let stride = self.packer.stride;
        let states = batch.len() / stride;
        // Room for a few successors a state, so that the batch's buffers
        // seldom move while they fill.
        let room = states * SUCCESSORS_RESERVED;
        let mut out = Expansion {
            visits: Vec::with_capacity(states),
            next: Vec::with_capacity(room),
            bytes: Vec::with_capacity(room * stride),
            choices_taken: Vec::with_capacity(room),
            first: 0,
            hits: Vec::new(),
        };
        let probing = !self.probes.is_empty();
        let mut state = self.template.clone();
        let mut next = self.template.clone();
        let mut choices: Vec<ChoiceId> = Vec::new();
        for (i, bytes) in batch.chunks_exact(stride).enumerate() {
            self.packer.unpack(bytes, &mut state);
            // The state as the walk keeps it: the reductions keep every
            // part a probe reads (its sites), so it hits the same probes as
            // every state it stands for.
            if probing {
                let hits = &mut out.hits;
                self.probes
                    .hits(self.story, &state, &mut |p| hits.push((i as u32, p)));
            }
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
            out.choices_taken.extend_from_slice(&choices);
            self.successors(&state, &choices, &mut next, &mut |step, next| {
                let at = out.bytes.len();
                out.bytes.resize(at + stride, 0);
                let packed = &mut out.bytes[at..];
                self.packer.pack(self.norm, next, packed);
                out.next.push((key(packed), i as u32, step));
            });
        }
        out
    }

    /// Calls `f` on each successor of `state` by its open `choices`, in the
    /// walk's order: choice by choice, a check's success before its
    /// failure (unless its chance rules one out).
    fn successors(
        &self,
        state: &State,
        choices: &[ChoiceId],
        next: &mut State,
        f: &mut dyn FnMut(PathStep, &State),
    ) {
        for &c in choices {
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
                self.packer.restore(state, next);
                let mode = outcome.map_or(RollMode::Force(true), RollMode::Force);
                if next.advance(self.story, c, mode).is_err() {
                    continue;
                }
                f(PathStep { choice: c, outcome }, next);
            }
        }
    }

    /// The first state of the walk, normalised as the walk keeps it.
    pub(super) fn start(&self) -> State {
        self.template.clone()
    }

    /// The successor of `state` whose key is `target`, and the step to it,
    /// normalised as the walk keeps it; `None` if it has none.
    pub(super) fn step_to(&self, state: &State, target: u128) -> Option<(PathStep, State)> {
        if state.ending(self.story).is_some() {
            return None;
        }
        let choices: Vec<ChoiceId> = state.choices(self.story).collect();
        let mut next = self.template.clone();
        let mut packed = vec![0u8; self.packer.stride];
        let mut found = None;
        self.successors(state, &choices, &mut next, &mut |step, s| {
            if found.is_some() {
                return;
            }
            self.packer.pack(self.norm, s, &mut packed);
            if key(&packed) == target {
                let mut kept = self.template.clone();
                self.packer.unpack(&packed, &mut kept);
                found = Some((step, kept));
            }
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use super::{shard_of, tag};
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
        let mut hashes: Vec<u32> = keys.iter().map(|&k| tag(k)).collect();
        let mut buckets: Vec<u32> = hashes.iter().map(|h| h % STATES as u32).collect();
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
