//! Hover: a scene's title, chapter, first lines and where it is reached
//! from and leads to; a variable's (flag's, item's, crew member's) bounds,
//! start and every place it is written and read; a check's chance with
//! each adjustment. The places come from the model's one visitor,
//! `Story::sites`.

use std::fmt::Write as _;

use lsp_server::ResponseError;
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::engine::State;
use crate::lsp::features::context::Context;
use crate::lsp::features::{At, at};
use crate::lsp::server::Server;
use crate::story::compile::Kind;
use crate::story::text::paragraphs;
use crate::story::{
    Action, Adjust, Change, Check, ChoiceId, CmpOp, Condition, Operand, Part, Place, SceneId, Site,
    Story,
};

/// Places listed per heading; the rest are counted.
const PLACES_SHOWN: usize = 8;
/// Characters of a scene's text shown.
const TEXT_SHOWN: usize = 280;

pub fn hover(server: &mut Server, params: HoverParams) -> Result<Option<Hover>, ResponseError> {
    let p = params.text_document_position_params;
    let Some(at) = at(server, &p.text_document.uri, p.position) else {
        return Ok(None);
    };
    let current = at.analysis.story();
    let story = current.or(at.project.last_good.as_ref()).map(|s| &**s);
    if let Some(o) = at.analysis.symbols.at(at.file, at.offset) {
        let symbol = at.analysis.symbols.symbol(o.symbol);
        let mut text = match story.and_then(|s| describe(s, symbol.kind, &symbol.name)) {
            Some(text) => text,
            None => format!(
                "{} `{}`: not declared anywhere in the story",
                symbol.kind.word(),
                symbol.name
            ),
        };
        if current.is_none() && story.is_some() {
            text.push_str(
                "\n\n*The story has errors: this is what the last version that compiled said.*",
            );
        }
        return Ok(Some(markdown(text, Some(at.analysis.range(o.span)))));
    }
    if let Some(story) = current
        && let Some(text) = check_under(story, &at)
    {
        return Ok(Some(markdown(text, None)));
    }
    Ok(None)
}

fn markdown(value: String, range: Option<lsp_types::Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range,
    }
}

/// What the story says of a name, in Markdown.
pub fn describe(story: &Story, kind: Kind, name: &str) -> Option<String> {
    match kind {
        Kind::Scene => story.scene_by_id(name).map(|s| scene(story, s)),
        Kind::Variable => story.var_by_id(name).map(|v| {
            let var = &story.variables[v.index()];
            let shown = if var.hidden {
                "hidden"
            } else {
                "shown in `status`"
            };
            let mut out = format!(
                "**{}** · variable `{}`\n\n{}..={}, starts at {}, {shown}\n",
                var.name, var.id, var.min, var.max, var.initial
            );
            uses(story, Part::Var(v), &mut out);
            out
        }),
        Kind::Flag => story.flag_by_id(name).map(|f| {
            let mut out = format!("flag `{}`\n", story.flags[f.index()].id);
            uses(story, Part::Flag(f), &mut out);
            out
        }),
        Kind::Item => story.item_by_id(name).map(|i| {
            let item = &story.items[i.index()];
            let held = if story.inventory.contains(&i) {
                "held at the start"
            } else {
                "not held at the start"
            };
            let mut out = format!("**{}** · item `{}`\n\n{held}\n", item.name, item.id);
            uses(story, Part::Item(i), &mut out);
            out
        }),
        Kind::Crew => story.crew_by_id(name).map(|c| {
            let crew = &story.crew[c.index()];
            let role = crew
                .role
                .as_ref()
                .map(|r| format!(", {r}"))
                .unwrap_or_default();
            let mut out = format!("**{}**{role} · crew `{}`\n", crew.name, crew.id);
            uses(story, Part::Crew(c), &mut out);
            out
        }),
        Kind::Ending => story.ending_by_id(name).map(|e| {
            let ending = story.ending(e);
            format!(
                "**{}** · {} ending `{}`, in scene `{}`",
                ending.title,
                ending.kind.label(),
                ending.id,
                story.scene(ending.scene).id
            )
        }),
    }
}

fn scene(story: &Story, id: SceneId) -> String {
    let scene = story.scene(id);
    let chapter = &story.chapters[scene.chapter.index()];
    let file = &story.sources.get(chapter.file).name;
    let mut out = format!(
        "**{}** · scene `{}`\n\nChapter: {} (`{file}`)\n",
        scene.title, scene.id, chapter.title
    );
    // The first lines as a player would read them at the story's start.
    let state = State::new(story, 0);
    let rendered = state.render(story, &scene.text);
    if let Some(first) = paragraphs(&rendered).first() {
        let mut shown: String = first.chars().take(TEXT_SHOWN).collect();
        if first.chars().count() > TEXT_SHOWN {
            shown.push('…');
        }
        let _ = write!(out, "\n> {shown}\n");
    }
    let mut from = Vec::new();
    if story.start == id {
        from.push("the start of the story".to_string());
    }
    story.sites(&mut |place, site| {
        if let Site::Goto(target) = site
            && target == id
        {
            from.push(place_label(story, place));
        }
    });
    let mut to = Vec::new();
    story.scene_sites(id, &mut |place, site| {
        if let Site::Goto(target) = site {
            to.push(format!(
                "{} → `{}`",
                choice_label(story, place),
                story.scene(target).id
            ));
        }
    });
    list(&mut out, "Reached from", &from);
    list(&mut out, "Leads to", &to);
    if let Some(e) = scene.ending {
        let ending = story.ending(e);
        let _ = write!(
            out,
            "\nEnding: **{}** ({})\n",
            ending.title,
            ending.kind.label()
        );
    }
    out
}

/// Where a part of the state is written and read.
fn uses(story: &Story, part: Part, out: &mut String) {
    let mut written = Vec::new();
    let mut read = Vec::new();
    story.sites(&mut |place, site| {
        if let Some(w) = site.writes()
            && w.part == part
        {
            let change = match w.change {
                Change::Add(n) => format!("{n:+}"),
                Change::To(n) => format!("= {n}"),
                Change::On => "on".to_string(),
                Change::Off => "off".to_string(),
            };
            written.push(format!("{} ({change})", place_label(story, place)));
        }
        let mut reads = false;
        site.reads(&mut |r| reads |= r.part() == part);
        if reads {
            read.push(format!(
                "{} ({})",
                place_label(story, place),
                site_word(&site)
            ));
        }
    });
    list(out, "Written", &written);
    list(out, "Read", &read);
}

fn site_word(site: &Site<'_>) -> &'static str {
    match site {
        Site::Text(_) => "text",
        Site::When(_) => "when",
        Site::Once(_) => "once",
        Site::Check(_) => "check",
        Site::Effect(_) => "Say",
        Site::Goto(_) => "goto",
        Site::Ending(_) => "ending",
        Site::Met(_) => "met",
        Site::Assume(_) => "assume",
        Site::Invariant(_) => "invariant",
    }
}

fn list(out: &mut String, heading: &str, places: &[String]) {
    if places.is_empty() {
        let _ = write!(out, "\n{heading}: nowhere\n");
        return;
    }
    let _ = write!(out, "\n{heading}:\n");
    for p in places.iter().take(PLACES_SHOWN) {
        let _ = writeln!(out, "- {p}");
    }
    if places.len() > PLACES_SHOWN {
        let _ = writeln!(out, "- and {} more", places.len() - PLACES_SHOWN);
    }
}

/// `shore` or `flats` › `run` (failure).
fn place_label(story: &Story, place: Place) -> String {
    let scene = format!("`{}`", story.scene(place.scene).id);
    match place.choice {
        Some(_) => format!("{scene} › {}", choice_label(story, place)),
        None => scene,
    }
}

fn choice_label(story: &Story, place: Place) -> String {
    let Some(c) = place.choice else {
        return "on entering".to_string();
    };
    let key = format!("`{}`", story.choice(c).key);
    match place.branch {
        Some(true) => format!("{key} (success)"),
        Some(false) => format!("{key} (failure)"),
        None => key,
    }
}

/// The check of the choice the cursor is in, when it is in its `check`.
fn check_under(story: &Story, at: &At<'_>) -> Option<String> {
    let text = at.analysis.text(at.file);
    let cx = Context::at(text, at.offset);
    if !cx
        .frames
        .iter()
        .any(|f| f.label.as_deref() == Some("check"))
    {
        return None;
    }
    // The choice whose key is the last before the cursor in this file.
    let choice = story
        .choices
        .iter()
        .enumerate()
        .filter(|(_, c)| c.span.file == at.file && c.span.start <= at.offset)
        .max_by_key(|(_, c)| c.span.start)
        .map(|(i, _)| ChoiceId(i as u32))?;
    let c = story.choice(choice);
    let Action::Check(check) = &c.action else {
        return None;
    };
    Some(chance(story, check, &c.key))
}

/// A check's chance: its base, each adjustment, the range it can take and
/// what it is at the story's start.
fn chance(story: &Story, check: &Check, key: &str) -> String {
    let mut out = format!("**Check** of `{key}`: {}% base\n\n", check.chance);
    let (mut low, mut high) = (check.chance, check.chance);
    for a in &check.adjust {
        match a {
            Adjust::Per(v, k) => {
                let var = &story.variables[v.index()];
                let (x, y) = (k.saturating_mul(var.min), k.saturating_mul(var.max));
                let (x, y) = (x.min(y), x.max(y));
                low = low.saturating_add(x);
                high = high.saturating_add(y);
                let _ = writeln!(
                    out,
                    "- {k:+} per point of `{}` ({}..={}: {x:+}..={y:+})",
                    var.id, var.min, var.max
                );
            }
            Adjust::When(cond, n) => {
                low = low.saturating_add((*n).min(0));
                high = high.saturating_add((*n).max(0));
                let _ = writeln!(out, "- {n:+} while `{}`", condition(story, cond));
            }
        }
    }
    let now = State::new(story, 0).chance(story, check);
    let _ = write!(
        out,
        "\nChance: {}%..={}%; at the start of the story: {now}%",
        low.clamp(0, 100),
        high.clamp(0, 100)
    );
    out
}

/// A condition written back as an author writes it.
pub fn condition(story: &Story, c: &Condition) -> String {
    let operand = |o: &Operand| match o {
        Operand::Const(n) => n.to_string(),
        Operand::Var(v) => story.variables[v.index()].id.clone(),
        Operand::Visits(s) => format!("visits({})", story.scene(*s).id),
    };
    let joined = |cs: &[Condition], word: &str| {
        cs.iter()
            .map(|c| match c {
                Condition::All(_) | Condition::Any(_) => format!("({})", condition(story, c)),
                Condition::True
                | Condition::False
                | Condition::Flag(_)
                | Condition::Has(_)
                | Condition::Alive(_)
                | Condition::Cmp(..)
                | Condition::Not(_) => condition(story, c),
            })
            .collect::<Vec<_>>()
            .join(word)
    };
    match c {
        Condition::True => "true".to_string(),
        Condition::False => "false".to_string(),
        Condition::Flag(f) => story.flags[f.index()].id.clone(),
        Condition::Has(i) => format!("has {}", story.items[i.index()].id),
        Condition::Alive(x) => format!("alive {}", story.crew[x.index()].id),
        Condition::Cmp(a, op, b) => {
            let op = match op {
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge | CmpOp::Eq | CmpOp::Ne => {
                    op.symbol()
                }
            };
            format!("{} {op} {}", operand(a), operand(b))
        }
        Condition::Not(inner) => {
            if let Condition::Alive(x) = &**inner {
                format!("dead {}", story.crew[x.index()].id)
            } else {
                format!("not {}", condition(story, inner))
            }
        }
        Condition::All(cs) => joined(cs, " and "),
        Condition::Any(cs) => joined(cs, " or "),
    }
}
