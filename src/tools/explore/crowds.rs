//! Where a cut-off walk's states pile up: the busiest scenes of the
//! frontier, and the parts of the state that vary among their states.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::engine::State;
use crate::story::{ChoiceId, SceneId, Story};
use crate::tools::explore::normalise::Normaliser;
use crate::tools::explore::pack::{Packer, read_scene};
use crate::tools::explore::{Crowd, Varying};

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
            // The tunnels entered: where each would come back to.
            let mut stacks: Vec<&[SceneId]> = states.iter().map(|s| s.stack.as_slice()).collect();
            stacks.sort_unstable();
            stacks.dedup();
            part("tunnel stack".into(), stacks.len());
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
