//! `callister check`: the lints that run on a story that compiled.
//!
//! Compilation already refuses everything that makes a story unplayable
//! (errors); these are the warnings an author wants before shipping, and
//! one error the compiler does not see (two choices of a scene with one
//! key, E042).
//! What the story reads and writes comes from the model's visitor
//! (`Story::sites`); no match here has a catch-all arm over a story enum.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use crate::story::diagnostic::{Code, Diagnostic};
use crate::story::source::Span;
use crate::story::{ChoiceId, CmpOp, Condition, Operand, Part, Place, Read, Story};

/// Every warning for a compiled story, in source order.
pub fn lint(story: &Story) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unreachable(story, &mut out);
    usage(story, &mut out);
    impossible(story, &mut out);
    constant(story, &mut out);
    traps(story, &mut out);
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
    let mut items = vec![Use::default(); story.items.len()];
    let mut crew = vec![Use::default(); story.crew.len()];
    // Every read counts, prose too: a variable shown in text is read by
    // the player.
    story.sites(&mut |_, site| {
        site.reads(&mut |r| match r.part() {
            Part::Var(v) => vars[v.index()].read = true,
            Part::Flag(f) => flags[f.index()].read = true,
            Part::Item(i) => items[i.index()].read = true,
            Part::Crew(c) => crew[c.index()].read = true,
            Part::Visits(_) | Part::Once(_) => {}
        });
        if let Some(w) = site.writes() {
            match w.part {
                Part::Var(v) => vars[v.index()].written = true,
                Part::Flag(f) => flags[f.index()].written = true,
                Part::Item(i) => items[i.index()].written = true,
                Part::Crew(c) => crew[c.index()].written = true,
                Part::Visits(_) | Part::Once(_) => {}
            }
        }
    });
    // Variables shown in `status` are read by the player.
    for (i, v) in story.variables.iter().enumerate() {
        let u = vars[i];
        if !u.read && !u.written {
            out.push(
                Diagnostic::warning(Code::W003, format!("variable `{}` is never used", v.id))
                    .at(v.span, "declared here")
                    .help("no condition, text or effect names it: use it or remove it"),
            );
        } else if u.written && !u.read && v.hidden {
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
    // An item the player starts with is shown by `inventory`: that is a use.
    let mut held = vec![false; story.items.len()];
    for &i in &story.inventory {
        held[i.index()] = true;
    }
    for (i, item) in story.items.iter().enumerate() {
        let u = items[i];
        if u.read && !u.written && !held[i] {
            out.push(
                Diagnostic::warning(
                    Code::W004,
                    format!("item `{}` is tested but nothing gives it", item.id),
                )
                .at(
                    item.span,
                    "no effect gives it and the inventory does not hold it, so `has` on it never holds",
                )
                .help(format!(
                    "add `Give(\"{}\")` where the player gets it, or put it in the starting `inventory`",
                    item.id
                )),
            );
        } else if !u.read && !u.written && !held[i] {
            out.push(
                Diagnostic::warning(Code::W003, format!("item `{}` is never used", item.id))
                    .at(item.span, "declared here")
                    .help("nothing gives, takes or tests it: use it or remove it"),
            );
        }
    }
    for (i, member) in story.crew.iter().enumerate() {
        let u = crew[i];
        if !u.read && !u.written {
            out.push(
                Diagnostic::warning(
                    Code::W003,
                    format!("crew member `{}` is never used", member.id),
                )
                .at(member.span, "declared here")
                .help("no condition tests them and no effect kills them: use them or remove them"),
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

/// Choices of one scene that share a key: an error, since keys are what a
/// player types and a plan or save names (the docs call them unique). One
/// pass over each scene's choices with a table of the keys met, so linear
/// in the choices.
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
                    Diagnostic::error(
                        Code::E042,
                        format!("scene `{}` has two choices keyed `{key}`", scene.id),
                    )
                    .at(
                        story.choice(a).span,
                        "a player typing the key, a plan or a save could not tell them apart",
                    )
                    .related(story.choice(*slot.get()).span, "first used here")
                    .help("keys are unique within a scene: rename one"),
                ),
            }
        }
    }
}

/// W007: a condition that holds whatever the state, or never does, wherever
/// it is (a `when`, a check's `When`, an `{if}` in any text), reported at
/// the condition itself. A lone comparison of a variable with a constant
/// is W005's; here the rest: `false`, `lit and not lit`, `oil > 5 and oil
/// < 3`, `visits(hall) < 0`. Only the largest constant part of a condition
/// is reported.
fn constant(story: &Story, out: &mut Vec<Diagnostic>) {
    let mut regions: Option<Regions> = None;
    story.sites(&mut |at, site| {
        site.conditions(&mut |whole| {
            let mut found: Vec<(&Condition, bool)> = Vec::new();
            constant_parts(story, whole, &mut found);
            for (part, holds) in found {
                let regions = regions.get_or_insert_with(|| Regions::of(story));
                let span = regions.locate(story, at, whole).unwrap_or(at.span);
                let shown = part.show(story);
                let whole_shown = whole.show(story);
                let what = if holds { "always holds" } else { "never holds" };
                let mut d = Diagnostic::warning(Code::W007, format!("condition `{shown}` {what}"))
                    .at(
                        span,
                        if holds {
                            "true whatever the state"
                        } else {
                            "false whatever the state"
                        },
                    );
                if shown != whole_shown {
                    d = d.help(format!("it is part of `{whole_shown}`"));
                } else if holds {
                    d = d.help("remove it, or say what it should test");
                } else {
                    d = d.help("what it guards can never happen: fix it or remove it");
                }
                out.push(d);
            }
        });
    });
}

/// The largest parts of `c` whose value the state cannot change, with
/// that value; a lone comparison of a variable with a constant is left to
/// W005.
fn constant_parts<'c>(story: &Story, c: &'c Condition, out: &mut Vec<(&'c Condition, bool)>) {
    if let Condition::Cmp(a, _, b) = c
        && matches!(
            (a, b),
            (Operand::Var(_), Operand::Const(_)) | (Operand::Const(_), Operand::Var(_))
        )
    {
        return;
    }
    if let Some(v) = value(story, c) {
        out.push((c, v));
        return;
    }
    match c {
        Condition::Not(inner) => constant_parts(story, inner, out),
        Condition::All(cs) | Condition::Any(cs) => {
            for c in cs {
                constant_parts(story, c, out);
            }
        }
        Condition::True
        | Condition::False
        | Condition::Flag(_)
        | Condition::Has(_)
        | Condition::Alive(_)
        | Condition::Cmp(..) => {}
    }
}

/// The most states `value` evaluates a condition in.
const VALUE_BUDGET: usize = 4096;

/// What a condition is in every state: `Some(v)` when it is `v` in all,
/// `None` when it depends (or has too many parts to tell).
///
/// Each part the condition tests for truth (a flag, an item, a crew
/// member, a comparison of two parts of the state) is free; each part
/// compared with constants takes one value per stretch of its range
/// between the constants (a variable within its bounds, a visit count
/// from 0). The condition is evaluated in every combination.
fn value(story: &Story, c: &Condition) -> Option<bool> {
    let mut atoms = Atoms::default();
    atoms.collect(story, c);
    let mut combos: usize = 1;
    for cuts in &atoms.numbers {
        combos = combos.checked_mul(cuts.1.len())?;
    }
    combos = combos.checked_mul(1usize.checked_shl(atoms.truths.len() as u32)?)?;
    if combos > VALUE_BUDGET {
        return None;
    }
    let mut seen = [false; 2];
    for n in 0..combos {
        let mut rest = n;
        let mut numbers = Vec::with_capacity(atoms.numbers.len());
        for (part, cuts) in &atoms.numbers {
            numbers.push((*part, cuts[rest % cuts.len()]));
            rest /= cuts.len();
        }
        let v = atoms.eval(c, &numbers, rest);
        seen[usize::from(v)] = true;
        if seen[0] && seen[1] {
            return None;
        }
    }
    Some(seen[1])
}

/// The parts of one condition, for `value`.
#[derive(Default)]
struct Atoms<'c> {
    /// Parts compared with constants: each value to try (one per stretch).
    numbers: Vec<(Part, Vec<i64>)>,
    /// Parts tested for truth, and comparisons of two parts: free.
    truths: Vec<Truth<'c>>,
}

#[derive(PartialEq)]
enum Truth<'c> {
    Part(Part),
    Compare(&'c Condition),
}

impl<'c> Atoms<'c> {
    fn collect(&mut self, story: &Story, c: &'c Condition) {
        match c {
            Condition::True | Condition::False => {}
            Condition::Flag(f) => self.truth(Truth::Part(Part::Flag(*f))),
            Condition::Has(i) => self.truth(Truth::Part(Part::Item(*i))),
            Condition::Alive(m) => self.truth(Truth::Part(Part::Crew(*m))),
            Condition::Cmp(a, op, b) => match (a.part(), b.part()) {
                (None, None) => {}
                (Some(p), None) => self.bound(story, p, *op, constant_of(*b)),
                (None, Some(p)) => self.bound(story, p, op.flipped(), constant_of(*a)),
                (Some(_), Some(_)) => self.truth(Truth::Compare(c)),
            },
            Condition::Not(inner) => self.collect(story, inner),
            Condition::All(cs) | Condition::Any(cs) => {
                for c in cs {
                    self.collect(story, c);
                }
            }
        }
    }

    fn truth(&mut self, t: Truth<'c>) {
        if !self.truths.contains(&t) {
            self.truths.push(t);
        }
    }

    /// A comparison `part op k`: the values where it can change its truth
    /// split the part's range.
    fn bound(&mut self, story: &Story, part: Part, op: CmpOp, k: i64) {
        let (min, max) = match part {
            Part::Var(v) => {
                let d = &story.variables[v.index()];
                (d.min, d.max)
            }
            Part::Visits(_) => (0, i64::MAX),
            // Only variables and visit counts are compared.
            Part::Flag(_) | Part::Item(_) | Part::Crew(_) | Part::Once(_) => return,
        };
        let at = match self.numbers.iter().position(|(p, _)| *p == part) {
            Some(at) => at,
            None => {
                self.numbers.push((part, vec![min]));
                self.numbers.len() - 1
            }
        };
        let cuts = &mut self.numbers[at].1;
        let flips = match op {
            CmpOp::Ge | CmpOp::Lt => vec![k],
            CmpOp::Gt | CmpOp::Le => vec![k.saturating_add(1)],
            CmpOp::Eq | CmpOp::Ne => vec![k, k.saturating_add(1)],
        };
        for b in flips {
            if b > min && b <= max && !cuts.contains(&b) {
                cuts.push(b);
            }
        }
    }

    /// The condition's value with each number part at its given value and
    /// the free parts read from the bits of `truths`.
    fn eval(&self, c: &Condition, numbers: &[(Part, i64)], truths: usize) -> bool {
        let truth = |t: Truth<'_>| {
            let i = self.truths.iter().position(|x| *x == t).unwrap_or(0);
            truths & (1 << i) != 0
        };
        let number = |o: Operand| match o.part() {
            None => constant_of(o),
            Some(p) => numbers.iter().find(|(q, _)| *q == p).map_or(0, |(_, v)| *v),
        };
        match c {
            Condition::True => true,
            Condition::False => false,
            Condition::Flag(f) => truth(Truth::Part(Part::Flag(*f))),
            Condition::Has(i) => truth(Truth::Part(Part::Item(*i))),
            Condition::Alive(m) => truth(Truth::Part(Part::Crew(*m))),
            Condition::Cmp(a, op, b) => match (a.part(), b.part()) {
                (Some(_), Some(_)) => truth(Truth::Compare(c)),
                (Some(_), None) | (None, Some(_)) | (None, None) => {
                    op.holds(number(*a), number(*b))
                }
            },
            Condition::Not(inner) => !self.eval(inner, numbers, truths),
            Condition::All(cs) => cs.iter().all(|c| self.eval(c, numbers, truths)),
            Condition::Any(cs) => cs.iter().any(|c| self.eval(c, numbers, truths)),
        }
    }
}

fn constant_of(o: Operand) -> i64 {
    match o {
        Operand::Const(k) => k,
        Operand::Var(_) | Operand::Visits(_) => 0,
    }
}

/// Where scenes and choices are in their files, to find a condition's
/// text: a scene from its id to the next scene of its file, a choice from
/// its key to the next choice's (the compiler's own regions).
struct Regions {
    /// Per scene, where its region ends.
    scene_end: Vec<usize>,
}

impl Regions {
    fn of(story: &Story) -> Regions {
        let mut starts: Vec<(u32, usize, usize)> = story
            .scenes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span.file.0, s.span.start, i))
            .collect();
        starts.sort_unstable();
        let mut scene_end = vec![usize::MAX; story.scenes.len()];
        for w in starts.windows(2) {
            if w[0].0 == w[1].0 {
                scene_end[w[0].2] = w[1].1;
            }
        }
        Regions { scene_end }
    }

    /// The span of the text of `whole` in the source of its place: a
    /// string there (or an `{if ..}` in one) that compiles to the same
    /// condition.
    fn locate(&self, story: &Story, at: Place, whole: &Condition) -> Option<Span> {
        let scene = story.scene(at.scene);
        let file = scene.span.file;
        let source = story.sources.get(file);
        let scene_end = self.scene_end[at.scene.index()].min(source.text.len());
        let next_key = |after: usize| {
            scene
                .choices
                .iter()
                .map(|&c| story.choice(c).span)
                .filter(|s| s.file == file && s.start > after && s.start < scene_end)
                .map(|s| s.start)
                .min()
        };
        let (start, end) = match at.choice {
            Some(c) => {
                let key = story.choice(c).span;
                (key.start, next_key(key.start).unwrap_or(scene_end))
            }
            None => (
                scene.span.start,
                next_key(scene.span.start).unwrap_or(scene_end),
            ),
        };
        // The spans are of an id's or a key's text: start at its quote, so
        // that quotes pair up from there.
        let start = if start > 0 && source.text.as_bytes().get(start - 1) == Some(&b'"') {
            start - 1
        } else {
            start
        };
        let text = source.text.get(start..end)?;
        let matches =
            |src: &str| crate::story::compile::condition_in(story, src).is_ok_and(|c| c == *whole);
        let span = |from: usize, len: usize| Span {
            file,
            start: start + from,
            end: start + from + len,
        };
        for (from, literal) in literals(text) {
            if matches(literal) {
                return Some(span(from, literal.len()));
            }
            let mut at = 0;
            while let Some(i) = literal[at..].find("{if ") {
                let cond_start = at + i + 4;
                let Some(close) = literal[cond_start..].find('}') else {
                    break;
                };
                let cond = &literal[cond_start..cond_start + close];
                if matches(cond) {
                    return Some(span(from + cond_start, cond.len()));
                }
                at = cond_start;
            }
        }
        None
    }
}

/// The string literals of a stretch of RON, each with where its content
/// starts: `"..."` with its escapes as written (a condition has none).
fn literals(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i] != b'"' {
                i += 1;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let end = j.min(bytes.len());
            i = end + 1;
            return text.get(start..end).map(|s| (start, s));
        }
        None
    })
}

/// W008: scenes the start can reach from which no ending can be reached by
/// any choice, whatever the conditions: the player is caught among them.
/// Each group that only leads to itself is reported once; a story without
/// endings has none.
fn traps(story: &Story, out: &mut Vec<Diagnostic>) {
    // A story with no ending at all (a sandbox, a synthetic bench) has
    // nothing to reach: every scene would be reported.
    if story.endings.is_empty() {
        return;
    }
    let seen = reachable(story);
    let n = story.scenes.len();
    let succ = story.successors();
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (s, ts) in succ.iter().enumerate() {
        for &t in ts {
            before[t].push(s);
        }
    }
    // Backwards from the endings.
    let mut ends = vec![false; n];
    let mut queue: Vec<usize> = (0..n)
        .filter(|&s| story.scenes[s].ending.is_some())
        .collect();
    for &s in &queue {
        ends[s] = true;
    }
    while let Some(t) = queue.pop() {
        for &s in &before[t] {
            if !ends[s] {
                ends[s] = true;
                queue.push(s);
            }
        }
    }
    let caught = |s: usize| seen[s] && !ends[s];
    if !(0..n).any(caught) {
        return;
    }
    let restricted: Vec<Vec<usize>> = (0..n)
        .map(|s| {
            if caught(s) {
                succ[s].iter().copied().filter(|&t| caught(t)).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut component = vec![usize::MAX; n];
    let components = crate::tools::explore::strongly_connected(&restricted);
    for (i, c) in components.iter().enumerate() {
        for &s in c {
            component[s] = i;
        }
    }
    for (i, c) in components.iter().enumerate() {
        if !caught(c[0])
            || c.iter()
                .any(|&s| restricted[s].iter().any(|&t| component[t] != i))
        {
            continue;
        }
        let mut scenes = c.clone();
        scenes.sort_unstable();
        let first = &story.scenes[scenes[0]];
        let names: Vec<String> = scenes
            .iter()
            .map(|&s| format!("`{}`", story.scenes[s].id))
            .collect();
        let message = match names.as_slice() {
            [one] => {
                format!("scene {one} only leads back to itself: no ending can be reached from it")
            }
            [rest @ .., last] => format!(
                "scenes {} and {last} only lead to each other: no ending can be reached from them",
                rest.join(", ")
            ),
            [] => continue,
        };
        let mut d = Diagnostic::warning(Code::W008, message).at(
            first.span,
            "a player who gets here can never finish the story",
        );
        for &s in &scenes[1..] {
            d = d.related(story.scenes[s].span, "caught here too");
        }
        out.push(
            d.help("give one of them a choice that leads on toward an ending, whatever the state"),
        );
    }
}
