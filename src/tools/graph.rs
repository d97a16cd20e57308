//! `callister graph`: the scene graph as Graphviz or Mermaid.
//!
//! Top to bottom, one box per chapter, each ending inside the chapter of
//! its scene. An edge whose choice has a condition is dashed; a `once`
//! choice is marked `(once)`; a random check's two edges are labelled
//! with their base chance. A view can be the whole story, one chapter
//! (`--chapter`: the scenes it comes from and leads to drawn as small
//! stubs) or the scenes near one (`--around`). With a coverage overlay,
//! scenes the explorer never reached are highlighted.
#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::story::diagnostic;
use crate::story::{Action, EndingKind, SceneId, Story};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    Dot,
    Mermaid,
}

/// Which scenes a graph draws: in full, or as a stub (a scene of another
/// part of the story that a drawn scene leads to or comes from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    shown: Vec<bool>,
}

impl View {
    /// Every scene.
    pub fn all(story: &Story) -> View {
        View {
            shown: vec![true; story.scenes.len()],
        }
    }

    /// The scenes of one chapter, named by its title or its file's stem
    /// (`act2` for `act2.ron`), either in any case.
    pub fn chapter(story: &Story, name: &str) -> Result<View, String> {
        let names: Vec<(String, String)> = story
            .chapters
            .iter()
            .map(|c| (c.title.clone(), stem(story, c.file)))
            .collect();
        let Some(at) = names.iter().position(|(title, stem)| {
            title.eq_ignore_ascii_case(name) || stem.eq_ignore_ascii_case(name)
        }) else {
            let near = diagnostic::suggest(
                name,
                names.iter().flat_map(|(t, s)| [t.as_str(), s.as_str()]),
            );
            let listed: Vec<String> = names.iter().map(|(_, s)| format!("`{s}`")).collect();
            return Err(match near {
                Some(n) => format!("no chapter `{name}`: did you mean `{n}`?"),
                None => format!("no chapter `{name}` (chapters: {})", listed.join(", ")),
            });
        };
        Ok(View {
            shown: story
                .scenes
                .iter()
                .map(|s| s.chapter.index() == at)
                .collect(),
        })
    }

    /// The scenes at most `depth` choices from `scene`, either way.
    pub fn around(story: &Story, scene: &str, depth: usize) -> Result<View, String> {
        let Some(from) = story.scene_by_id(scene) else {
            let near = diagnostic::suggest(scene, story.scenes.iter().map(|s| s.id.as_str()));
            return Err(match near {
                Some(n) => format!("unknown scene `{scene}`: did you mean `{n}`?"),
                None => format!("unknown scene `{scene}`"),
            });
        };
        let (succ, pred) = neighbours(story);
        let mut distance = vec![usize::MAX; story.scenes.len()];
        distance[from.index()] = 0;
        let mut queue = VecDeque::from([from.index()]);
        while let Some(s) = queue.pop_front() {
            if distance[s] == depth {
                continue;
            }
            for &t in succ[s].iter().chain(&pred[s]) {
                if distance[t] == usize::MAX {
                    distance[t] = distance[s] + 1;
                    queue.push_back(t);
                }
            }
        }
        Ok(View {
            shown: distance.iter().map(|&d| d != usize::MAX).collect(),
        })
    }

    /// Whether a scene is drawn in full.
    pub fn shows(&self, scene: SceneId) -> bool {
        self.shown[scene.index()]
    }
}

/// Renders the whole graph; `unreached` marks scenes to highlight.
pub fn render(story: &Story, format: Format, unreached: Option<&[bool]>) -> String {
    render_view(story, format, &View::all(story), unreached)
}

/// Renders the scenes of a view, with stubs for the scenes beyond it.
pub fn render_view(
    story: &Story,
    format: Format,
    view: &View,
    unreached: Option<&[bool]>,
) -> String {
    let graph = Graph::new(story, view);
    match format {
        Format::Dot => dot(story, &graph, unreached),
        Format::Mermaid => mermaid(story, &graph, unreached),
    }
}

/// One edge: from, to, its label (the key, a check's chance, `(once)`),
/// and whether a condition guards it (dashed).
struct Edge {
    from: usize,
    to: usize,
    label: String,
    dashed: bool,
}

/// What a view draws: its scenes, its stubs, and the edges with a drawn
/// scene at one end at least.
struct Graph {
    shown: Vec<bool>,
    stub: Vec<bool>,
    edges: Vec<Edge>,
}

impl Graph {
    fn new(story: &Story, view: &View) -> Graph {
        let mut stub = vec![false; story.scenes.len()];
        let mut edges = Vec::new();
        for e in merged(all_edges(story)) {
            let (a, b) = (view.shown[e.from], view.shown[e.to]);
            if !a && !b {
                continue;
            }
            if !a {
                stub[e.from] = true;
            }
            if !b {
                stub[e.to] = true;
            }
            edges.push(e);
        }
        Graph {
            shown: view.shown.clone(),
            stub,
            edges,
        }
    }
}

fn all_edges(story: &Story) -> Vec<Edge> {
    let mut out = Vec::new();
    for (i, scene) in story.scenes.iter().enumerate() {
        for &c in &scene.choices {
            let choice = story.choice(c);
            let dashed = choice.when.is_some();
            let once = if choice.once { " (once)" } else { "" };
            match &choice.action {
                Action::Goto(t) => out.push(Edge {
                    from: i,
                    to: t.index(),
                    label: format!("{}{once}", choice.key),
                    dashed,
                }),
                // A tunnel is drawn into the scene it enters, and each of
                // its `return`s back to where it can come back to.
                Action::Tunnel { into, .. } => out.push(Edge {
                    from: i,
                    to: into.index(),
                    label: format!("{} tunnel{once}", choice.key),
                    dashed,
                }),
                Action::Return(r) => {
                    for t in &r.to {
                        out.push(Edge {
                            from: i,
                            to: t.index(),
                            label: format!("{} return{once}", choice.key),
                            dashed,
                        });
                    }
                }
                Action::Check(check) => {
                    out.push(Edge {
                        from: i,
                        to: check.success.goto.index(),
                        label: format!("{} {}%{once}", choice.key, check.chance),
                        dashed,
                    });
                    out.push(Edge {
                        from: i,
                        to: check.failure.goto.index(),
                        label: format!("{} fail {}%{once}", choice.key, 100 - check.chance),
                        dashed,
                    });
                }
            }
        }
    }
    out
}

/// Edges between the same two scenes as one, their labels joined: dashed
/// only if every one of them is.
fn merged(edges: Vec<Edge>) -> Vec<Edge> {
    let mut out: Vec<Edge> = Vec::with_capacity(edges.len());
    let mut at: std::collections::HashMap<(usize, usize), usize> = Default::default();
    for e in edges {
        match at.get(&(e.from, e.to)) {
            Some(&i) => {
                let kept = &mut out[i];
                kept.label.push('\n');
                kept.label.push_str(&e.label);
                kept.dashed &= e.dashed;
            }
            None => {
                at.insert((e.from, e.to), out.len());
                out.push(e);
            }
        }
    }
    out
}

/// Each scene's successors and predecessors by the graph.
fn neighbours(story: &Story) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut succ = vec![Vec::new(); story.scenes.len()];
    let mut pred = vec![Vec::new(); story.scenes.len()];
    for e in all_edges(story) {
        succ[e.from].push(e.to);
        pred[e.to].push(e.from);
    }
    (succ, pred)
}

/// A chapter file's name without its directory and extension.
fn stem(story: &Story, file: crate::story::source::FileId) -> String {
    let name = &story.sources.get(file).name;
    std::path::Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name)
        .to_string()
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn colour(kind: EndingKind) -> &'static str {
    match kind {
        EndingKind::Good => "#b3e6b3",
        EndingKind::Bittersweet => "#ffe699",
        EndingKind::Bad => "#e6b3b3",
    }
}

fn dot(story: &Story, g: &Graph, unreached: Option<&[bool]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph story {{");
    let _ = writeln!(out, "  label=\"{}\";", escape(&story.title));
    let _ = writeln!(
        out,
        "  rankdir=TB;\n  newrank=true;\n  nodesep=0.2;\n  ranksep=0.35;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];"
    );
    let missed = |i: usize| unreached.is_some_and(|u| u[i]);
    for (ci, chapter) in story.chapters.iter().enumerate() {
        let members: Vec<usize> = (0..story.scenes.len())
            .filter(|&i| g.shown[i] && story.scenes[i].chapter.index() == ci)
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  subgraph cluster_{ci} {{");
        let _ = writeln!(out, "    label=\"{}\";", escape(&chapter.title));
        for i in members {
            let scene = &story.scenes[i];
            match scene.ending {
                Some(e) => {
                    let ending = story.ending(e);
                    let border = if missed(i) {
                        ", color=red, penwidth=3"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        out,
                        "    s{i} [shape=doubleoctagon, style=filled, fillcolor=\"{}\", label=\"{}\\n({})\"{border}];",
                        colour(ending.kind),
                        escape(&ending.title),
                        ending.kind.label()
                    );
                }
                None => {
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
            }
        }
        let _ = writeln!(out, "  }}");
    }
    for (i, scene) in story.scenes.iter().enumerate() {
        if g.stub[i] {
            let _ = writeln!(
                out,
                "  s{i} [shape=plain, style=\"\", fontsize=9, fontcolor=\"#666666\", label=\"{} ({})\"];",
                escape(&scene.id),
                escape(&story.chapters[scene.chapter.index()].title)
            );
        }
    }
    // Labels beside the edges (`xlabel`), not on them: they then take no
    // room in the layout, which keeps the graph narrow.
    for e in &g.edges {
        let style = if e.dashed { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  s{} -> s{} [xlabel=\"{}\"{style}];",
            e.from,
            e.to,
            escape(&e.label)
        );
    }
    let _ = writeln!(out, "}}");
    out
}

fn mermaid(story: &Story, g: &Graph, unreached: Option<&[bool]>) -> String {
    let clean = |s: &str| {
        s.replace(['"', '[', ']', '(', ')', '{', '}', '|'], "'")
            .replace('\n', ", ")
    };
    let mut out = String::from("flowchart TB\n");
    for (ci, chapter) in story.chapters.iter().enumerate() {
        let members: Vec<usize> = (0..story.scenes.len())
            .filter(|&i| g.shown[i] && story.scenes[i].chapter.index() == ci)
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  subgraph c{ci}[\"{}\"]", clean(&chapter.title));
        for i in members {
            let scene = &story.scenes[i];
            match scene.ending {
                Some(e) => {
                    let ending = story.ending(e);
                    let _ = writeln!(
                        out,
                        "    s{i}{{{{\"{} ({})\"}}}}",
                        clean(&ending.title),
                        ending.kind.label()
                    );
                }
                None => {
                    let _ = writeln!(out, "    s{i}[\"{}\"]", clean(&scene.title));
                }
            }
        }
        let _ = writeln!(out, "  end");
    }
    for (i, scene) in story.scenes.iter().enumerate() {
        if g.stub[i] {
            let _ = writeln!(
                out,
                "  s{i}>\"{} ({})\"]",
                clean(&scene.id),
                clean(&story.chapters[scene.chapter.index()].title)
            );
        }
    }
    for e in &g.edges {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        let _ = writeln!(out, "  s{} {arrow}|{}| s{}", e.from, clean(&e.label), e.to);
    }
    let _ = writeln!(
        out,
        "  classDef good fill:#b3e6b3\n  classDef bittersweet fill:#ffe699\n  classDef bad fill:#e6b3b3\n  classDef stub fill:#f4f4f4,stroke:#999,color:#666,font-size:11px\n  classDef unreached fill:#ffb3b3,stroke:#f00,stroke-width:3px"
    );
    for (i, scene) in story.scenes.iter().enumerate() {
        if g.shown[i]
            && let Some(e) = scene.ending
        {
            let _ = writeln!(out, "  class s{i} {}", story.ending(e).kind.label());
        }
        if g.stub[i] {
            let _ = writeln!(out, "  class s{i} stub");
        }
        if (g.shown[i] || g.stub[i]) && unreached.is_some_and(|u| u[i]) {
            let _ = writeln!(out, "  class s{i} unreached");
        }
    }
    out
}
