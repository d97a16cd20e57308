//! Threshold windows: per scene and variable, the values the story can
//! still tell apart from there; the rest are interchangeable.
#![deny(clippy::wildcard_enum_match_arm)]

use crate::story::{Adjust, Change, Check, CmpOp, Effect, Part, Read, Site, Story};
use crate::tools::explore::liveness::scenes_of;

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
pub(super) struct Windows {
    /// `cuts[scene][var]`: sorted critical points, or `None` to keep exact.
    pub(super) cuts: Vec<Vec<Option<Vec<i64>>>>,
}

/// Variables with a wider range than this are kept exact.
const WINDOW_MAX_RANGE: i64 = 1 << 16;
/// Past this many critical points in all, the windows are not built.
const WINDOW_BUDGET: usize = 16 * 1024 * 1024;

impl Windows {
    pub(super) fn build(story: &Story) -> Option<Windows> {
        let nv = story.variables.len();
        // Variables that must stay exact.
        let mut exact: Vec<bool> = story
            .variables
            .iter()
            .map(|v| v.max.saturating_sub(v.min) > WINDOW_MAX_RANGE)
            .collect();
        // Boundaries read in each scene, per variable: by its choices'
        // conditions and checks (prose is not behaviour, nor the adjustments
        // of a check that stays uncertain), what its text assumes and the
        // invariants that cover it.
        let mut reads: Vec<Vec<Vec<i64>>> = vec![vec![Vec::new(); nv]; story.scenes.len()];
        story.sites(&mut |at, site| {
            if !site.decides(story) {
                return;
            }
            for si in scenes_of(story, at, &site) {
                site.reads(&mut |r| match r {
                    Read::Bound(Part::Var(v), op, k) => {
                        reads[si][v.index()].extend(boundaries(op, k));
                    }
                    // Compared with something that changes: kept exact.
                    Read::Against(Part::Var(v), ..) => exact[v.index()] = true,
                    // `Per` is `per_boundaries`' below.
                    Read::Scaled(..) | Read::Test(_) | Read::Bound(..) | Read::Against(..) => {}
                    Read::Shown(_) => {}
                });
                if let Site::Check(check) = site {
                    per_boundaries(check, &mut |v, b| reads[si][v].push(b), &mut exact);
                }
            }
        });
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
                for outcome in story.outcomes(c) {
                    let mut delta: Vec<Option<i64>> = vec![Some(0); nv];
                    for w in outcome.effects().filter_map(Effect::writes) {
                        match (w.part, w.change) {
                            (Part::Var(v), Change::Add(n)) => {
                                if let Some(d) = &mut delta[v.index()] {
                                    *d = d.saturating_add(n);
                                }
                            }
                            // A set makes every value equal: the search ends.
                            (Part::Var(v), Change::To(_)) => delta[v.index()] = None,
                            (Part::Var(_), Change::On | Change::Off) => {}
                            (
                                Part::Flag(_)
                                | Part::Item(_)
                                | Part::Crew(_)
                                | Part::Visits(_)
                                | Part::Once(_),
                                Change::Add(_) | Change::To(_) | Change::On | Change::Off,
                            ) => {}
                        }
                    }
                    edges.push((si, outcome.target.index(), delta, once_bit[c.index()]));
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
fn per_boundaries(check: &Check, read: &mut dyn FnMut(usize, i64), exact: &mut [bool]) {
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
fn boundaries(op: CmpOp, k: i64) -> Vec<i64> {
    use CmpOp as C;
    match op {
        C::Ge | C::Lt => vec![k],
        C::Gt | C::Le => vec![k.saturating_add(1)],
        C::Eq | C::Ne => vec![k, k.saturating_add(1)],
    }
}
