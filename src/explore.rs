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
use crate::story::{Action, Adjust, ChoiceId, Condition, Effect, Operand, SceneId, Segment, Story, Text};

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

/// What makes two states play the same from here on: everything but the
/// RNG, the turn and the seed (checks branch both ways), with visit counts
/// kept only for scenes that conditions read, saturated past the largest
/// number they are compared with.
pub struct Normaliser {
    /// For each scene: `None` if no condition reads its visits, else the cap.
    caps: Vec<Option<u32>>,
}

impl Normaliser {
    pub fn new(story: &Story) -> Normaliser {
        let mut caps: Vec<Option<u32>> = vec![None; story.scenes.len()];
        let mut note = |c: &Condition| {
            walk_condition(c, &mut |leaf| {
                if let Condition::Cmp(a, _, b) = leaf {
                    for (x, y) in [(a, b), (b, a)] {
                        if let Operand::Visits(s) = x {
                            let cap = match y {
                                Operand::Const(n) => u32::try_from((*n).clamp(0, 1 << 20)).unwrap_or(0) + 1,
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
        Normaliser { caps }
    }

    pub fn normalise(&self, state: &mut State) {
        for (v, cap) in state.visits.iter_mut().zip(&self.caps) {
            *v = match cap {
                Some(c) => (*v).min(*c),
                None => 0,
            };
        }
        state.turn = 0;
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

/// Calls `f` on every condition in the story.
pub fn for_each_condition(story: &Story, f: &mut dyn FnMut(&Condition)) {
    fn text(t: &Text, f: &mut dyn FnMut(&Condition)) {
        fn walk(segments: &[Segment], f: &mut dyn FnMut(&Condition)) {
            for s in segments {
                if let Segment::If(c, a, b) = s {
                    f(c);
                    walk(a, f);
                    walk(b, f);
                }
            }
        }
        walk(&t.segments, f);
    }
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
pub fn explore(story: &Story, start: State, max_states: usize, progress: &dyn Fn(usize, usize)) -> Report {
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
            report.endings.entry(e.index()).or_insert_with(|| path(&parents, index));
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
            let outcomes: &[Option<bool>] = match story.choice(c).action {
                Action::Goto(_) => &[None],
                Action::Check(_) => &[Some(true), Some(false)],
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
pub fn plan_for(story: &Story, steps: &[PathStep], from: Option<&str>, ending: Option<&str>) -> Plan {
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
    for _ in 0..runs {
        let mut state = State::new(story, rng.random());
        hits[state.scene.index()] += 1;
        let mut steps = 0;
        loop {
            if let Some(e) = state.ending(story) {
                per_ending[e.index()].push(state.vars.clone());
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
            let _ = state.advance(story, c, RollMode::Random);
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
    }
}
