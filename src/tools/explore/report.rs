//! What an exploration found, for people (text) and for programs (JSON),
//! and the plans it writes.
#![deny(clippy::wildcard_enum_match_arm)]

use std::path::Path;

use crate::story::Story;
use crate::story::source::Span;
use crate::tools::explore::{self, RandomReport, Report};

pub fn write_plans(
    story: &Story,
    report: &Report,
    dir: &Path,
    from: Option<&str>,
    set: &[String],
) -> std::io::Result<()> {
    // The directory is the user's to name, but not one that a story
    // repository's symbolic link leads out of; each plan is written
    // atomically and never through a link (`fsio`).
    crate::fsio::check_confined(dir)?;
    std::fs::create_dir_all(dir)?;
    for (&e, steps) in &report.endings {
        let ending = &story.endings[e];
        let mut plan = explore::plan_for(story, steps, from, Some(&ending.id));
        plan.set = set.to_vec();
        let text = plan.to_ron().map_err(std::io::Error::other)?;
        let path = dir.join(format!("{}.plan.ron", ending.id));
        crate::fsio::write_atomic(&path, crate::fsio::Access::Shared, |w| {
            w.write_all(text.as_bytes())
        })
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("`{}`: {e}", path.file_name().unwrap_or_default().display()),
            )
        })?;
    }
    Ok(())
}

pub fn render(
    story: &Story,
    r: &Report,
    elapsed: std::time::Duration,
    plans: Option<&Path>,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let count = |v: &[bool]| v.iter().filter(|&&b| b).count();
    let _ = writeln!(
        out,
        "explored {} states in {:.2}s: {}",
        r.states,
        elapsed.as_secs_f64(),
        if r.complete {
            "complete".to_string()
        } else {
            "cut off at --max-states; coverage below is a lower bound".to_string()
        }
    );
    let _ = writeln!(
        out,
        "scenes:  {}/{}",
        count(&r.scenes_reached),
        story.scenes.len()
    );
    let _ = writeln!(
        out,
        "choices: {}/{}",
        count(&r.choices_taken),
        story.choices.len()
    );
    let _ = writeln!(out, "endings: {}/{}", r.endings.len(), story.endings.len());
    for (i, scene) in story.scenes.iter().enumerate() {
        if !r.scenes_reached[i] {
            let _ = writeln!(
                out,
                "  unreached scene `{}` at {}",
                scene.id,
                location(story, scene.span)
            );
        }
    }
    for (i, choice) in story.choices.iter().enumerate() {
        if !r.choices_taken[i] && r.scenes_reached[choice.scene.index()] {
            let _ = writeln!(
                out,
                "  never open: choice `{}` of `{}` at {}",
                choice.key,
                story.scene(choice.scene).id,
                location(story, choice.span)
            );
        }
    }
    for (i, ending) in story.endings.iter().enumerate() {
        match r.endings.get(&i) {
            Some(path) => {
                let _ = writeln!(
                    out,
                    "  ending `{}`: shortest path {}",
                    ending.id,
                    plural(path.len(), "step")
                );
            }
            None => {
                let _ = writeln!(out, "  ending `{}` never reached", ending.id);
            }
        }
    }
    if r.soft_locks.is_empty() {
        let _ = writeln!(out, "soft-locks: none");
    } else {
        let _ = writeln!(out, "soft-locks: {}", r.soft_locks.len());
        for (scene, path) in &r.soft_locks {
            let plan = explore::plan_for(story, path, None, None);
            let _ = writeln!(
                out,
                "  `{}` at {}: no choice is open; reached by {}",
                story.scene(*scene).id,
                location(story, story.scene(*scene).span),
                plan.choices.join(" ")
            );
        }
    }
    if !r.frontier.is_empty() {
        let _ = writeln!(
            out,
            "where the states pile up (waiting when the walk was cut off):"
        );
        for crowd in &r.frontier {
            let scene = story.scene(crowd.scene);
            let parts: Vec<String> = crowd
                .varying
                .iter()
                .take(6)
                .map(|v| match (v.variable, v.ahead) {
                    (true, Some(ahead)) => format!(
                        "{} ({} values; {} told apart ahead)",
                        v.part, v.values, ahead
                    ),
                    (true, None) => format!("{} ({} values, all told apart)", v.part, v.values),
                    (false, _) if v.values == 2 => v.part.clone(),
                    (false, _) => format!("{} ({} values)", v.part, v.values),
                })
                .collect();
            let _ = writeln!(
                out,
                "  `{}` at {}: {}, apart in: {}",
                scene.id,
                location(story, scene.span),
                plural(crowd.states, "state"),
                parts.join(", ")
            );
        }
    }
    if let Some(dir) = plans {
        let _ = writeln!(
            out,
            "wrote {} to {}",
            plural(r.endings.len(), "plan"),
            dir.display()
        );
    }
    out
}

pub fn to_json(story: &Story, r: &Report, secs: f64) -> String {
    let ids = |v: &[bool], f: &dyn Fn(usize) -> String| -> Vec<String> {
        v.iter()
            .enumerate()
            .filter(|(_, b)| !**b)
            .map(|(i, _)| f(i))
            .collect()
    };
    let value = serde_json::json!({
        "states": r.states,
        "complete": r.complete,
        "dedup_bytes": r.dedup_bytes,
        "seconds": secs,
        "scenes": {"reached": r.scenes_reached.iter().filter(|b| **b).count(), "total": story.scenes.len(),
            "unreached": ids(&r.scenes_reached, &|i| story.scenes[i].id.clone())},
        "choices": {"taken": r.choices_taken.iter().filter(|b| **b).count(), "total": story.choices.len(),
            "never_open": story.choices.iter().enumerate()
                .filter(|(i, c)| !r.choices_taken[*i] && r.scenes_reached[c.scene.index()])
                .map(|(_, c)| format!("{}.{}", story.scene(c.scene).id, c.key))
                .collect::<Vec<_>>()},
        "endings": story.endings.iter().enumerate().map(|(i, e)| serde_json::json!({
            "id": e.id,
            "reached": r.endings.contains_key(&i),
            "shortest": r.endings.get(&i).map(|p| explore::plan_for(story, p, None, None).choices),
        })).collect::<Vec<_>>(),
        "soft_locks": r.soft_locks.iter().map(|(s, p)| serde_json::json!({
            "scene": story.scene(*s).id,
            "path": explore::plan_for(story, p, None, None).choices,
        })).collect::<Vec<_>>(),
        "states_per_scene": story.scenes.iter().zip(&r.scene_states)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s.id.clone(), serde_json::Value::from(*n)))
            .collect::<serde_json::Map<_, _>>(),
        "crowded": r.frontier.iter().map(|c| serde_json::json!({
            "scene": story.scene(c.scene).id,
            "states": c.states,
            "varying": c.varying.iter().map(|v| serde_json::json!({"part": v.part, "values": v.values, "told_apart_ahead": v.ahead})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    value.to_string()
}

pub fn render_random(story: &Story, r: &RandomReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} random playthroughs: {} stuck, {} stopped after {} steps",
        r.runs,
        r.stuck,
        r.unfinished,
        explore::RANDOM_STEP_CAP
    );
    let _ = writeln!(out, "scene hits:");
    for (i, scene) in story.scenes.iter().enumerate() {
        let _ = writeln!(out, "  {:>8}  {}", r.scene_hits[i], scene.id);
    }
    let _ = writeln!(out, "endings:");
    for e in &r.endings {
        let _ = writeln!(out, "  {} — {} runs", e.ending, e.runs);
        for (var, min, mean, max) in &e.vars {
            let _ = writeln!(out, "      {var}: min {min}, mean {mean:.1}, max {max}");
        }
    }
    out
}

pub(crate) fn location(story: &Story, span: Span) -> String {
    let source = story.sources.get(span.file);
    let (line, col) = source.line_col(span.start);
    format!("{}:{line}:{col}", source.name)
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
