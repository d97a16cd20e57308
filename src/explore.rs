//! `callister explore`: an exhaustive walk of a story's state space.
//!
//! Breadth first from the start; a random check branches into both
//! outcomes; states are deduplicated by a 128-bit hash of everything that
//! can change what happens next. It drives the engine itself (`advance`), so
//! what it proves holds for the game as played.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::check::walk_condition;
use crate::engine::{RollMode, State};
use crate::plan::Plan;
use crate::story::{Action, Adjust, ChoiceId, Condition, Effect, Operand, SceneId, Story};

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

    pub fn normalise(&self, state: &mut State) {
        for (v, cap) in state.visits.iter_mut().zip(&self.caps) {
            *v = match cap {
                Some(c) => (*v).min(*c),
                None => 0,
            };
        }
        state.turn = 0;
        if let Some(w) = &self.windows {
            for (v, cuts) in w.cuts[state.scene.index()].iter().enumerate() {
                if let Some(cuts) = cuts {
                    let x = state.vars[v];
                    // The lowest value of x's cell: the last cut at or below x.
                    let i = cuts.partition_point(|&c| c <= x);
                    state.vars[v] = if i == 0 {
                        story_min(cuts, x)
                    } else {
                        cuts[i - 1]
                    };
                }
            }
        }
        let Some(l) = &self.live else { return };
        let row = &l.bits[state.scene.index() * l.words..][..l.words];
        let on = |i: usize| row[i / 64] & (1 << (i % 64)) != 0;
        for i in 0..l.vars {
            if !on(i) {
                state.vars[i] = 0;
            }
        }
        for i in 0..l.flags {
            if !on(l.vars + i) {
                state.flags.set(i, false);
            }
        }
        for i in 0..l.items {
            if !on(l.vars + l.flags + i) {
                state.items.set(i, false);
            }
        }
        for i in 0..l.crew {
            if !on(l.vars + l.flags + l.items + i) {
                state.dead.set(i, false);
            }
        }
        for (c, slot) in l.once.iter().enumerate() {
            if let Some(bit) = slot
                && !on(*bit)
            {
                state.used.set(c, false);
            }
        }
        for (s, slot) in l.visits.iter().enumerate() {
            if let Some(bit) = slot
                && !on(*bit)
            {
                state.visits[s] = 0;
            }
        }
    }

    pub fn key(state: &State) -> u128 {
        let mut a = std::collections::hash_map::DefaultHasher::new();
        let mut b = std::collections::hash_map::DefaultHasher::new();
        0xA5u8.hash(&mut b);
        for h in [&mut a, &mut b] {
            state.scene.hash(h);
            state.vars.hash(h);
            state.flags.hash(h);
            state.items.hash(h);
            state.dead.hash(h);
            state.visits.hash(h);
            state.used.hash(h);
        }
        (u128::from(a.finish()) << 64) | u128::from(b.finish())
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
        for (si, scene) in story.scenes.iter().enumerate() {
            for &c in &scene.choices {
                let choice = story.choice(c);
                if let Some(w) = &choice.when {
                    note(w, si, &mut exact);
                }
                if let Action::Check(check) = &choice.action {
                    for a in &check.adjust {
                        match a {
                            Adjust::Per(v, _) => exact[v.index()] = true,
                            Adjust::When(cond, _) => note(cond, si, &mut exact),
                        }
                    }
                }
            }
        }
        // Edges: (from, to, per variable: Some(net add) or None after a SetVar).
        let mut edges: Vec<(usize, usize, Vec<Option<i64>>)> = Vec::new();
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
                    edges.push((si, target.index(), delta));
                }
            }
        }
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); story.scenes.len()];
        for (i, (_, to, _)) in edges.iter().enumerate() {
            preds[*to].push(i);
        }
        // Fixpoint: cuts(s) = reads(s) ∪ shift(cuts(t), -Δ) over edges s → t.
        let mut cuts: Vec<Vec<std::collections::BTreeSet<i64>>> = reads
            .iter()
            .map(|per_var| {
                per_var
                    .iter()
                    .enumerate()
                    .map(|(v, bs)| {
                        let decl = &story.variables[v];
                        bs.iter()
                            .copied()
                            .filter(|b| *b > decl.min && *b <= decl.max)
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut total: usize = cuts.iter().flatten().map(|c| c.len()).sum();
        let mut work: Vec<usize> = (0..story.scenes.len()).collect();
        let mut queued = vec![true; story.scenes.len()];
        while let Some(t) = work.pop() {
            queued[t] = false;
            for &e in &preds[t] {
                let (from, _, delta) = &edges[e];
                let mut changed = false;
                for v in 0..nv {
                    let (Some(d), false) = (delta[v], exact[v]) else {
                        continue;
                    };
                    let decl = &story.variables[v];
                    let shifted: Vec<i64> = cuts[t][v]
                        .iter()
                        .map(|c| c.saturating_sub(d))
                        .filter(|c| *c > decl.min && *c <= decl.max)
                        .collect();
                    for c in shifted {
                        if cuts[*from][v].insert(c) {
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
                                std::iter::once(story.variables[v].min).chain(set).collect()
                            })
                        })
                        .collect()
                })
                .collect(),
        })
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
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); story.scenes.len()];
        for (si, scene) in story.scenes.iter().enumerate() {
            for &c in &scene.choices {
                for t in story.targets(c) {
                    preds[t.index()].push(si);
                }
            }
        }
        let mut work: Vec<usize> = (0..story.scenes.len()).collect();
        let mut queued = vec![true; story.scenes.len()];
        while let Some(t) = work.pop() {
            queued[t] = false;
            for &p in &preds[t] {
                let mut changed = false;
                for w in 0..words {
                    let add = l.bits[t * words + w] & !l.bits[p * words + w];
                    if add != 0 {
                        l.bits[p * words + w] |= add;
                        changed = true;
                    }
                }
                if changed && !queued[p] {
                    queued[p] = true;
                    work.push(p);
                }
            }
        }
        Some(l)
    }
}

/// Calls `f` on every condition in the story.
pub fn for_each_condition(story: &Story, f: &mut dyn FnMut(&Condition)) {
    use crate::check::text_each_condition as text;
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

/// Walks every state reachable from `start`, up to `max_states`.
pub fn explore(
    story: &Story,
    start: State,
    max_states: usize,
    progress: &dyn Fn(usize, usize),
) -> Report {
    let norm = Normaliser::new(story);
    let mut start = start;
    norm.normalise(&mut start);
    // Parent links: for each visited state, (parent index, step).
    let mut parents: Vec<(u32, PathStep)> = Vec::new();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut queue: VecDeque<(u32, State)> = VecDeque::new();
    let mut report = Report {
        states: 0,
        complete: true,
        scenes_reached: vec![false; story.scenes.len()],
        choices_taken: vec![false; story.choices.len()],
        endings: HashMap::new(),
        soft_locks: Vec::new(),
    };
    let mut locked_scenes = HashSet::new();
    seen.insert(Normaliser::key(&start));
    parents.push((
        u32::MAX,
        PathStep {
            choice: ChoiceId(u32::MAX),
            outcome: None,
        },
    ));
    queue.push_back((0, start));
    let path = |parents: &Vec<(u32, PathStep)>, mut i: u32| {
        let mut steps = Vec::new();
        while parents[i as usize].0 != u32::MAX {
            steps.push(parents[i as usize].1);
            i = parents[i as usize].0;
        }
        steps.reverse();
        steps
    };
    let mut choices = Vec::new();
    while let Some((index, state)) = queue.pop_front() {
        report.states += 1;
        if report.states % 4096 == 0 {
            progress(report.states, queue.len());
        }
        report.scenes_reached[state.scene.index()] = true;
        if let Some(e) = state.ending(story) {
            report
                .endings
                .entry(e.index())
                .or_insert_with(|| path(&parents, index));
            continue;
        }
        choices.clear();
        choices.extend(state.choices(story));
        if choices.is_empty() {
            if locked_scenes.insert(state.scene) {
                report.soft_locks.push((state.scene, path(&parents, index)));
            }
            continue;
        }
        for &c in &choices {
            report.choices_taken[c.index()] = true;
            // A check branches both ways, unless its chance rules one out.
            let outcomes: &[Option<bool>] = match &story.choice(c).action {
                Action::Goto(_) => &[None],
                Action::Check(check) => match state.chance(story, check) {
                    0 => &[Some(false)],
                    100 => &[Some(true)],
                    _ => &[Some(true), Some(false)],
                },
            };
            for &outcome in outcomes {
                let mut next = state.clone();
                let mode = outcome.map_or(RollMode::Random, RollMode::Force);
                if next.advance(story, c, mode).is_err() {
                    continue;
                }
                norm.normalise(&mut next);
                if !seen.insert(Normaliser::key(&next)) {
                    continue;
                }
                if parents.len() >= max_states {
                    report.complete = false;
                    continue;
                }
                parents.push((index, PathStep { choice: c, outcome }));
                queue.push_back((parents.len() as u32 - 1, next));
            }
        }
    }
    progress(report.states, 0);
    report
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
        expect: crate::plan::Expect {
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

/// Steps after which a random run is abandoned as looping.
pub const RANDOM_STEP_CAP: usize = 10_000;

pub fn random(story: &Story, runs: usize, seed: u64) -> RandomReport {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut hits = vec![0u64; story.scenes.len()];
    let mut per_ending: Vec<Vec<Vec<i64>>> = vec![Vec::new(); story.endings.len()];
    let (mut unfinished, mut stuck) = (0, 0);
    let mut choices = Vec::new();
    let mut shortest: HashMap<usize, Vec<PathStep>> = HashMap::new();
    let mut path: Vec<PathStep> = Vec::new();
    for _ in 0..runs {
        let mut state = State::new(story, rng.random());
        hits[state.scene.index()] += 1;
        let mut steps = 0;
        path.clear();
        loop {
            if let Some(e) = state.ending(story) {
                per_ending[e.index()].push(state.vars.clone());
                let best = shortest.entry(e.index()).or_insert_with(|| path.clone());
                if path.len() < best.len() {
                    *best = path.clone();
                }
                break;
            }
            choices.clear();
            choices.extend(state.choices(story));
            if choices.is_empty() {
                stuck += 1;
                break;
            }
            if steps >= RANDOM_STEP_CAP {
                unfinished += 1;
                break;
            }
            let c = choices[rng.random_range(0..choices.len())];
            let roll = state.advance(story, c, RollMode::Random).ok().flatten();
            path.push(PathStep {
                choice: c,
                outcome: roll.map(|r| r.success),
            });
            hits[state.scene.index()] += 1;
            steps += 1;
        }
    }
    let endings = story
        .endings
        .iter()
        .zip(per_ending)
        .map(|(e, samples)| EndingStats {
            ending: e.id.clone(),
            runs: samples.len(),
            vars: story
                .variables
                .iter()
                .enumerate()
                .filter(|_| !samples.is_empty())
                .map(|(i, v)| {
                    let values = samples.iter().map(|s| s[i]);
                    let min = values.clone().min().unwrap_or(0);
                    let max = values.clone().max().unwrap_or(0);
                    let mean = values.map(|x| x as f64).sum::<f64>() / samples.len() as f64;
                    (v.id.clone(), min, mean, max)
                })
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
