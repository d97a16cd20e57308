//! `callister stats`: the size of a story, overall and by chapter.
//!
//! What the story reads and writes comes from the model's visitor
//! (`Story::sites`); no match here has a catch-all arm over a story enum.
#![deny(clippy::wildcard_enum_match_arm)]

use std::fmt::Write as _;

use std::collections::HashSet;

use crate::story::{ChoiceId, Part, Read, Segment, Site, Story, Text};

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
        c.choices += scene.choices.len();
    }
    // Words in every text a player can be shown: the scene's, each
    // choice's, each branch's, and every `Say`.
    story.sites(&mut |at, site| {
        let c = &mut chapters[story.scene(at.scene).chapter.index()].1;
        match site {
            Site::Text(t) => c.words += words(t),
            Site::Effect(e) => c.words += e.said().map_or(0, words),
            Site::Check(_) => c.checks += 1,
            Site::Ending(_) => c.endings += 1,
            Site::When(_)
            | Site::Once(_)
            | Site::Goto(_)
            | Site::Met(_)
            | Site::Assume(_)
            | Site::Invariant(_) => {}
        }
    });
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

/// Choices whose effects a later chapter reads.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Consequences {
    /// Read by a later chapter's choice conditions or check adjustments:
    /// they change what the player can do there.
    pub open: Vec<ChoiceId>,
    /// Read only by a later chapter's text: they change what it says.
    pub told: Vec<ChoiceId>,
}

/// For each choice, what a later chapter (in the order met) reads of what
/// it changes: its effects, the effects of its check's branches, and the
/// scenes it leads to (`visited x`).
pub fn consequences(story: &Story) -> Consequences {
    let rank = chapter_ranks(story);
    // What each chapter's choices read (their conditions and checks), and
    // what its texts read (the conditions of their `{if}`s).
    let n = story.chapters.len();
    let mut acts: Vec<HashSet<Part>> = vec![HashSet::new(); n];
    let mut says: Vec<HashSet<Part>> = vec![HashSet::new(); n];
    story.sites(&mut |at, site| {
        let ch = rank[story.scene(at.scene).chapter.index()];
        let into = if site.is_prose() {
            &mut says[ch]
        } else {
            &mut acts[ch]
        };
        site.reads(&mut |r| match r {
            Read::Test(p) | Read::Bound(p, ..) | Read::Against(p, ..) => {
                into.insert(p);
            }
            Read::Scaled(v, _) => {
                into.insert(Part::Var(v));
            }
            // A value shown in prose is not counted: `told` is about the
            // conditions of a later chapter's text.
            Read::Shown(_) => {}
        });
    });
    // Suffix unions: what any chapter after k reads.
    let mut later_acts: Vec<HashSet<Part>> = vec![HashSet::new(); n + 1];
    let mut later_says: Vec<HashSet<Part>> = vec![HashSet::new(); n + 1];
    for k in (0..n).rev() {
        later_acts[k] = later_acts[k + 1].union(&acts[k]).copied().collect();
        later_says[k] = later_says[k + 1].union(&says[k]).copied().collect();
    }
    // What each choice writes, at its own sites: its effects, its
    // branches' effects, the scenes it enters.
    let mut opens = vec![false; story.choices.len()];
    let mut tells = vec![false; story.choices.len()];
    story.sites(&mut |at, site| {
        let (Some(c), Some(w)) = (at.choice, site.writes()) else {
            return;
        };
        let ch = rank[story.scene(at.scene).chapter.index()];
        opens[c.index()] |= later_acts[ch + 1].contains(&w.part);
        tells[c.index()] |= later_says[ch + 1].contains(&w.part);
    });
    let mut out = Consequences::default();
    for (i, (open, told)) in opens.into_iter().zip(tells).enumerate() {
        let id = ChoiceId(i as u32);
        if open {
            out.open.push(id);
        } else if told {
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

/// Words of prose in a text, counting every branch of its `{if}`s and
/// every item of its variations once.
pub(crate) fn words(text: &Text) -> usize {
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
                // Each item once, as each branch of an `{if}`.
                Segment::Vary(v) => v.items.iter().map(|i| walk(i)).sum(),
                Segment::Tag(_) | Segment::Assume(_) => 0,
            })
            .sum()
    }
    walk(&text.segments)
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
