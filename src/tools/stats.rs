//! `callister stats`: the size of a story, overall and by chapter.

use std::fmt::Write as _;

use std::collections::HashSet;

use crate::story::{Action, Adjust, ChoiceId, Condition, Effect, Operand, Segment, Story, Text};
use crate::tools::check::{text_each_condition, walk_condition};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub scenes: usize,
    pub choices: usize,
    pub endings: usize,
    pub checks: usize,
    pub words: usize,
}

/// Counts for the whole story and for each chapter, in the order a player
/// meets the chapters (by distance from the start scene).
pub fn count(story: &Story) -> (Counts, Vec<(String, Counts)>) {
    let mut chapters: Vec<(String, Counts)> = story
        .chapters
        .iter()
        .map(|c| (c.title.clone(), Counts::default()))
        .collect();
    for scene in &story.scenes {
        let c = &mut chapters[scene.chapter.index()].1;
        c.scenes += 1;
        c.endings += usize::from(scene.ending.is_some());
        c.words += words(&scene.text) + effect_words(&scene.on_enter);
        for &id in &scene.choices {
            let choice = story.choice(id);
            c.choices += 1;
            c.words += words(&choice.text) + effect_words(&choice.effects);
            if let Action::Check(check) = &choice.action {
                c.checks += 1;
                for b in [&check.success, &check.failure] {
                    c.words += b.text.as_ref().map_or(0, words) + effect_words(&b.effects);
                }
            }
        }
    }
    let rank = chapter_ranks(story);
    let mut order: Vec<usize> = (0..chapters.len()).collect();
    order.sort_by_key(|&i| rank[i]);
    let mut chapters: Vec<Option<(String, Counts)>> = chapters.into_iter().map(Some).collect();
    let chapters: Vec<(String, Counts)> = order
        .into_iter()
        .filter_map(|i| chapters[i].take())
        .collect();
    let mut total = Counts::default();
    for (_, c) in &chapters {
        total.scenes += c.scenes;
        total.choices += c.choices;
        total.endings += c.endings;
        total.checks += c.checks;
        total.words += c.words;
    }
    (total, chapters)
}

/// A part of the state a choice can change and a condition can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Var(usize),
    Flag(usize),
    Item(usize),
    Crew(usize),
    Visited(usize),
}

/// Choices whose effects a later chapter reads.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Consequences {
    /// Read by a later chapter's choice conditions or check adjustments:
    /// they change what the player can do there.
    pub open: Vec<ChoiceId>,
    /// Read only by a later chapter's text: they change what it says.
    pub told: Vec<ChoiceId>,
}

fn reads(c: &Condition, out: &mut HashSet<Part>) {
    walk_condition(c, &mut |leaf| match leaf {
        Condition::Flag(f) => {
            out.insert(Part::Flag(f.index()));
        }
        Condition::Has(i) => {
            out.insert(Part::Item(i.index()));
        }
        Condition::Alive(c) => {
            out.insert(Part::Crew(c.index()));
        }
        Condition::Cmp(a, _, b) => {
            for o in [a, b] {
                match o {
                    Operand::Var(v) => out.insert(Part::Var(v.index())),
                    Operand::Visits(s) => out.insert(Part::Visited(s.index())),
                    Operand::Const(_) => false,
                };
            }
        }
        _ => {}
    });
}

/// For each choice, what a later chapter (in the order met) reads of what
/// it changes: its effects, the effects of its check's branches, and the
/// scenes it leads to (`visited x`).
pub fn consequences(story: &Story) -> Consequences {
    let rank = chapter_ranks(story);
    // What each chapter's choices read, and what its texts read.
    let n = story.chapters.len();
    let mut acts: Vec<HashSet<Part>> = vec![HashSet::new(); n];
    let mut says: Vec<HashSet<Part>> = vec![HashSet::new(); n];
    let text_reads =
        |t: &Text, out: &mut HashSet<Part>| text_each_condition(t, &mut |c| reads(c, out));
    let effect_texts = |es: &[Effect], out: &mut HashSet<Part>| {
        for e in es {
            if let Effect::Say(t) = e {
                text_reads(t, out);
            }
        }
    };
    for scene in &story.scenes {
        let ch = rank[scene.chapter.index()];
        text_reads(&scene.text, &mut says[ch]);
        effect_texts(&scene.on_enter, &mut says[ch]);
        for &id in &scene.choices {
            let choice = story.choice(id);
            text_reads(&choice.text, &mut says[ch]);
            effect_texts(&choice.effects, &mut says[ch]);
            if let Some(w) = &choice.when {
                reads(w, &mut acts[ch]);
            }
            if let Action::Check(check) = &choice.action {
                for a in &check.adjust {
                    match a {
                        Adjust::Per(v, _) => {
                            acts[ch].insert(Part::Var(v.index()));
                        }
                        Adjust::When(c, _) => reads(c, &mut acts[ch]),
                    }
                }
                for b in [&check.success, &check.failure] {
                    if let Some(t) = &b.text {
                        text_reads(t, &mut says[ch]);
                    }
                    effect_texts(&b.effects, &mut says[ch]);
                }
            }
        }
    }
    // Suffix unions: what any chapter after k reads.
    let mut later_acts: Vec<HashSet<Part>> = vec![HashSet::new(); n + 1];
    let mut later_says: Vec<HashSet<Part>> = vec![HashSet::new(); n + 1];
    for k in (0..n).rev() {
        later_acts[k] = later_acts[k + 1].union(&acts[k]).copied().collect();
        later_says[k] = later_says[k + 1].union(&says[k]).copied().collect();
    }
    let mut out = Consequences::default();
    for (i, choice) in story.choices.iter().enumerate() {
        let ch = rank[story.scene(choice.scene).chapter.index()];
        let mut writes: Vec<Part> = Vec::new();
        let effects = |es: &[Effect], writes: &mut Vec<Part>| {
            for e in es {
                writes.push(match e {
                    Effect::SetFlag(f) | Effect::ClearFlag(f) => Part::Flag(f.index()),
                    Effect::Add(v, _) | Effect::SetVar(v, _) => Part::Var(v.index()),
                    Effect::Give(i) | Effect::Take(i) => Part::Item(i.index()),
                    Effect::Kill(c) => Part::Crew(c.index()),
                    Effect::Say(_) => continue,
                });
            }
        };
        effects(&choice.effects, &mut writes);
        for t in story.targets(ChoiceId(i as u32)) {
            writes.push(Part::Visited(t.index()));
        }
        if let Action::Check(check) = &choice.action {
            for b in [&check.success, &check.failure] {
                effects(&b.effects, &mut writes);
            }
        }
        let id = ChoiceId(i as u32);
        if writes.iter().any(|p| later_acts[ch + 1].contains(p)) {
            out.open.push(id);
        } else if writes.iter().any(|p| later_says[ch + 1].contains(p)) {
            out.told.push(id);
        }
    }
    out
}

/// Each chapter's position in the order a player meets them.
fn chapter_ranks(story: &Story) -> Vec<usize> {
    let distance = crate::tools::check::distances(story);
    let mut first_met = vec![usize::MAX; story.chapters.len()];
    for (scene, d) in story.scenes.iter().zip(&distance) {
        let slot = &mut first_met[scene.chapter.index()];
        *slot = (*slot).min(*d);
    }
    let mut order: Vec<usize> = (0..story.chapters.len()).collect();
    order.sort_by_key(|&i| (first_met[i], i));
    let mut rank = vec![0; story.chapters.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    rank
}

/// Words of prose in a text, counting every branch of its `{if}`s.
pub fn words(text: &Text) -> usize {
    fn walk(segments: &[Segment]) -> usize {
        segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l
                    .split_whitespace()
                    .filter(|w| w.chars().any(char::is_alphanumeric))
                    .count(),
                Segment::Var(_) => 1,
                Segment::If(b) => walk(&b.1) + walk(&b.2),
            })
            .sum()
    }
    walk(&text.segments)
}

fn effect_words(effects: &[Effect]) -> usize {
    effects
        .iter()
        .map(|e| match e {
            Effect::Say(t) => words(t),
            _ => 0,
        })
        .sum()
}

/// The table printed by `callister stats`.
pub fn render(story: &Story) -> String {
    let (total, chapters) = count(story);
    let mut out = String::new();
    let _ = writeln!(out, "{}", story.title);
    let _ = writeln!(out);
    let width = chapters
        .iter()
        .map(|(t, _)| t.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:<width$}  {:>6}  {:>7}  {:>7}  {:>6}  {:>7}",
        "chapter", "scenes", "choices", "endings", "checks", "words"
    );
    let row = |out: &mut String, name: &str, c: &Counts| {
        let _ = writeln!(
            out,
            "{:<width$}  {:>6}  {:>7}  {:>7}  {:>6}  {:>7}",
            name, c.scenes, c.choices, c.endings, c.checks, c.words
        );
    };
    for (title, c) in &chapters {
        row(&mut out, title, c);
    }
    row(&mut out, "total", &total);
    let later = consequences(story);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "consequences: {} choices change what a later chapter lets the player do; {} more change what it says",
        later.open.len(),
        later.told.len()
    );
    out
}
