//! Random playthroughs (ChoiceScript's randomtest): many games with random
//! choices and rolls, and what they reached.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::engine::{RollMode, State};
use crate::story::Story;
use crate::tools::explore::PathStep;

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
