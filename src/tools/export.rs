//! `callister export`: every piece of a story's text as a string table,
//! for translators and voice recording (Yarn Spinner's string tables are
//! the model): each line with a stable id, its scene, its kind, its tags
//! and its text, as JSON or CSV.
//!
//! A line is a paragraph of a scene's text, a choice's text, a paragraph of
//! a check branch's text or of a `Say`, and each item of a variation. The
//! text is markup as the compiled story holds it (`{pennies}`, `{if ..}`
//! with conditions written out), with a variation's items replaced by
//! their own lines' ids: `{seq: @hall.text.v1.1-3fa9c1 | @..}`. A line's
//! id is the `{#line:ID}` written in it, else derived: the scene's id, the
//! place of the text in the scene (`text`, `enter.say1`, `choice.KEY`,
//! `choice.KEY.pass`, `choice.KEY.say2`…), the paragraph's number after
//! the first (`.2`), and six hex digits of the xxh3 hash of the line's
//! text. A derived id stays the same while the scene's id, the line's
//! place and its text do, so an edited line gets a new id and its
//! translation shows as missing rather than stale; an id written with
//! `{#line:..}` never changes.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::story::{Condition, Place, Segment, Site, Story, Text, VaryKind};

/// One line of the string table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub id: String,
    /// The scene's id.
    pub scene: String,
    pub kind: Kind,
    /// The key of the choice the line belongs to, if any.
    pub choice: Option<String>,
    /// For a variation's item: the id of the line it is written in.
    pub parent: Option<String>,
    /// The line's own tags, then (for an item) its line's, then its
    /// choice's and its scene's `tags`.
    pub tags: Vec<String>,
    pub text: String,
}

/// What a line is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A paragraph of a scene's text.
    Scene,
    /// A choice's text, as listed.
    Choice,
    /// A paragraph of a check branch's text.
    Branch,
    /// A paragraph of a `Say`.
    Say,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Scene => "scene",
            Kind::Choice => "choice",
            Kind::Branch => "branch",
            Kind::Say => "say",
        }
    }
}

/// Every line of the story, scene by scene in the order a player meets
/// them in a scene (as `Story::sites` visits them).
pub fn lines(story: &Story) -> Vec<Line> {
    let mut out = Lines::default();
    // The `Say`s met so far at the current place.
    let mut says: (Option<Place>, usize) = (None, 0);
    story.sites(&mut |at, site| {
        let scene = story.scene(at.scene);
        let choice = at.choice.map(|c| story.choice(c));
        let (text, kind, place) = match site {
            Site::Text(t) => match (choice, at.branch) {
                (None, _) => (t, Kind::Scene, "text".to_string()),
                (Some(c), None) => (t, Kind::Choice, format!("choice.{}", c.key)),
                (Some(c), Some(pass)) => (
                    t,
                    Kind::Branch,
                    format!("choice.{}.{}", c.key, branch(pass)),
                ),
            },
            Site::Effect(e) => {
                let Some(t) = e.said() else { return };
                let here = Place {
                    span: at.span,
                    ..at
                };
                if says.0 != Some(here) {
                    says = (Some(here), 0);
                }
                says.1 += 1;
                let n = says.1;
                let place = match (choice, at.branch) {
                    (None, _) => format!("enter.say{n}"),
                    (Some(c), None) => format!("choice.{}.say{n}", c.key),
                    (Some(c), Some(pass)) => format!("choice.{}.{}.say{n}", c.key, branch(pass)),
                };
                (t, Kind::Say, place)
            }
            Site::When(_)
            | Site::Once(_)
            | Site::Check(_)
            | Site::Goto(_)
            | Site::Ending(_)
            | Site::Met(_)
            | Site::Assume(_)
            | Site::Invariant(_) => return,
        };
        let mut inherited: Vec<String> = choice.map(|c| c.tags.clone()).unwrap_or_default();
        inherited.extend(scene.tags.iter().cloned());
        let context = Context {
            story,
            scene: &scene.id,
            kind,
            choice: choice.map(|c| c.key.clone()),
        };
        // A choice is listed on one line, whatever its text's paragraphs.
        let split = kind != Kind::Choice;
        for (k, line) in paragraphs(story, text, split).into_iter().enumerate() {
            let base = if k == 0 {
                format!("{}.{place}", scene.id)
            } else {
                format!("{}.{place}.{}", scene.id, k + 1)
            };
            context.emit(line, &base, None, &inherited, &mut out);
        }
    });
    unique_ids(&mut out);
    out.lines
}

/// The lines as one JSON object: the story's title and its lines.
pub fn json(story: &Story, lines: &[Line]) -> String {
    #[derive(Serialize)]
    struct Table<'a> {
        story: &'a str,
        lines: &'a [Line],
    }
    crate::story::diagnostic::json_string(&Table {
        story: &story.title,
        lines,
    })
}

/// The lines as CSV (RFC 4180: fields quoted where they need it), with a
/// header: `id,scene,kind,choice,parent,tags,text`; tags are separated by
/// spaces (a tag holds none).
pub fn csv(lines: &[Line]) -> Result<String, String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let row = |w: &mut ::csv::Writer<Vec<u8>>, fields: [&str; 7]| {
        w.write_record(fields).map_err(|e| e.to_string())
    };
    row(
        &mut w,
        ["id", "scene", "kind", "choice", "parent", "tags", "text"],
    )?;
    for l in lines {
        row(
            &mut w,
            [
                &l.id,
                &l.scene,
                l.kind.label(),
                l.choice.as_deref().unwrap_or(""),
                l.parent.as_deref().unwrap_or(""),
                &l.tags.join(" "),
                &l.text,
            ],
        )?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn branch(pass: bool) -> &'static str {
    if pass { "pass" } else { "fail" }
}

/// A line's markup before its ids are known: text, and the variations'
/// items in place.
#[derive(Default)]
struct Draft<'s> {
    pieces: Vec<Piece<'s>>,
    tags: Vec<String>,
    id: Option<String>,
}

enum Piece<'s> {
    Text(String),
    /// A variation: its kind and its items.
    Vary(VaryKind, &'s [Vec<Segment>]),
}

impl Draft<'_> {
    fn is_empty(&self) -> bool {
        self.pieces.iter().all(|p| match p {
            Piece::Text(t) => t.trim().is_empty(),
            Piece::Vary(..) => false,
        })
    }

    fn push_str(&mut self, s: &str) {
        match self.pieces.last_mut() {
            Some(Piece::Text(t)) => t.push_str(s),
            Some(Piece::Vary(..)) | None => self.pieces.push(Piece::Text(s.to_string())),
        }
    }

    /// Drops the spaces at the line's two ends.
    fn trim(&mut self) {
        if let Some(Piece::Text(t)) = self.pieces.first_mut() {
            *t = t.trim_start().to_string();
        }
        if let Some(Piece::Text(t)) = self.pieces.last_mut() {
            *t = t.trim_end().to_string();
        }
    }
}

/// The lines of one text: its paragraphs, or (`split` false) one line.
/// A block (`{if}`) that holds a blank line keeps its paragraphs in one
/// line, written with the blank line.
fn paragraphs<'s>(story: &Story, text: &'s Text, split: bool) -> Vec<Draft<'s>> {
    let mut out = vec![Draft::default()];
    for s in &text.segments {
        if let (Segment::Literal(l), true) = (s, split) {
            for (k, part) in blank_line_split(l).into_iter().enumerate() {
                if k > 0 {
                    out.push(Draft::default());
                }
                if let Some(line) = out.last_mut() {
                    line.push_str(&escape(&spaced(part)));
                }
            }
        } else if let Some(line) = out.last_mut() {
            segment(story, line, s);
        }
    }
    for line in &mut out {
        line.trim();
    }
    out.retain(|l| !l.is_empty());
    out
}

/// A literal cut at its blank lines: lines that hold only whitespace,
/// between two line breaks of the literal (its first line goes on from
/// the segment before it, its last into the one after).
fn blank_line_split(s: &str) -> Vec<&str> {
    let breaks: Vec<usize> = s.match_indices('\n').map(|(i, _)| i).collect();
    let blank = |k: usize| s[breaks[k] + 1..breaks[k + 1]].trim().is_empty();
    let mut parts = Vec::new();
    let (mut start, mut k) = (0, 0);
    while k + 1 < breaks.len() {
        if !blank(k) {
            k += 1;
            continue;
        }
        parts.push(&s[start..breaks[k]]);
        let mut j = k + 1;
        while j + 1 < breaks.len() && blank(j) {
            j += 1;
        }
        start = breaks[j] + 1;
        k = j;
    }
    parts.push(&s[start..]);
    parts
}

/// Whitespace as the layout shows it: each run one space.
fn spaced(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

/// Writes one segment into a line, nested blocks whole.
fn segment<'s>(story: &Story, line: &mut Draft<'s>, s: &'s Segment) {
    match s {
        Segment::Literal(l) => {
            // Inside a block a blank line is kept; other runs of
            // whitespace are one space.
            for (k, part) in blank_line_split(l).into_iter().enumerate() {
                if k > 0 {
                    line.push_str("\n\n");
                }
                line.push_str(&escape(&spaced(part)));
            }
        }
        Segment::Var(v) => line.push_str(&format!("{{{}}}", story.variables[v.index()].id)),
        Segment::If(b) => {
            let (c, then, otherwise) = &**b;
            line.push_str(&format!("{{if {}}}", condition(story, c)));
            let mut then = then;
            let mut otherwise = otherwise;
            loop {
                for s in then {
                    segment(story, line, s);
                }
                match otherwise.as_slice() {
                    [] => break,
                    // An `If` alone in the `else` is an `{elif}`.
                    [Segment::If(next)] => {
                        let (c, t, o) = &**next;
                        line.push_str(&format!("{{elif {}}}", condition(story, c)));
                        (then, otherwise) = (t, o);
                    }
                    rest => {
                        line.push_str("{else}");
                        for s in rest {
                            segment(story, line, s);
                        }
                        break;
                    }
                }
            }
            line.push_str("{end}");
        }
        Segment::Vary(v) => line.pieces.push(Piece::Vary(v.kind, &v.items)),
        // What a paragraph assumes is the author's, not a line to
        // translate: leaving it out keeps the line's derived id.
        Segment::Assume(_) => {}
        Segment::Tag(t) => match t.strip_prefix("line:") {
            Some(id) => line.id = Some(id.to_string()),
            None => line.tags.push(t.to_string()),
        },
    }
}

/// Braces of the text written as markup writes them.
fn escape(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// Six hex digits of a line's text: the part of a derived id that changes
/// with the text.
fn digest(text: &str) -> String {
    format!("{:06x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()) >> 40)
}

/// What every line of one text shares.
struct Context<'s> {
    story: &'s Story,
    scene: &'s str,
    kind: Kind,
    choice: Option<String>,
}

/// Lines with whether each id was written (`{#line:..}`) or derived.
#[derive(Default)]
struct Lines {
    lines: Vec<Line>,
    explicit: Vec<bool>,
}

impl Context<'_> {
    /// Adds a line and, after it, the lines of its variations' items. The
    /// derived id hashes the text with each item written as its place
    /// (`@hall.text.v1.2`), so that editing an item changes that item's
    /// id only; the text shown names the items' ids.
    fn emit(
        &self,
        draft: Draft<'_>,
        base: &str,
        parent: Option<&str>,
        inherited: &[String],
        out: &mut Lines,
    ) {
        let mut items = Lines::default();
        let mut own_tags = draft.tags.clone();
        own_tags.extend(inherited.iter().cloned());
        let (mut placed, mut named) = (String::new(), String::new());
        let mut n = 0;
        for piece in &draft.pieces {
            match piece {
                Piece::Text(t) => {
                    placed.push_str(t);
                    named.push_str(t);
                }
                Piece::Vary(kind, list) => {
                    n += 1;
                    let _ = write!(placed, "{{{}: ", kind.word());
                    let _ = write!(named, "{{{}: ", kind.word());
                    for (k, item) in list.iter().enumerate() {
                        if k > 0 {
                            placed.push_str(" | ");
                            named.push_str(" | ");
                        }
                        let item_base = format!("{base}.v{n}.{}", k + 1);
                        let mut line = Draft::default();
                        for s in item {
                            segment(self.story, &mut line, s);
                        }
                        line.trim();
                        let at = items.lines.len();
                        self.emit(line, &item_base, Some(base), &own_tags, &mut items);
                        let _ = write!(placed, "@{item_base}");
                        let _ = write!(named, "@{}", items.lines[at].id);
                    }
                    placed.push('}');
                    named.push('}');
                }
            }
        }
        let (id, explicit) = match draft.id {
            Some(id) => (id, true),
            None => (format!("{base}-{}", digest(&placed)), false),
        };
        // Items name the line they are in by its id, known only now.
        for item in &mut items.lines {
            if item.parent.as_deref() == Some(base) {
                item.parent = Some(id.clone());
            }
        }
        out.lines.push(Line {
            id,
            scene: self.scene.to_string(),
            kind: self.kind,
            choice: self.choice.clone(),
            parent: parent.map(str::to_string),
            tags: own_tags,
            text: named,
        });
        out.explicit.push(explicit);
        out.lines.extend(items.lines);
        out.explicit.extend(items.explicit);
    }
}

/// Derived ids that came out the same (a scene with two choices of one key
/// and text), or the same as a written one, get `~2`, `~3`…
fn unique_ids(out: &mut Lines) {
    let mut seen: HashSet<String> = out
        .lines
        .iter()
        .zip(&out.explicit)
        .filter(|(_, e)| **e)
        .map(|(l, _)| l.id.clone())
        .collect();
    for (line, explicit) in out.lines.iter_mut().zip(&out.explicit) {
        if *explicit {
            continue;
        }
        if seen.contains(&line.id) {
            let mut k = 2;
            while seen.contains(&format!("{}~{k}", line.id)) {
                k += 1;
            }
            line.id = format!("{}~{k}", line.id);
        }
        seen.insert(line.id.clone());
    }
}

/// A condition as markup: `has key and oil > 2`.
fn condition(story: &Story, c: &Condition) -> String {
    c.show(story)
}
