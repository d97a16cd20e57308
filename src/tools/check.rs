//! `callister check`: the lints that run on a story that compiled.
//!
//! Compilation already refuses everything that makes a story unplayable
//! (errors); these are the warnings an author wants before shipping.
//! What the story reads and writes comes from the model's visitor
//! (`Story::sites`); no match here has a catch-all arm over a story enum.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use crate::story::diagnostic::{Code, Diagnostic};
use crate::story::{ChoiceId, CmpOp, Part, Read, Story};

/// Every warning for a compiled story, in source order.
pub fn lint(story: &Story) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unreachable(story, &mut out);
    usage(story, &mut out);
    impossible(story, &mut out);
    duplicate_keys(story, &mut out);
    out.sort_by_key(|d| d.primary.as_ref().map(|l| (l.span.file, l.span.start)));
    out
}

/// Scenes reachable from the start by the graph, ignoring conditions.
pub fn reachable(story: &Story) -> Vec<bool> {
    distances(story)
        .into_iter()
        .map(|d| d != usize::MAX)
        .collect()
}

/// Each scene's distance in choices from the start by the graph, ignoring
/// conditions; `usize::MAX` when unreachable.
pub(crate) fn distances(story: &Story) -> Vec<usize> {
    let mut distance = vec![usize::MAX; story.scenes.len()];
    let mut queue = VecDeque::from([story.start]);
    distance[story.start.index()] = 0;
    while let Some(s) = queue.pop_front() {
        let next = distance[s.index()] + 1;
        for &c in &story.scene(s).choices {
            for t in story.targets(c) {
                if distance[t.index()] == usize::MAX {
                    distance[t.index()] = next;
                    queue.push_back(t);
                }
            }
        }
    }
    distance
}

fn unreachable(story: &Story, out: &mut Vec<Diagnostic>) {
    let seen = reachable(story);
    for (i, scene) in story.scenes.iter().enumerate() {
        if seen[i] {
            continue;
        }
        let d = match scene.ending {
            Some(e) => Diagnostic::warning(
                Code::W002,
                format!("ending `{}` can never be reached", story.ending(e).id),
            )
            .at(scene.span, "no choice leads to this ending's scene"),
            None => Diagnostic::warning(Code::W001, format!("scene `{}` is unreachable", scene.id))
                .at(scene.span, "no path from the start scene leads here"),
        };
        out.push(d.help(format!(
            "add a choice with `goto: \"{}\"`, or remove the scene",
            scene.id
        )));
    }
}

/// What reads and writes each variable and flag.
#[derive(Default, Clone, Copy)]
struct Use {
    read: bool,
    written: bool,
}

fn usage(story: &Story, out: &mut Vec<Diagnostic>) {
    let mut vars = vec![Use::default(); story.variables.len()];
    let mut flags = vec![Use::default(); story.flags.len()];
    // Every read counts, prose too: a variable shown in text is read by
    // the player.
    story.sites(&mut |_, site| {
        site.reads(&mut |r| match r.part() {
            Part::Var(v) => vars[v.index()].read = true,
            Part::Flag(f) => flags[f.index()].read = true,
            Part::Item(_) | Part::Crew(_) | Part::Visits(_) | Part::Once(_) => {}
        });
        if let Some(w) = site.writes() {
            match w.part {
                Part::Var(v) => vars[v.index()].written = true,
                Part::Flag(f) => flags[f.index()].written = true,
                Part::Item(_) | Part::Crew(_) | Part::Visits(_) | Part::Once(_) => {}
            }
        }
    });
    // Variables shown in `status` are read by the player.
    for (i, v) in story.variables.iter().enumerate() {
        let u = vars[i];
        if u.written && !u.read && v.hidden {
            out.push(
                Diagnostic::warning(
                    Code::W003,
                    format!("hidden variable `{}` is written but never read", v.id),
                )
                .at(
                    v.span,
                    "no condition or text reads it, and `status` does not show it",
                ),
            );
        } else if u.read && !u.written {
            out.push(
                Diagnostic::warning(
                    Code::W004,
                    format!("variable `{}` is read but never written", v.id),
                )
                .at(v.span, format!("it is always {}", v.initial)),
            );
        }
    }
    for (i, f) in story.flags.iter().enumerate() {
        let u = flags[i];
        if u.written && !u.read {
            out.push(
                Diagnostic::warning(Code::W003, format!("flag `{}` is set but never read", f.id))
                    .at(f.span, "no condition tests it"),
            );
        } else if u.read && !u.written {
            out.push(
                Diagnostic::warning(Code::W004, format!("flag `{}` is read but never set", f.id))
                    .at(
                        f.span,
                        "it is always clear, so conditions on it never change",
                    ),
            );
        } else if !u.read && !u.written {
            out.push(
                Diagnostic::warning(Code::W003, format!("flag `{}` is never used", f.id))
                    .at(f.span, "declared here"),
            );
        }
    }
}

/// Comparisons of a variable with a constant outside its bounds, wherever
/// they are: a choice's `when`, a check's adjustment, or any text (a
/// scene's, a choice's, a branch's, a `Say`).
fn impossible(story: &Story, out: &mut Vec<Diagnostic>) {
    story.sites(&mut |at, site| {
        site.reads(&mut |r| {
            let Read::Bound(Part::Var(var), op, n) = r else {
                return;
            };
            let decl = &story.variables[var.index()];
            let (always, never) = verdict(decl.min, decl.max, op, n);
            if never || always {
                let what = if never {
                    "can never hold"
                } else {
                    "always holds"
                };
                out.push(
                    Diagnostic::warning(
                        Code::W005,
                        format!("`{} {} {n}` {what}", decl.id, op.symbol()),
                    )
                    .at(
                        at.span,
                        format!("`{}` is bounded to {}..={}", decl.id, decl.min, decl.max),
                    ),
                );
            }
        });
    });
}

/// Whether `x op n` always or never holds for every x in min..=max.
fn verdict(min: i64, max: i64, op: CmpOp, n: i64) -> (bool, bool) {
    match op {
        CmpOp::Lt => (max < n, min >= n),
        CmpOp::Le => (max <= n, min > n),
        CmpOp::Gt => (min > n, max <= n),
        CmpOp::Ge => (min >= n, max < n),
        CmpOp::Eq => (min == max && min == n, n < min || n > max),
        CmpOp::Ne => (n < min || n > max, min == max && min == n),
    }
}

/// Choices of one scene that share a key: one pass over each scene's
/// choices with a table of the keys met, so linear in the choices.
fn duplicate_keys(story: &Story, out: &mut Vec<Diagnostic>) {
    let mut first: HashMap<&str, ChoiceId> = HashMap::new();
    for scene in &story.scenes {
        first.clear();
        for &a in &scene.choices {
            let key = story.choice(a).key.as_str();
            match first.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(a);
                }
                Entry::Occupied(slot) => out.push(
                    Diagnostic::warning(
                        Code::W006,
                        format!("scene `{}` has two choices keyed `{key}`", scene.id),
                    )
                    .at(
                        story.choice(a).span,
                        "typing the key picks the first open one",
                    )
                    .related(story.choice(*slot.get()).span, "first used here"),
                ),
            }
        }
    }
}
