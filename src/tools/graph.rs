//! `callister graph`: the scene graph as Graphviz or Mermaid.
//!
//! Scenes are nodes grouped by chapter; endings are drawn apart; an edge
//! whose choice has a condition is dashed; a random check's two edges are
//! labelled with their base chance. With a coverage overlay, scenes the
//! explorer never reached are highlighted.

use std::fmt::Write as _;

use crate::story::{Action, EndingKind, Story};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    Dot,
    Mermaid,
}

/// One edge: from, to, label, dashed.
fn edges(story: &Story) -> Vec<(usize, usize, String, bool)> {
    let mut out = Vec::new();
    for (i, scene) in story.scenes.iter().enumerate() {
        for &c in &scene.choices {
            let choice = story.choice(c);
            let dashed = choice.when.is_some();
            match &choice.action {
                Action::Goto(t) => out.push((i, t.index(), choice.key.clone(), dashed)),
                // A tunnel is drawn into the scene it enters, and each of
                // its `return`s back to where it can come back to.
                Action::Tunnel { into, .. } => out.push((
                    i,
                    into.index(),
                    format!("{} tunnel", choice.key),
                    dashed,
                )),
                Action::Return(r) => {
                    for t in &r.to {
                        out.push((i, t.index(), format!("{} return", choice.key), dashed));
                    }
                }
                Action::Check(check) => {
                    out.push((
                        i,
                        check.success.goto.index(),
                        format!("{} {}%", choice.key, check.chance),
                        dashed,
                    ));
                    out.push((
                        i,
                        check.failure.goto.index(),
                        format!("{} fail {}%", choice.key, 100 - check.chance),
                        dashed,
                    ));
                }
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Renders the graph; `unreached` marks scenes to highlight.
pub fn render(story: &Story, format: Format, unreached: Option<&[bool]>) -> String {
    match format {
        Format::Dot => dot(story, unreached),
        Format::Mermaid => mermaid(story, unreached),
    }
}

fn dot(story: &Story, unreached: Option<&[bool]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph story {{");
    let _ = writeln!(out, "  label=\"{}\";", escape(&story.title));
    let _ = writeln!(
        out,
        "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
    );
    let missed = |i: usize| unreached.is_some_and(|u| u[i]);
    for (ci, chapter) in story.chapters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{ci} {{");
        let _ = writeln!(out, "    label=\"{}\";", escape(&chapter.title));
        for (i, scene) in story.scenes.iter().enumerate() {
            if scene.chapter.index() != ci || scene.ending.is_some() {
                continue;
            }
            let fill = if missed(i) {
                ", style=\"rounded,filled\", fillcolor=\"#ffb3b3\""
            } else {
                ""
            };
            let start = if story.start.index() == i {
                ", penwidth=2"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    s{i} [label=\"{}\\n{}\"{fill}{start}];",
                escape(&scene.title),
                escape(&scene.id)
            );
        }
        let _ = writeln!(out, "  }}");
    }
    let _ = writeln!(out, "  subgraph cluster_endings {{\n    label=\"Endings\";");
    for (i, scene) in story.scenes.iter().enumerate() {
        let Some(e) = scene.ending else { continue };
        let ending = story.ending(e);
        let color = match ending.kind {
            EndingKind::Good => "#b3e6b3",
            EndingKind::Bittersweet => "#ffe699",
            EndingKind::Bad => "#e6b3b3",
        };
        let border = if missed(i) {
            ", color=red, penwidth=3"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    s{i} [shape=doubleoctagon, style=filled, fillcolor=\"{color}\", label=\"{}\\n({})\"{border}];",
            escape(&ending.title),
            ending.kind.label()
        );
    }
    let _ = writeln!(out, "  }}");
    for (a, b, label, dashed) in edges(story) {
        let style = if dashed { ", style=dashed" } else { "" };
        let _ = writeln!(out, "  s{a} -> s{b} [label=\"{}\"{style}];", escape(&label));
    }
    let _ = writeln!(out, "}}");
    out
}

fn mermaid(story: &Story, unreached: Option<&[bool]>) -> String {
    let clean = |s: &str| s.replace(['"', '[', ']', '(', ')', '{', '}', '|'], "'");
    let mut out = String::from("flowchart LR\n");
    for (ci, chapter) in story.chapters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph c{ci}[\"{}\"]", clean(&chapter.title));
        for (i, scene) in story.scenes.iter().enumerate() {
            if scene.chapter.index() == ci && scene.ending.is_none() {
                let _ = writeln!(out, "    s{i}[\"{}\"]", clean(&scene.title));
            }
        }
        let _ = writeln!(out, "  end");
    }
    let _ = writeln!(out, "  subgraph endings[\"Endings\"]");
    for (i, scene) in story.scenes.iter().enumerate() {
        if let Some(e) = scene.ending {
            let ending = story.ending(e);
            let _ = writeln!(
                out,
                "    s{i}{{{{\"{} ({})\"}}}}",
                clean(&ending.title),
                ending.kind.label()
            );
        }
    }
    let _ = writeln!(out, "  end");
    for (a, b, label, dashed) in edges(story) {
        let arrow = if dashed { "-.->" } else { "-->" };
        let _ = writeln!(out, "  s{a} {arrow}|{}| s{b}", clean(&label));
    }
    let _ = writeln!(
        out,
        "  classDef good fill:#b3e6b3\n  classDef bittersweet fill:#ffe699\n  classDef bad fill:#e6b3b3\n  classDef unreached fill:#ffb3b3,stroke:#f00,stroke-width:3px"
    );
    for (i, scene) in story.scenes.iter().enumerate() {
        if let Some(e) = scene.ending {
            let _ = writeln!(out, "  class s{i} {}", story.ending(e).kind.label());
        }
        if unreached.is_some_and(|u| u[i]) {
            let _ = writeln!(out, "  class s{i} unreached");
        }
    }
    out
}
