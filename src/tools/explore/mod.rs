//! `callister explore`: an exhaustive walk of a story's state space.
//!
//! Breadth first from the start; a random check branches into both
//! outcomes; states are deduplicated by a 128-bit hash of everything that
//! can change what happens next. It drives the engine itself (`advance`), so
//! what it proves holds for the game as played.

use std::collections::{HashMap, HashSet};
use std::hash::Hasher;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::engine::{RollMode, State};
use crate::story::{Action, Adjust, ChoiceId, Condition, Effect, Operand, SceneId, Story};
use crate::tools::check::walk_condition;
use crate::tools::plan::Plan;

pub mod report;

pub const DEFAULT_MAX_STATES: usize = 1_000_000;

/// One step of a path: a choice and, for a check, the forced outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathStep {
    pub choice: ChoiceId,
    pub outcome: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub states: usize,
    pub complete: bool,
    pub scenes_reached: Vec<bool>,
    pub choices_taken: Vec<bool>,
    /// For each ending reached, the shortest path to it.
    pub endings: HashMap<usize, Vec<PathStep>>,
    /// Scenes where a reachable state has no open choice, with the
    /// shortest path there.
    pub soft_locks: Vec<(SceneId, Vec<PathStep>)>,
    /// Distinct states visited in each scene.
    pub scene_states: Vec<u32>,
    /// Bytes held by the deduplication set at the end (its table, not the
    /// frontier or the parent links).
    pub dedup_bytes: usize,
    /// When cut off: where the unexplored states wait, and what tells them
    /// apart. Busiest scene first.
    pub frontier: Vec<Crowd>,
}

/// A scene with many states waiting in the frontier, and the parts of the
/// state that vary among them: what multiplies the state space there.
#[derive(Debug, Clone)]
pub struct Crowd {
    pub scene: SceneId,
    pub states: usize,
    /// Each part that takes more than one value, most values first.
    pub varying: Vec<Varying>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Varying {
    /// `credits`, `flag x`, `item x`, `dead x`, `once scene.key`, `visits(x)`.
    pub part: String,
    /// How many different values it takes among the crowd.
    pub values: usize,
    /// For a variable: how many of its values the story can still tell
    /// apart from this scene (`None`: all of them, it is kept exact).
    pub ahead: Option<usize>,
    pub variable: bool,
}

/// How many crowded scenes a cut-off report names.
const CROWDS: usize = 5;

fn crowds(
    story: &Story,
    norm: &Normaliser,
    packer: &Packer,
    template: &State,
    queue: &[u8],
) -> Vec<Crowd> {
    // Count by the scene each packed state begins with; unpack only the
    // states of the busiest scenes.
    let mut counts = vec![0usize; story.scenes.len()];
    for bytes in queue.chunks_exact(packer.stride) {
        counts[read_scene(bytes).index()] += 1;
    }
    let mut busiest: Vec<(SceneId, usize)> = counts
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 1)
        .map(|(s, &n)| (SceneId(s as u32), n))
        .collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    busiest.truncate(CROWDS);
    busiest
        .into_iter()
        .map(|(scene, _)| {
            let states: Vec<State> = queue
                .chunks_exact(packer.stride)
                .filter(|bytes| read_scene(bytes) == scene)
                .map(|bytes| {
                    let mut s = template.clone();
                    packer.unpack(bytes, &mut s);
                    s
                })
                .collect();
            let mut varying = Vec::new();
            for (i, v) in story.variables.iter().enumerate() {
                let values = distinct(states.iter().map(|s| s.vars[i]));
                if values > 1 {
                    varying.push(Varying {
                        part: v.id.clone(),
                        values,
                        ahead: norm.cells(scene, i),
                        variable: true,
                    });
                }
            }
            let mut part = |name: String, values: usize| {
                if values > 1 {
                    varying.push(Varying {
                        part: name,
                        values,
                        ahead: None,
                        variable: false,
                    });
                }
            };
            let bits = |name: &str, id: &str, get: &dyn Fn(&State) -> bool| {
                (
                    format!("{name} {id}"),
                    distinct(states.iter().map(|s| i64::from(get(s)))),
                )
            };
            for (i, f) in story.flags.iter().enumerate() {
                let (n, v) = bits("flag", &f.id, &|s| s.flags.get(i));
                part(n, v);
            }
            for (i, it) in story.items.iter().enumerate() {
                let (n, v) = bits("item", &it.id, &|s| s.items.get(i));
                part(n, v);
            }
            for (i, c) in story.crew.iter().enumerate() {
                let (n, v) = bits("dead", &c.id, &|s| s.dead.get(i));
                part(n, v);
            }
            for (i, c) in story.choices.iter().enumerate() {
                if c.once {
                    let id = format!("{}.{}", story.scene(c.scene).id, c.key);
                    let (n, v) = bits("once", &id, &|s| s.used.get(ChoiceId(i as u32)));
                    part(n, v);
                }
            }
            // Only scenes some state has visited can vary.
            let mut visited: Vec<SceneId> = states
                .iter()
                .flat_map(|s| s.visits.iter().map(|(v, _)| v))
                .collect();
            visited.sort_unstable();
            visited.dedup();
            for v in visited {
                part(
                    format!("visits({})", story.scene(v).id),
                    distinct(states.iter().map(|s| i64::from(s.visits.get(v)))),
                );
            }
            varying.sort_by(|a, b| b.values.cmp(&a.values).then(a.part.cmp(&b.part)));
            Crowd {
                scene,
                states: states.len(),
                varying,
            }
        })
        .collect()
}

/// How many different values.
fn distinct(values: impl Iterator<Item = i64>) -> usize {
    let mut values: Vec<i64> = values.collect();
    values.sort_unstable();
    values.dedup();
    values.len()
}

/// What makes two states play the same from here on.
///
/// Left out of the key: the RNG, the turn and the seed (checks branch both
/// ways). Visit counts are kept only for scenes that conditions read, and
/// saturate past the largest number they are compared with. And every part
/// of the state that no condition can read again from the current scene
/// (by the graph, conditions ignored: a sound over-approximation) is reset,
/// so that, say, a chapter's private flags stop multiplying the states of
/// the chapters after it. Text is not behaviour: a value only shown in
/// prose does not keep states apart.
pub struct Normaliser {
    /// For each scene: `None` if no condition reads its visits, else the cap.
    caps: Vec<Option<u32>>,
    /// Per scene, the components still live there; `None` when the story is
    /// too large for the table (then nothing is reset).
    live: Option<Liveness>,
    /// Per scene and variable, the values where the variable's future can
    /// change; `None` when the story is too large for the table.
    windows: Option<Windows>,
}

/// Threshold windows: which values of a variable are interchangeable.
///
/// From a scene, every future read of `v` is a comparison with a constant,
/// that is a boundary `b` where `v >= b` flips; between here and that read,
/// the adds applied to `v` sum to some `Δ` (a `SetVar` makes all values
/// equal, so it ends the search). Two values `x < y` behave the same in
/// every future unless some `b - Δ` lies in `(x, y]`: every write is
/// `clamp(v + d)`, monotone and 1-Lipschitz, so the gap between two
/// trajectories only shrinks, and clamping merges them. The set of such
/// points `b - Δ` (kept within the variable's bounds, so it is finite even
/// around loops) cuts the range into cells; each value is replaced by the
/// lowest value of its cell. Variables compared with other variables or
/// visit counts, or read by `Per` adjustments, are kept exact.
struct Windows {
    /// `cuts[scene][var]`: sorted critical points, or `None` to keep exact.
    cuts: Vec<Vec<Option<Vec<i64>>>>,
}

/// Variables with a wider range than this are kept exact.
const WINDOW_MAX_RANGE: i64 = 1 << 16;
/// Past this many critical points in all, the windows are not built.
const WINDOW_BUDGET: usize = 16 * 1024 * 1024;

/// Bit layout of a component set: variables, flags, items, crew, `once`
/// choices, scenes whose visits are read.
struct Liveness {
    vars: usize,
    flags: usize,
    items: usize,
    crew: usize,
    /// Index of each `once` choice among components (after crew).
    once: Vec<Option<usize>>,
    /// Index of each visit-tracked scene among components.
    visits: Vec<Option<usize>>,
    words: usize,
    bits: Vec<u64>,
}

/// Past this many bits, the liveness table is not built.
const LIVENESS_BUDGET_BITS: usize = 256 * 1024 * 1024;

impl Normaliser {
    pub fn new(story: &Story) -> Normaliser {
        let mut caps: Vec<Option<u32>> = vec![None; story.scenes.len()];
        let mut note = |c: &Condition| {
            walk_condition(c, &mut |leaf| {
                if let Condition::Cmp(a, _, b) = leaf {
                    for (x, y) in [(a, b), (b, a)] {
                        if let Operand::Visits(s) = x {
                            let cap = match y {
                                Operand::Const(n) => {
                                    u32::try_from((*n).clamp(0, 1 << 20)).unwrap_or(0) + 1
                                }
                                // Compared with something that changes: keep counts up to a bound.
                                _ => 64,
                            };
                            let slot = &mut caps[s.index()];
                            *slot = Some(slot.map_or(cap, |c| c.max(cap)));
                        }
                    }
                }
            });
        };
        for_each_condition(story, &mut note);
        let live = Liveness::build(story, &caps);
        let windows = Windows::build(story);
        Normaliser {
            caps,
            live,
            windows,
        }
    }

    /// How many cells the variable's values fall into at a scene (`None`:
    /// kept exact), for reports.
    pub fn cells(&self, scene: SceneId, var: usize) -> Option<usize> {
        let w = self.windows.as_ref()?;
        w.cuts[scene.index()][var].as_ref().map(Vec::len)
    }

    /// The representative of `x`'s cell for variable `v` at `scene`: the
    /// lowest value of the cell (the last cut at or below `x`).
    fn window(&self, scene: SceneId, v: usize, x: i64) -> i64 {
        let Some(cuts) = self
            .windows
            .as_ref()
            .and_then(|w| w.cuts[scene.index()][v].as_deref())
        else {
            return x;
        };
        let i = cuts.partition_point(|&c| c <= x);
        if i == 0 {
            story_min(cuts, x)
        } else {
            cuts[i - 1]
        }
    }
}

/// The floor of the first cell: values below every cut are interchangeable;
/// the first cut list always starts with the variable's minimum.
fn story_min(cuts: &[i64], x: i64) -> i64 {
    cuts.first().copied().unwrap_or(x).min(x)
}

impl Windows {
    fn build(story: &Story) -> Option<Windows> {
        let nv = story.variables.len();
        // Variables that must stay exact.
        let mut exact: Vec<bool> = story
            .variables
            .iter()
            .map(|v| v.max.saturating_sub(v.min) > WINDOW_MAX_RANGE)
            .collect();
        // Boundaries read in each scene, per variable.
        let mut reads: Vec<Vec<Vec<i64>>> = vec![vec![Vec::new(); nv]; story.scenes.len()];
        let mut note = |cond: &Condition, scene: usize, exact: &mut Vec<bool>| {
            walk_condition(cond, &mut |leaf| {
                if let Condition::Cmp(a, op, b) = leaf {
                    match (a, b) {
                        (Operand::Var(v), Operand::Const(k)) => {
                            reads[scene][v.index()].extend(boundaries(*op, *k));
                        }
                        (Operand::Const(k), Operand::Var(v)) => {
                            reads[scene][v.index()].extend(boundaries(op.flipped(), *k));
                        }
                        _ => {
                            for o in [a, b] {
                                if let Operand::Var(v) = o {
                                    exact[v.index()] = true;
                                }
                            }
                        }
                    }
                }
            });
        };
        let mut per_reads: Vec<(usize, usize, i64)> = Vec::new();
        for (si, scene) in story.scenes.iter().enumerate() {
            for &c in &scene.choices {
                let choice = story.choice(c);
                if let Some(w) = &choice.when {
                    note(w, si, &mut exact);
                }
                if let Action::Check(check) = &choice.action {
                    for a in &check.adjust {
                        if let Adjust::When(cond, _) = a {
                            note(cond, si, &mut exact);
                        }
                    }
                    per_boundaries(check, &mut |v, b| per_reads.push((si, v, b)), &mut exact);
                }
            }
        }
        for (si, v, b) in per_reads {
            reads[si][v].push(b);
        }
        // `once` choices get a bit each (the first 64; later ones are
        // treated as repeatable, which only adds cuts).
        let mut once_bit: Vec<u64> = vec![0; story.choices.len()];
        let mut next_bit = 0;
        for (ci, choice) in story.choices.iter().enumerate() {
            if choice.once && next_bit < 64 {
                once_bit[ci] = 1 << next_bit;
                next_bit += 1;
            }
        }
        // Edges: (from, to, per variable: Some(net add) or None after a
        // SetVar, and the `once` bit of the choice taken).
        let mut edges: Vec<(usize, usize, Vec<Option<i64>>, u64)> = Vec::new();
        for (si, scene) in story.scenes.iter().enumerate() {
            for &c in &scene.choices {
                let choice = story.choice(c);
                let mut branches: Vec<(Vec<&Effect>, SceneId)> = Vec::new();
                match &choice.action {
                    Action::Goto(t) => branches.push((choice.effects.iter().collect(), *t)),
                    Action::Check(check) => {
                        for b in [&check.success, &check.failure] {
                            branches
                                .push((choice.effects.iter().chain(&b.effects).collect(), b.goto));
                        }
                    }
                }
                for (mut effects, target) in branches {
                    effects.extend(&story.scene(target).on_enter);
                    let mut delta: Vec<Option<i64>> = vec![Some(0); nv];
                    for e in effects {
                        match e {
                            Effect::Add(v, n) => {
                                if let Some(d) = &mut delta[v.index()] {
                                    *d = d.saturating_add(*n);
                                }
                            }
                            Effect::SetVar(v, _) => delta[v.index()] = None,
                            _ => {}
                        }
                    }
                    edges.push((si, target.index(), delta, once_bit[c.index()]));
                }
            }
        }
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); story.scenes.len()];
        for (i, (_, to, _, _)) in edges.iter().enumerate() {
            preds[*to].push(i);
        }
        // Fixpoint: cuts(s) = reads(s) ∪ shift(cuts(t), -Δ) over edges s → t.
        // Each cut carries the `once` choices its path used, so a shop of
        // `once` purchases in a loop adds each price at most once instead of
        // over and over; a cut with a smaller set of used choices subsumes
        // the same cut with a larger one.
        let mut cuts: Vec<Vec<Cuts>> = reads
            .iter()
            .map(|per_var| {
                per_var
                    .iter()
                    .enumerate()
                    .map(|(v, bs)| {
                        let decl = &story.variables[v];
                        let mut set = Cuts::new();
                        for &b in bs {
                            if b > decl.min && b <= decl.max {
                                insert_cut(&mut set, b, 0);
                            }
                        }
                        set
                    })
                    .collect()
            })
            .collect();
        let mut total: usize = cuts.iter().flatten().map(|c| c.len()).sum();
        let mut work: Vec<usize> = (0..story.scenes.len()).collect();
        let mut queued = vec![true; story.scenes.len()];
        let mut shifted: Vec<(i64, u64)> = Vec::new();
        while let Some(t) = work.pop() {
            queued[t] = false;
            for &e in &preds[t] {
                let (from, _, delta, bit) = &edges[e];
                let mut changed = false;
                for v in 0..nv {
                    let (Some(d), false) = (delta[v], exact[v]) else {
                        continue;
                    };
                    let decl = &story.variables[v];
                    shifted.clear();
                    for (&c, masks) in &cuts[t][v] {
                        let c = c.saturating_sub(d);
                        if c <= decl.min || c > decl.max {
                            continue;
                        }
                        for &m in masks {
                            if m & bit == 0 {
                                shifted.push((c, m | bit));
                            }
                        }
                    }
                    for &(c, m) in &shifted {
                        if insert_cut(&mut cuts[*from][v], c, m) {
                            changed = true;
                            total += 1;
                        }
                    }
                }
                if total > WINDOW_BUDGET {
                    return None;
                }
                if changed && !queued[*from] {
                    queued[*from] = true;
                    work.push(*from);
                }
            }
        }
        Some(Windows {
            cuts: cuts
                .into_iter()
                .map(|per_var| {
                    per_var
                        .into_iter()
                        .enumerate()
                        .map(|(v, set)| {
                            (!exact[v]).then(|| {
                                std::iter::once(story.variables[v].min)
                                    .chain(set.into_keys())
                                    .collect()
                            })
                        })
                        .collect()
                })
                .collect(),
        })
    }
}

/// Cuts of one variable at one scene: each critical value with the minimal
/// sets of `once` choices used on the paths that make it critical.
type Cuts = std::collections::BTreeMap<i64, Vec<u64>>;

/// Adds a cut unless a cut at the same value with a subset of its used
/// choices is there (it allows every path this one does). True if added.
fn insert_cut(cuts: &mut Cuts, value: i64, mask: u64) -> bool {
    let masks = cuts.entry(value).or_default();
    if masks.iter().any(|&m| m & !mask == 0) {
        return false;
    }
    masks.retain(|&m| m & mask != mask);
    masks.push(mask);
    true
}

/// Where a `Per(v, k)` adjustment can change what a check can do.
///
/// The explorer follows both outcomes of every check whose chance is
/// strictly between 0 and 100, so a variable read by `Per` matters only
/// where it pushes the chance to 0 or to 100. With one `Per` and a few
/// `When`s, those points are `(0 - base - S) / k` and `(100 - base - S) / k`
/// for every sum `S` of `When` bonuses; otherwise the variable stays exact.
fn per_boundaries(
    check: &crate::story::Check,
    read: &mut dyn FnMut(usize, i64),
    exact: &mut [bool],
) {
    let pers: Vec<(usize, i64)> = check
        .adjust
        .iter()
        .filter_map(|a| match a {
            Adjust::Per(v, k) => Some((v.index(), *k)),
            Adjust::When(..) => None,
        })
        .collect();
    let whens: Vec<i64> = check
        .adjust
        .iter()
        .filter_map(|a| match a {
            Adjust::When(_, n) => Some(*n),
            Adjust::Per(..) => None,
        })
        .collect();
    match pers.as_slice() {
        [] => {}
        [(v, k)] if whens.len() <= 10 => {
            let k = i128::from(*k);
            if k == 0 {
                return;
            }
            let floor = |a: i128| {
                if k > 0 {
                    a.div_euclid(k)
                } else {
                    (-a).div_euclid(-k)
                }
            };
            let ceil = |a: i128| -floor(-a);
            for subset in 0..1u32 << whens.len() {
                let s: i128 = whens
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| subset & (1 << i) != 0)
                    .map(|(_, n)| i128::from(*n))
                    .sum();
                for edge in [0, 100] {
                    let n = edge - i128::from(check.chance) - s;
                    for b in [floor(n) + 1, ceil(n)] {
                        read(
                            *v,
                            b.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
                        );
                    }
                }
            }
        }
        _ => {
            for (v, _) in pers {
                exact[v] = true;
            }
        }
    }
}

/// Where `x op k` can change its truth as x grows: the values `b` at which
/// `x >= b` flips.
fn boundaries(op: crate::story::CmpOp, k: i64) -> Vec<i64> {
    use crate::story::CmpOp as C;
    match op {
        C::Ge | C::Lt => vec![k],
        C::Gt | C::Le => vec![k.saturating_add(1)],
        C::Eq | C::Ne => vec![k, k.saturating_add(1)],
    }
}

impl Liveness {
    fn build(story: &Story, caps: &[Option<u32>]) -> Option<Liveness> {
        let (vars, flags, items, crew) = (
            story.variables.len(),
            story.flags.len(),
            story.items.len(),
            story.crew.len(),
        );
        let mut next = vars + flags + items + crew;
        let once: Vec<Option<usize>> = story
            .choices
            .iter()
            .map(|c| {
                c.once.then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let visits: Vec<Option<usize>> = caps
            .iter()
            .map(|c| {
                c.map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let words = next.div_ceil(64).max(1);
        if words.saturating_mul(64).saturating_mul(story.scenes.len()) > LIVENESS_BUDGET_BITS {
            return None;
        }
        let mut l = Liveness {
            vars,
            flags,
            items,
            crew,
            once,
            visits,
            words,
            bits: vec![0; words * story.scenes.len()],
        };
        // What each scene's own choices read.
        for (si, scene) in story.scenes.iter().enumerate() {
            let mut marks: Vec<usize> = Vec::new();
            for &c in &scene.choices {
                let choice = story.choice(c);
                if let Some(bit) = l.once[c.index()] {
                    marks.push(bit);
                }
                let visits = &l.visits;
                let read = |cond: &Condition, marks: &mut Vec<usize>| {
                    walk_condition(cond, &mut |leaf| match leaf {
                        Condition::Flag(f) => marks.push(vars + f.index()),
                        Condition::Has(i) => marks.push(vars + flags + i.index()),
                        Condition::Alive(c) => marks.push(vars + flags + items + c.index()),
                        Condition::Cmp(a, _, b) => {
                            for o in [a, b] {
                                match o {
                                    Operand::Var(v) => marks.push(v.index()),
                                    Operand::Visits(s) => marks.extend(visits[s.index()]),
                                    Operand::Const(_) => {}
                                }
                            }
                        }
                        _ => {}
                    });
                };
                if let Some(w) = &choice.when {
                    read(w, &mut marks);
                }
                if let Action::Check(check) = &choice.action {
                    for a in &check.adjust {
                        match a {
                            Adjust::Per(v, _) => marks.push(v.index()),
                            Adjust::When(c, _) => read(c, &mut marks),
                        }
                    }
                }
            }
            let row = &mut l.bits[si * words..(si + 1) * words];
            for i in marks {
                row[i / 64] |= 1 << (i % 64);
            }
        }
        // Live at a scene: read there, or live at any scene it leads to.
        // Scenes of one strongly connected component share their set; the
        // components come out of Tarjan's algorithm successors first, so
        // one pass in that order is the fixpoint: linear in the graph.
        let succ: Vec<Vec<usize>> = story
            .scenes
            .iter()
            .map(|scene| {
                scene
                    .choices
                    .iter()
                    .flat_map(|&c| story.targets(c))
                    .map(SceneId::index)
                    .collect()
            })
            .collect();
        let mut row = vec![0u64; words];
        for component in strongly_connected(&succ) {
            row.fill(0);
            for &s in &component {
                for (w, r) in row.iter_mut().enumerate() {
                    *r |= l.bits[s * words + w];
                }
                for &t in &succ[s] {
                    for (w, r) in row.iter_mut().enumerate() {
                        *r |= l.bits[t * words + w];
                    }
                }
            }
            for &s in &component {
                l.bits[s * words..(s + 1) * words].copy_from_slice(&row);
            }
        }
        Some(l)
    }
}

/// The strongly connected components of a graph, each after every
/// component it can reach (Tarjan's algorithm, without recursion).
fn strongly_connected(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const NONE: usize = usize::MAX;
    let n = succ.len();
    let (mut index, mut low) = (vec![NONE; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut out) = (Vec::new(), Vec::new());
    let mut next = 0;
    // Each frame: a node and how many of its successors are done.
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        frames.push((root, 0));
        while let Some(&mut (v, ref mut i)) = frames.last_mut() {
            if *i == 0 && index[v] == NONE {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = succ[v].get(*i) {
                *i += 1;
                if index[w] == NONE {
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

/// Calls `f` on every condition in the story.
pub fn for_each_condition(story: &Story, f: &mut dyn FnMut(&Condition)) {
    use crate::tools::check::text_each_condition as text;
    fn effects(es: &[Effect], f: &mut dyn FnMut(&Condition)) {
        for e in es {
            if let Effect::Say(t) = e {
                text(t, f);
            }
        }
    }
    for s in &story.scenes {
        text(&s.text, f);
        effects(&s.on_enter, f);
    }
    for c in &story.choices {
        text(&c.text, f);
        if let Some(w) = &c.when {
            f(w);
        }
        effects(&c.effects, f);
        if let Action::Check(check) = &c.action {
            for a in &check.adjust {
                if let Adjust::When(c, _) = a {
                    f(c);
                }
            }
            for b in [&check.success, &check.failure] {
                if let Some(t) = &b.text {
                    text(t, f);
                }
                effects(&b.effects, f);
            }
        }
    }
}

/// A normalised state packed into a fixed number of bytes.
///
/// The explorer keeps its frontier packed (a few dozen bytes a state
/// instead of a `State` with five heap vectors) and deduplicates by a
/// 128-bit hash of the packed bytes. Only what the normaliser can leave
/// non-zero is packed: the variables (each in as few bytes as its range
/// needs), flags, items, dead crew, the `once` choices, and the visit
/// counts that conditions read.
struct Packer {
    stride: usize,
    /// Per variable: byte offset, width in bytes, the variable's minimum.
    vars: Vec<(usize, usize, i64)>,
    /// (offset, words) of flags, items and dead crew.
    sets: [(usize, usize); 3],
    /// `once` choices in order, and where their bits start.
    once: Vec<usize>,
    once_at: usize,
    /// Visit-tracked scenes: scene, byte offset, width, saturation cap.
    visits: Vec<(SceneId, usize, usize, u32)>,
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
    fn new(story: &Story, norm: &Normaliser) -> Packer {
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
    fn pack(&self, norm: &Normaliser, state: &State, out: &mut [u8]) {
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
        if let Some(live) = &self.live {
            let mask = &live[state.scene.index() * self.stride..][..self.stride];
            for (b, m) in out.iter_mut().zip(mask) {
                *b &= m;
            }
        }
    }

    /// Fills `state` from packed bytes. Only tracked scenes keep a visit
    /// count: nothing reads the others.
    fn unpack(&self, bytes: &[u8], state: &mut State) {
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
        state.turn = 0;
    }

    /// Copies what the packing keeps from `from` into `to`: a cheap reset
    /// of a scratch state between two successors of the same state.
    fn restore(&self, from: &State, to: &mut State) {
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

/// A 128-bit hash of packed bytes: two independent lanes of folded 64-bit
/// multiplies (wyhash's mixing step). Not cryptographic; with n states the
/// chance that two distinct states collide is about n² / 2¹²⁹.
fn hash128(bytes: &[u8]) -> u128 {
    const P: [u64; 4] = [
        0xa076_1d64_78bd_642f,
        0xe703_7ed1_a0b4_28db,
        0x8ebc_6af0_9c88_c6e3,
        0x5899_65cc_7537_4cc3,
    ];
    fn mix(a: u64, b: u64) -> u64 {
        let r = u128::from(a) * u128::from(b);
        (r as u64) ^ ((r >> 64) as u64)
    }
    let (mut a, mut b) = (P[0] ^ bytes.len() as u64, P[2]);
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        a = mix(w ^ P[1], a ^ P[0]);
        b = mix(w ^ P[3], b ^ P[2]).rotate_left(17);
    }
    (u128::from(mix(a, P[3])) << 64) | u128::from(mix(b ^ 0x9e37_79b9_7f4a_7c15, P[1]))
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
        self.0 = n as u64;
    }
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
                    Action::Goto(_) => &[None],
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
                        .push((hash128(packed), i as u32, PathStep { choice: c, outcome }));
                }
            }
        }
        out
    }
}

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
    let first = hash128(&level);
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

fn read_scene(bytes: &[u8]) -> SceneId {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[..4]);
    SceneId(u32::from_le_bytes(b))
}

/// A path as a plan that `callister replay` accepts.
pub fn plan_for(
    story: &Story,
    steps: &[PathStep],
    from: Option<&str>,
    ending: Option<&str>,
) -> Plan {
    Plan {
        seed: 0,
        from: from.map(str::to_string),
        set: Vec::new(),
        choices: steps
            .iter()
            .map(|s| {
                let key = &story.choice(s.choice).key;
                match s.outcome {
                    Some(true) => format!("{key}:pass"),
                    Some(false) => format!("{key}:fail"),
                    None => key.clone(),
                }
            })
            .collect(),
        expect: crate::tools::plan::Expect {
            ending: ending.map(str::to_string),
            ..Default::default()
        },
    }
}

/// Statistics of random playthroughs (ChoiceScript's randomtest).
#[derive(Debug, Clone, Serialize)]
pub struct RandomReport {
    pub runs: usize,
    /// Runs that hit the step cap without an ending.
    pub unfinished: usize,
    pub stuck: usize,
    pub scene_hits: Vec<u64>,
    /// For each ending: how many runs, and per variable (min, mean, max).
    pub endings: Vec<EndingStats>,
    /// For each ending reached, the shortest run that reached it.
    #[serde(skip)]
    pub shortest: HashMap<usize, Vec<PathStep>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndingStats {
    pub ending: String,
    pub runs: usize,
    pub vars: Vec<(String, i64, f64, i64)>,
}

/// A variable's least, summed and greatest value over the runs that ended
/// somewhere.
type Spread = (i64, i128, i64);

/// Steps after which a random run is abandoned as looping.
pub const RANDOM_STEP_CAP: usize = 10_000;

pub fn random(story: &Story, runs: usize, seed: u64) -> RandomReport {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut hits = vec![0u64; story.scenes.len()];
    // Per ending: the runs that reached it, and per variable its least,
    // summed and greatest value at the end.
    let mut per_ending: Vec<(usize, Vec<Spread>)> =
        vec![(0, vec![(i64::MAX, 0, i64::MIN); story.variables.len()]); story.endings.len()];
    let (mut unfinished, mut stuck) = (0, 0);
    let mut choices = Vec::new();
    let mut shortest: HashMap<usize, Vec<PathStep>> = HashMap::new();
    let mut path: Vec<PathStep> = Vec::new();
    // One state, reset run after run: a new game costs what the last one
    // touched, not the size of the story.
    let mut game = State::new(story, 0);
    for _ in 0..runs {
        game.restart(story, rng.random());
        hits[game.scene.index()] += 1;
        let mut steps = 0;
        path.clear();
        loop {
            if let Some(e) = game.ending(story) {
                let (count, vars) = &mut per_ending[e.index()];
                *count += 1;
                for ((min, sum, max), &v) in vars.iter_mut().zip(&game.vars) {
                    *min = (*min).min(v);
                    *max = (*max).max(v);
                    *sum += i128::from(v);
                }
                let best = shortest.entry(e.index()).or_insert_with(|| path.clone());
                if path.len() < best.len() {
                    *best = path.clone();
                }
                break;
            }
            choices.clear();
            choices.extend(game.choices(story));
            if choices.is_empty() {
                stuck += 1;
                break;
            }
            if steps >= RANDOM_STEP_CAP {
                unfinished += 1;
                break;
            }
            let c = choices[rng.random_range(0..choices.len())];
            let roll = game.advance(story, c, RollMode::Random).ok().flatten();
            path.push(PathStep {
                choice: c,
                outcome: roll.map(|r| r.success),
            });
            hits[game.scene.index()] += 1;
            steps += 1;
        }
    }
    let endings = story
        .endings
        .iter()
        .zip(per_ending)
        .map(|(e, (count, vars))| EndingStats {
            ending: e.id.clone(),
            runs: count,
            vars: story
                .variables
                .iter()
                .zip(vars)
                .filter(|_| count > 0)
                .map(|(v, (min, sum, max))| (v.id.clone(), min, sum as f64 / count as f64, max))
                .collect(),
        })
        .collect();
    RandomReport {
        runs,
        unfinished,
        stuck,
        scene_hits: hits,
        endings,
        shortest,
    }
}
