//! `callister check`: the lints that run on a story that compiled.
//!
//! Compilation already refuses everything that makes a story unplayable
//! (errors); these are the warnings an author wants before shipping.

use std::collections::VecDeque;

use crate::story::diagnostic::{Code, Diagnostic};
use crate::story::source::Span;
use crate::story::{Action, Adjust, CmpOp, Condition, Effect, Operand, Segment, Story, Text};

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
pub fn distances(story: &Story) -> Vec<usize> {
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

/// A visitor of the conditions met while scanning for reads.
type Visit<'a> = dyn FnMut(&Condition, &mut Vec<Use>, &mut Vec<Use>) + 'a;

/// What reads and writes each variable and flag.
#[derive(Default, Clone, Copy)]
struct Use {
    read: bool,
    written: bool,
}

fn usage(story: &Story, out: &mut Vec<Diagnostic>) {
    let mut vars = vec![Use::default(); story.variables.len()];
    let mut flags = vec![Use::default(); story.flags.len()];
    let mut visit = |c: &Condition, vars: &mut Vec<Use>, flags: &mut Vec<Use>| {
        walk_condition(c, &mut |leaf| match leaf {
            Condition::Flag(f) => flags[f.index()].read = true,
            Condition::Cmp(a, _, b) => {
                for o in [a, b] {
                    if let Operand::Var(v) = o {
                        vars[v.index()].read = true;
                    }
                }
            }
            _ => {}
        });
    };
    let effects = |es: &[Effect], vars: &mut Vec<Use>, flags: &mut Vec<Use>, visit: &mut Visit| {
        for e in es {
            match e {
                Effect::SetFlag(f) | Effect::ClearFlag(f) => flags[f.index()].written = true,
                Effect::Add(v, _) | Effect::SetVar(v, _) => vars[v.index()].written = true,
                Effect::Say(t) => text_conditions(t, vars, flags, visit),
                _ => {}
            }
        }
    };
    for scene in &story.scenes {
        text_conditions(&scene.text, &mut vars, &mut flags, &mut visit);
        effects(&scene.on_enter, &mut vars, &mut flags, &mut visit);
    }
    for choice in &story.choices {
        text_conditions(&choice.text, &mut vars, &mut flags, &mut visit);
        if let Some(w) = &choice.when {
            visit(w, &mut vars, &mut flags);
        }
        effects(&choice.effects, &mut vars, &mut flags, &mut visit);
        if let Action::Check(check) = &choice.action {
            for a in &check.adjust {
                match a {
                    Adjust::Per(v, _) => vars[v.index()].read = true,
                    Adjust::When(c, _) => visit(c, &mut vars, &mut flags),
                }
            }
            for b in [&check.success, &check.failure] {
                if let Some(t) = &b.text {
                    text_conditions(t, &mut vars, &mut flags, &mut visit);
                }
                effects(&b.effects, &mut vars, &mut flags, &mut visit);
            }
        }
    }
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

fn text_conditions(t: &Text, vars: &mut Vec<Use>, flags: &mut Vec<Use>, visit: &mut Visit) {
    fn walk(segments: &[Segment], vars: &mut Vec<Use>, flags: &mut Vec<Use>, visit: &mut Visit) {
        for s in segments {
            match s {
                Segment::Var(v) => vars[v.index()].read = true,
                Segment::If(b) => {
                    let (c, a, b) = &**b;
                    visit(c, vars, flags);
                    walk(a, vars, flags, visit);
                    walk(b, vars, flags, visit);
                }
                Segment::Literal(_) => {}
            }
        }
    }
    walk(&t.segments, vars, flags, visit);
}

/// Calls `f` on every node of a condition.
pub fn walk_condition(c: &Condition, f: &mut dyn FnMut(&Condition)) {
    f(c);
    match c {
        Condition::Not(inner) => walk_condition(inner, f),
        Condition::All(cs) | Condition::Any(cs) => {
            for c in cs {
                walk_condition(c, f);
            }
        }
        _ => {}
    }
}

/// Conditions anywhere in a text.
pub fn text_each_condition(t: &Text, f: &mut dyn FnMut(&Condition)) {
    fn walk(segments: &[Segment], f: &mut dyn FnMut(&Condition)) {
        for s in segments {
            if let Segment::If(b) = s {
                let (c, a, b) = &**b;
                f(c);
                walk(a, f);
                walk(b, f);
            }
        }
    }
    walk(&t.segments, f);
}

/// Comparisons of a variable with a constant outside its bounds.
fn impossible(story: &Story, out: &mut Vec<Diagnostic>) {
    let report = |c: &Condition, span: Span, out: &mut Vec<Diagnostic>| {
        walk_condition(c, &mut |leaf| {
            let Condition::Cmp(a, op, b) = leaf else {
                return;
            };
            let (var, op, n) = match (a, b) {
                (Operand::Var(v), Operand::Const(n)) => (*v, *op, *n),
                (Operand::Const(n), Operand::Var(v)) => (*v, op.flipped(), *n),
                _ => return,
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
                        span,
                        format!("`{}` is bounded to {}..={}", decl.id, decl.min, decl.max),
                    ),
                );
            }
        });
    };
    for scene in &story.scenes {
        text_each_condition(&scene.text, &mut |c| report(c, scene.span, out));
    }
    for choice in &story.choices {
        if let Some(w) = &choice.when {
            report(w, choice.span, out);
        }
        text_each_condition(&choice.text, &mut |c| report(c, choice.span, out));
        if let Action::Check(check) = &choice.action {
            for a in &check.adjust {
                if let Adjust::When(c, _) = a {
                    report(c, choice.span, out);
                }
            }
        }
    }
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

fn duplicate_keys(story: &Story, out: &mut Vec<Diagnostic>) {
    for scene in &story.scenes {
        for (i, &a) in scene.choices.iter().enumerate() {
            let key = &story.choice(a).key;
            if let Some(&first) = scene.choices[..i]
                .iter()
                .find(|&&b| story.choice(b).key == *key)
            {
                out.push(
                    Diagnostic::warning(
                        Code::W006,
                        format!("scene `{}` has two choices keyed `{key}`", scene.id),
                    )
                    .at(
                        story.choice(a).span,
                        "typing the key picks the first open one",
                    )
                    .related(story.choice(first).span, "first used here"),
                );
            }
        }
    }
}
