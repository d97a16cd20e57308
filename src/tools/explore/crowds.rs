//! Where a cut-off walk's states pile up: the busiest scenes of the
//! frontier, and the parts of the state that vary among their states.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::engine::State;
use crate::story::{Change, ChoiceId, Effect, Part, SceneId, Story, VarId};
use crate::tools::explore::normalise::Normaliser;
use crate::tools::explore::pack::{Packer, read_scene};
use crate::tools::explore::{Crowd, GrowingLoop, Varying};

/// How many crowded scenes a cut-off report names.
const CROWDS: usize = 5;

/// The busiest scenes of a frontier of packed states, busiest first.
pub(super) fn crowds(
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
            let mut growing: Vec<(usize, usize)> = Vec::new();
            for (i, v) in story.variables.iter().enumerate() {
                let values = distinct(states.iter().map(|s| s.vars[i]));
                if values > 1 {
                    growing.push((values, i));
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
            // The tunnels entered: where each would come back to.
            let mut stacks: Vec<&[SceneId]> = states.iter().map(|s| s.stack.as_slice()).collect();
            stacks.sort_unstable();
            stacks.dedup();
            part("tunnel stack".into(), stacks.len());
            varying.sort_by(|a, b| b.values.cmp(&a.values).then(a.part.cmp(&b.part)));
            // The variables that take the most values: is there a loop
            // through this scene that keeps adding to them?
            growing.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let loops = growing
                .iter()
                .take(LOOP_VARIABLES)
                .filter_map(|&(_, v)| growing_loop(story, scene, VarId(v as u32)))
                .collect();
            Crowd {
                scene,
                states: states.len(),
                varying,
                loops,
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

/// How many of a crowd's most varied variables are searched for a loop.
const LOOP_VARIABLES: usize = 2;
/// The longest loop searched for, in choices.
const LOOP_DEPTH: usize = 8;
/// Paths tried per search, at most.
const LOOP_WORK: usize = 200_000;

/// The shortest loop of the scene graph from `scene` back to it whose
/// choices add to `var` more than they take (a `SetVar` on the way ends
/// the growth, so such a step is not taken): what lets a player pile up
/// values of it for ever, each a new state. Depth first, deepening, over
/// the outcomes of choices (conditions ignored).
fn growing_loop(story: &Story, scene: SceneId, var: VarId) -> Option<GrowingLoop> {
    // Each way out of a scene: the choice, where it leads, what it adds.
    let moves = |s: SceneId| {
        story.scene(s).choices.iter().flat_map(move |&c| {
            story.outcomes(c).filter_map(move |o| {
                let mut gain = 0i64;
                for w in o.effects().filter_map(Effect::writes) {
                    match (w.part, w.change) {
                        (Part::Var(v), Change::Add(n)) if v == var => gain = gain.saturating_add(n),
                        (Part::Var(v), Change::To(_)) if v == var => return None,
                        (
                            Part::Var(_)
                            | Part::Flag(_)
                            | Part::Item(_)
                            | Part::Crew(_)
                            | Part::Visits(_)
                            | Part::Once(_),
                            Change::Add(_) | Change::To(_) | Change::On | Change::Off,
                        ) => {}
                    }
                }
                Some((c, o.target, gain))
            })
        })
    };
    let mut work = 0;
    for depth in 1..=LOOP_DEPTH {
        // The path so far: (scene, choice taken from it), and the gain.
        let mut path: Vec<(SceneId, ChoiceId)> = Vec::new();
        let mut found = None;
        search(
            scene, scene, depth, 0, &mut path, &moves, &mut work, &mut found,
        );
        if let Some((steps, gain)) = found {
            return Some(GrowingLoop { var, gain, steps });
        }
        if work >= LOOP_WORK {
            return None;
        }
    }
    None
}

/// One level of `growing_loop`'s search: from `at`, `left` choices more.
#[allow(clippy::too_many_arguments)]
fn search<'s, I: Iterator<Item = (ChoiceId, SceneId, i64)> + 's>(
    home: SceneId,
    at: SceneId,
    left: usize,
    gain: i64,
    path: &mut Vec<(SceneId, ChoiceId)>,
    moves: &dyn Fn(SceneId) -> I,
    work: &mut usize,
    found: &mut Option<(Vec<(SceneId, ChoiceId)>, i64)>,
) {
    if found.is_some() || left == 0 || *work >= LOOP_WORK {
        return;
    }
    for (c, to, g) in moves(at) {
        *work += 1;
        let gain = gain.saturating_add(g);
        path.push((at, c));
        if to == home {
            if left == 1 && gain > 0 {
                *found = Some((path.clone(), gain));
                return;
            }
        } else if !path.iter().any(|&(s, _)| s == to) {
            search(home, to, left - 1, gain, path, moves, work, found);
            if found.is_some() {
                return;
            }
        }
        path.pop();
    }
}
