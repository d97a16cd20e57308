//! Random playthroughs (ChoiceScript's randomtest): many games with random
//! choices and rolls, and what they reached.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::engine::{RollMode, State};
use crate::story::{SceneId, Story};
use crate::tools::explore::PathStep;

/// Statistics of random playthroughs (ChoiceScript's randomtest).
#[derive(Debug, Clone, Serialize)]
pub struct RandomReport {
    pub runs: usize,
    /// Runs that hit the step cap without an ending.
    pub unfinished: usize,
    pub stuck: usize,
    /// Where the runs that reached no ending were: each dead end, and the
    /// scenes each run still going at the step cap went round last.
    pub stuck_in: Vec<Stuck>,
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

/// Runs that ended up in the same place without an ending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stuck {
    /// The scene ids: a dead end's, or the scenes of a run's last
    /// `LOOP_WINDOW` steps (in the story's order).
    pub scenes: Vec<String>,
    /// Whether the runs stopped at the step cap (a loop) rather than where
    /// no choice was open.
    pub looping: bool,
    pub runs: usize,
}

/// How many of a run's last steps name where it went round.
pub const LOOP_WINDOW: usize = 100;

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
    let mut places: HashMap<(Vec<SceneId>, bool), usize> = HashMap::new();
    let mut note = |scenes: Vec<SceneId>, looping: bool| {
        *places.entry((scenes, looping)).or_default() += 1;
    };
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
                note(vec![game.scene], false);
                break;
            }
            if steps >= RANDOM_STEP_CAP {
                unfinished += 1;
                let mut last: Vec<SceneId> = path[path.len().saturating_sub(LOOP_WINDOW)..]
                    .iter()
                    .map(|s| story.choice(s.choice).scene)
                    .collect();
                last.sort_unstable();
                last.dedup();
                note(last, true);
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
    // Most runs first; then in the story's order.
    let mut places: Vec<(Vec<SceneId>, bool, usize)> =
        places.into_iter().map(|((s, l), n)| (s, l, n)).collect();
    places.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let stuck_in = places
        .into_iter()
        .map(|(scenes, looping, runs)| Stuck {
            scenes: scenes.iter().map(|&s| story.scene(s).id.clone()).collect(),
            looping,
            runs,
        })
        .collect();
    RandomReport {
        runs,
        unfinished,
        stuck,
        stuck_in,
        scene_hits: hits,
        endings,
        shortest,
    }
}
