//! Liveness over the scene graph: per scene, the parts of the state that
//! a condition reachable from it can still read; the rest can be reset.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::story::{Part, Place, SceneId, Site, Story};

/// Bit layout of a component set: variables, flags, items, crew, `once`
/// choices, scenes whose visits are read.
pub(super) struct Liveness {
    pub(super) vars: usize,
    pub(super) flags: usize,
    pub(super) items: usize,
    pub(super) crew: usize,
    /// Index of each `once` choice among components (after crew).
    pub(super) once: Vec<Option<usize>>,
    /// Index of each visit-tracked scene among components.
    pub(super) visits: Vec<Option<usize>>,
    pub(super) words: usize,
    pub(super) bits: Vec<u64>,
}

/// Past this many bits, the liveness table is not built.
const LIVENESS_BUDGET_BITS: usize = 256 * 1024 * 1024;

impl Liveness {
    /// The component a part of the state is, if it is tracked.
    fn component(&self, part: Part) -> Option<usize> {
        let (vars, flags, items) = (self.vars, self.flags, self.items);
        match part {
            Part::Var(v) => Some(v.index()),
            Part::Flag(f) => Some(vars + f.index()),
            Part::Item(i) => Some(vars + flags + i.index()),
            Part::Crew(c) => Some(vars + flags + items + c.index()),
            Part::Visits(s) => self.visits[s.index()],
            Part::Once(c) => self.once[c.index()],
        }
    }

    pub(super) fn build(story: &Story, caps: &[Option<u32>]) -> Option<Liveness> {
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
        // What each scene's own choices read: their conditions, checks
        // and `once` (prose is not behaviour, nor the adjustments of a
        // check that stays uncertain), what its text assumes, and every
        // invariant that covers it.
        let mut marks: Vec<usize> = Vec::new();
        story.sites(&mut |at, site| {
            if !site.decides(story) {
                return;
            }
            marks.clear();
            site.reads(&mut |r| marks.extend(l.component(r.part())));
            for si in scenes_of(story, at, &site) {
                let row = &mut l.bits[si * words..(si + 1) * words];
                for &i in &marks {
                    row[i / 64] |= 1 << (i % 64);
                }
            }
        });
        // Live at a scene: read there, or live at any scene it leads to.
        // Scenes of one strongly connected component share their set; the
        // components come out of Tarjan's algorithm successors first, so
        // one pass in that order is the fixpoint: linear in the graph.
        let succ = story.successors();
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

/// The scenes where a site's reads happen: its place's, or for an
/// invariant every scene it covers.
pub(super) fn scenes_of(story: &Story, at: Place, site: &Site<'_>) -> Vec<usize> {
    match site {
        Site::Invariant(inv) => (0..story.scenes.len())
            .filter(|&s| inv.covers(story, SceneId(s as u32)))
            .collect(),
        Site::Text(_)
        | Site::When(_)
        | Site::Once(_)
        | Site::Check(_)
        | Site::Effect(_)
        | Site::Goto(_)
        | Site::Ending(_)
        | Site::Met(_)
        | Site::Assume(_) => vec![at.scene.index()],
    }
}

/// The strongly connected components of a graph, each after every
/// component it can reach (Tarjan's algorithm, without recursion).
pub fn strongly_connected(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    // One Tarjan for the story's tunnels and the explorer's liveness.
    crate::story::tunnels::components(succ).1
}
