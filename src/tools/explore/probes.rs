//! What the walk checks in every state it meets: the story's invariants,
//! what each scene's text assumes, and a witness asked for. Found through
//! `Story::sites`, so the reductions (which read the same sites) keep
//! every part of the state a probe reads.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use crate::engine::State;
use crate::story::{Assumption, Scope, Site, Story};

/// The probes of a story, numbered: the invariants first, in the story's
/// order, then the assumptions, scene by scene (a scene's `assume`, then
/// its text's `{assume}`s in order).
pub(super) struct Probes<'s> {
    /// Invariants that cover every scene.
    everywhere: Vec<u32>,
    /// Per chapter, the invariants of that chapter.
    by_chapter: Vec<Vec<u32>>,
    /// Each probe's condition, where it is written, and for an assumption
    /// its scene.
    pub(super) list: Vec<Probe<'s>>,
    /// Per scene, the number of its `assume` field, if any.
    field: Vec<Option<u32>>,
    /// Per scene, whether its text holds an `{assume}`.
    text: Vec<bool>,
    /// Each `{assume}` of a text by its address, for its number.
    numbers: HashMap<usize, u32>,
    /// The number of the invariant that is the witness, if one is asked for.
    witness: Option<u32>,
}

/// One probe: the condition and what it is.
pub(super) struct Probe<'s> {
    pub(super) rule: &'s Assumption,
    /// For an assumption, its scene; `None` for an invariant.
    pub(super) scene: Option<crate::story::SceneId>,
}

impl<'s> Probes<'s> {
    /// The probes of `story`; `witness`, if given, is the number of its
    /// invariant that is a witness: met where it holds, never broken.
    pub(super) fn new(story: &'s Story, witness: Option<u32>) -> Probes<'s> {
        let mut p = Probes {
            everywhere: Vec::new(),
            by_chapter: vec![Vec::new(); story.chapters.len()],
            list: Vec::new(),
            field: vec![None; story.scenes.len()],
            text: vec![false; story.scenes.len()],
            numbers: HashMap::new(),
            witness,
        };
        let mut invariants = Vec::new();
        let mut assumptions = Vec::new();
        story.sites(&mut |at, site| match site {
            Site::Invariant(inv) => invariants.push(inv),
            Site::Assume(scene) => assumptions.push((at.scene, scene)),
            Site::Text(_)
            | Site::When(_)
            | Site::Once(_)
            | Site::Check(_)
            | Site::Effect(_)
            | Site::Goto(_)
            | Site::Ending(_)
            | Site::Met(_) => {}
        });
        for inv in invariants {
            let n = p.list.len() as u32;
            p.list.push(Probe {
                rule: &inv.rule,
                scene: None,
            });
            match inv.scope {
                Scope::Story => p.everywhere.push(n),
                Scope::Chapter(c) => p.by_chapter[c.index()].push(n),
            }
        }
        for (id, scene) in assumptions {
            if let Some(a) = &scene.assume {
                p.field[id.index()] = Some(p.list.len() as u32);
                p.list.push(Probe {
                    rule: a,
                    scene: Some(id),
                });
            }
            let mut found = Vec::new();
            scene.text.assumptions(&mut |a| found.push(a));
            p.text[id.index()] = !found.is_empty();
            for a in found {
                p.numbers
                    .insert(std::ptr::from_ref(a) as usize, p.list.len() as u32);
                p.list.push(Probe {
                    rule: a,
                    scene: Some(id),
                });
            }
        }
        p
    }

    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Calls `f` with the number of every probe that `state` hits: an
    /// invariant covering its scene that does not hold, an assumption of
    /// its scene's text, as rendered in it, that does not hold, or the
    /// witness where it holds.
    pub(super) fn hits(&self, story: &Story, state: &State, f: &mut dyn FnMut(u32)) {
        let scene = story.scene(state.scene);
        let chapter = &self.by_chapter[scene.chapter.index()];
        for &n in self.everywhere.iter().chain(chapter) {
            let holds = state.holds(story, &self.list[n as usize].rule.when);
            if holds == (self.witness == Some(n)) {
                f(n);
            }
        }
        let at = state.scene.index();
        if let Some(n) = self.field[at]
            && !state.holds(story, &self.list[n as usize].rule.when)
        {
            f(n);
        }
        if self.text[at] {
            state.rendered_assumptions(story, &scene.text, &mut |a| {
                if !state.holds(story, &a.when)
                    && let Some(&n) = self.numbers.get(&(std::ptr::from_ref(a) as usize))
                {
                    f(n);
                }
            });
        }
    }
}
