//! `callister stats`: the size of a story, overall and by chapter.

use std::fmt::Write as _;

use crate::story::{Action, Effect, Segment, Story, Text};

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
    let distance = crate::check::distances(story);
    let mut first_met = vec![usize::MAX; story.chapters.len()];
    for (scene, d) in story.scenes.iter().zip(&distance) {
        let slot = &mut first_met[scene.chapter.index()];
        *slot = (*slot).min(*d);
    }
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
    let mut order: Vec<usize> = (0..chapters.len()).collect();
    order.sort_by_key(|&i| (first_met[i], i));
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
                Segment::If(_, a, b) => walk(a) + walk(b),
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
    out
}
