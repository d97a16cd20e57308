//! Soft-locks: the reachable states from which no ending can be reached,
//! found backwards from the endings over the walk's reversed edges, and
//! grouped into the regions a player is caught in, each with the shortest
//! path into it and a loop it is caught in.
//!
//! A state can reach an ending if it is one, or if a successor can; the
//! rest are trapped. Trapped states only lead to trapped states, so
//! following them a player ends in a strongly connected component of
//! trapped states with no way out (a bottom component): a dead end (one
//! state, no choice open), a choice that changes nothing (one state that
//! leads to itself), or a loop of states. Bottom components over the same
//! scenes are one region: where the player is caught, whatever the
//! variables say there.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::{HashMap, VecDeque};

use crate::engine::State;
use crate::story::{SceneId, Story};
use crate::tools::explore::store::{Bits, Column, Ranked, Reversed, Scenes};
use crate::tools::explore::walk::Expander;
use crate::tools::explore::{PathStep, SoftLock};

/// What the walk kept of every state, for the analysis.
pub(super) struct Stored<'a> {
    pub(super) keys: &'a Column<u128>,
    pub(super) scenes: &'a Scenes,
    pub(super) truncated: &'a Bits,
}

/// Replays paths of state indices into steps: from a state, the step whose
/// successor has the next state's key.
pub(super) struct Replayer<'a> {
    pub(super) expander: &'a Expander<'a>,
}

impl Replayer<'_> {
    /// The shortest path to state `target` (its parents, each the first
    /// state that led to it), as steps, the state it reaches, and the
    /// indices along it, the start and `target` included.
    pub(super) fn path_to(
        &self,
        stored: &Stored<'_>,
        rev: &Reversed,
        target: usize,
    ) -> (Vec<PathStep>, State, Vec<usize>) {
        let mut chain = vec![target];
        let mut i = target;
        while i != 0 {
            match rev.before(i).first() {
                Some(&p) if (p as usize) < i => i = p as usize,
                // Every state but the first was led to by an earlier one.
                Some(_) | None => break,
            }
            chain.push(i);
        }
        chain.reverse();
        let (steps, state) = self.follow(stored, self.expander.start(), &chain);
        (steps, state, chain)
    }

    /// The steps from `state` (the state of `chain[0]`) through the states
    /// of `chain`, and the state reached.
    fn follow(
        &self,
        stored: &Stored<'_>,
        mut state: State,
        chain: &[usize],
    ) -> (Vec<PathStep>, State) {
        let mut steps = Vec::with_capacity(chain.len());
        for &next in chain.iter().skip(1) {
            match self.expander.step_to(&state, stored.keys.get(next)) {
                Some((step, s)) => {
                    steps.push(step);
                    state = s;
                }
                // The walk found this edge by the same expansion.
                None => break,
            }
        }
        (steps, state)
    }
}

/// The soft-lock regions of a walk, and the scenes of every trapped state.
pub(super) struct Found {
    pub(super) soft_locks: Vec<SoftLock>,
    pub(super) trapped: Vec<bool>,
    /// The most bytes the analysis held beside the reversed edges.
    pub(super) bytes: usize,
}

pub(super) fn find(
    story: &Story,
    stored: &Stored<'_>,
    rev: &Reversed,
    replay: &Replayer<'_>,
) -> Found {
    let n = stored.keys.len();
    let scene_of = |i: usize| SceneId(stored.scenes.get(i));
    // Backwards from the endings, and from the states that lost a
    // successor to a cut-off (what lies past them is unknown).
    let mut good = Bits::new(n);
    for i in 0..n {
        if story.scene(scene_of(i)).ending.is_some() || stored.truncated.get(i) {
            good.insert(i);
        }
    }
    // States are numbered breadth first, so a state's predecessors mostly
    // come before it: one pass from the last state down marks nearly all
    // that can reach an ending, reading the reversed edges in order rather
    // than all over memory. A second pass finds each state marked but not
    // yet its predecessors' (the edges that go back), and from those a
    // search finishes the job.
    for v in (0..n).rev() {
        if good.get(v) {
            for &u in rev.before(v) {
                good.insert(u as usize);
            }
        }
    }
    let mut queue: Vec<u32> = Vec::new();
    for v in 0..n {
        if good.get(v) {
            for &u in rev.before(v) {
                if good.insert(u as usize) {
                    queue.push(u);
                }
            }
        }
    }
    let mut bytes = good.bytes() + queue.capacity() * 4;
    while let Some(v) = queue.pop() {
        for &u in rev.before(v as usize) {
            if good.insert(u as usize) {
                queue.push(u);
            }
        }
    }
    bytes = bytes.max(good.bytes() + queue.capacity() * 4);
    drop(queue);
    let trapped_states = good.complement(n);
    drop(good);
    let mut trapped = vec![false; story.scenes.len()];
    if trapped_states.count == 0 {
        return Found {
            soft_locks: Vec::new(),
            trapped,
            bytes,
        };
    }
    for i in trapped_states.iter() {
        trapped[scene_of(i).index()] = true;
    }
    let components = Components::build(&trapped_states, rev);
    bytes = bytes.max(trapped_states.count * 16);
    // Components with a way out to another (not bottom ones): an edge
    // u → v between two components shows in `v`'s predecessors.
    let mut leaks = vec![false; components.count];
    for v in trapped_states.iter() {
        let cv = components.of(&trapped_states, v);
        for &u in rev.before(v) {
            let u = u as usize;
            if trapped_states.contains(u) && components.of(&trapped_states, u) != cv {
                leaks[components.of(&trapped_states, u) as usize] = true;
            }
        }
    }
    // Regions: bottom components grouped by their scenes, in the order of
    // their first state (the one with the shortest path).
    struct Region {
        first: usize,
        states: usize,
    }
    let mut scenes_of: HashMap<u32, Vec<SceneId>> = HashMap::new();
    let mut first_of: HashMap<u32, (usize, usize)> = HashMap::new();
    for i in trapped_states.iter() {
        let c = components.of(&trapped_states, i);
        if leaks[c as usize] {
            continue;
        }
        let list = scenes_of.entry(c).or_default();
        if let Err(at) = list.binary_search(&scene_of(i)) {
            list.insert(at, scene_of(i));
        }
        first_of.entry(c).or_insert((i, 0)).1 += 1;
    }
    let mut regions: HashMap<Vec<SceneId>, Region> = HashMap::new();
    for (c, list) in scenes_of {
        let (first, states) = first_of[&c];
        let r = regions.entry(list).or_insert(Region { first, states: 0 });
        r.first = r.first.min(first);
        r.states += states;
    }
    let mut regions: Vec<(Vec<SceneId>, Region)> = regions.into_iter().collect();
    regions.sort_by_key(|(_, r)| r.first);
    let soft_locks = regions
        .into_iter()
        .map(|(scenes, region)| {
            let entry = region.first;
            let (path, state, chain) = replay.path_to(stored, rev, entry);
            // The step after which no ending can be reached (0: none
            // could be from the start).
            let no_return = chain
                .iter()
                .position(|&i| trapped_states.contains(i))
                .unwrap_or(path.len())
                .min(path.len());
            let c = components.of(&trapped_states, entry);
            let mut cycle = cycle_through(entry, &trapped_states, &components, c, rev);
            if cycle.len() == 1 {
                // One state: it leads to itself (the step found, if any),
                // or nowhere (a dead end).
                cycle.push(entry);
            }
            let (steps, _) = replay.follow(stored, state, &cycle);
            let cycle = cycle
                .iter()
                .zip(steps)
                .map(|(&i, step)| (scene_of(i), step))
                .collect();
            SoftLock {
                scenes,
                states: region.states,
                path,
                no_return,
                cycle,
            }
        })
        .collect();
    Found {
        soft_locks,
        trapped,
        bytes,
    }
}

/// The strongly connected components of the trapped states (Tarjan's
/// algorithm without recursion, over the reversed edges: the components
/// are the same either way).
struct Components {
    /// By rank among the trapped states.
    id: Vec<u32>,
    count: usize,
}

impl Components {
    fn of_rank(&self, rank: usize) -> u32 {
        self.id[rank]
    }

    fn of(&self, set: &Ranked, i: usize) -> u32 {
        self.of_rank(set.rank(i))
    }

    fn build(set: &Ranked, rev: &Reversed) -> Components {
        const NONE: u32 = u32::MAX;
        let b = set.count;
        let (mut index, mut low) = (vec![NONE; b], vec![0u32; b]);
        let mut on_stack = vec![false; b];
        let mut id = vec![NONE; b];
        let (mut stack, mut frames): (Vec<usize>, Vec<(usize, usize)>) = (Vec::new(), Vec::new());
        let (mut next, mut count) = (0u32, 0usize);
        for root in set.iter() {
            if index[set.rank(root)] != NONE {
                continue;
            }
            frames.push((root, 0));
            while let Some(&(v, pos)) = frames.last() {
                let lv = set.rank(v);
                if pos == 0 && index[lv] == NONE {
                    index[lv] = next;
                    low[lv] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[lv] = true;
                }
                let before = rev.before(v);
                let mut pos = pos;
                while pos < before.len() && !set.contains(before[pos] as usize) {
                    pos += 1;
                }
                if let Some(&w) = before.get(pos) {
                    if let Some(top) = frames.last_mut() {
                        top.1 = pos + 1;
                    }
                    let lw = set.rank(w as usize);
                    if index[lw] == NONE {
                        frames.push((w as usize, 0));
                    } else if on_stack[lw] {
                        low[lv] = low[lv].min(index[lw]);
                    }
                    continue;
                }
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    let lp = set.rank(parent);
                    low[lp] = low[lp].min(low[lv]);
                }
                if low[lv] == index[lv] {
                    while let Some(w) = stack.pop() {
                        let lw = set.rank(w);
                        on_stack[lw] = false;
                        id[lw] = count as u32;
                        if w == v {
                            break;
                        }
                    }
                    count += 1;
                }
            }
        }
        Components { id, count }
    }
}

/// A shortest loop from `entry` back to it inside its component `c`, as
/// the states along it (`entry` first and last); `[entry]` alone when the
/// component is that one state (it leads only to itself, or nowhere: the
/// reversed edges leave self-loops out).
fn cycle_through(
    entry: usize,
    set: &Ranked,
    components: &Components,
    c: u32,
    rev: &Reversed,
) -> Vec<usize> {
    let inside = |u: usize| set.contains(u) && components.of(set, u) == c;
    // Backwards from `entry`: `toward[u]` is the next state on a shortest
    // path from `u` to `entry`. The first `u` found that `entry` leads to
    // closes the shortest loop.
    let mut toward: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([entry]);
    while let Some(y) = queue.pop_front() {
        for &u in rev.before(y) {
            let u = u as usize;
            if u == entry || !inside(u) || toward.contains_key(&u) {
                continue;
            }
            toward.insert(u, y);
            if rev.before(u).binary_search(&(entry as u32)).is_ok() {
                let mut cycle = vec![entry, u];
                let mut at = u;
                while at != entry {
                    at = toward[&at];
                    cycle.push(at);
                }
                return cycle;
            }
            queue.push_back(u);
        }
    }
    vec![entry]
}
