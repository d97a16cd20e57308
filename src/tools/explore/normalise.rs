//! What makes two states play the same from a scene on: the normaliser
//! that the packing folds in (visit caps, liveness, threshold windows).
#![deny(clippy::wildcard_enum_match_arm)]

use crate::story::{Part, Read, SceneId, Story};
use crate::tools::explore::liveness::Liveness;
use crate::tools::explore::windows::Windows;

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
    pub(super) caps: Vec<Option<u32>>,
    /// Per scene, the components still live there; `None` when the story is
    /// too large for the table (then nothing is reset).
    pub(super) live: Option<Liveness>,
    /// Per scene and variable, the values where the variable's future can
    /// change; `None` when the story is too large for the table.
    windows: Option<Windows>,
}

impl Normaliser {
    pub fn new(story: &Story) -> Normaliser {
        let caps = caps(story);
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
    pub(super) fn window(&self, scene: SceneId, v: usize, x: i64) -> i64 {
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

/// For each scene, `None` if nothing reads its visit count, else the count
/// past which no comparison can tell two counts apart: one more than the
/// largest constant it is compared with, or 64 when it is compared with
/// something that changes. Every read counts, prose too.
fn caps(story: &Story) -> Vec<Option<u32>> {
    let mut caps: Vec<Option<u32>> = vec![None; story.scenes.len()];
    story.sites(&mut |_, site| {
        site.reads(&mut |r| {
            let (s, cap) = match r {
                Read::Bound(Part::Visits(s), _, n) => {
                    (s, u32::try_from(n.clamp(0, 1 << 20)).unwrap_or(0) + 1)
                }
                Read::Against(Part::Visits(s), ..) => (s, 64),
                Read::Test(_)
                | Read::Bound(..)
                | Read::Against(..)
                | Read::Scaled(..)
                | Read::Shown(_) => return,
            };
            let slot = &mut caps[s.index()];
            *slot = Some(slot.map_or(cap, |c| c.max(cap)));
        });
    });
    caps
}
