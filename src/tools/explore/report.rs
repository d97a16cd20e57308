//! What an exploration found, for people (text) and for programs (JSON),
//! and the plans it writes.
#![deny(clippy::wildcard_enum_match_arm)]

use std::path::Path;

use crate::story::source::Span;
use crate::story::{SceneId, Story};
use crate::tools::explore::{self, Cut, PathStep, RandomReport, Report, Rule, SoftLock};

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
    let mut plans: Vec<(String, &[PathStep], Option<&str>)> = report
        .endings
        .iter()
        .map(|(&e, steps)| {
            let id = story.endings[e].id.as_str();
            (id.to_string(), steps.as_slice(), Some(id))
        })
        .collect();
    for (i, v) in report.violations.iter().enumerate() {
        let ending = story
            .scene(v.scene)
            .ending
            .map(|e| story.ending(e).id.as_str());
        plans.push((broken_plan(i), &v.path, ending));
    }
    if let Some(Some(steps)) = &report.witness {
        plans.push(("witness".to_string(), steps, None));
    }
    for (name, steps, ending) in plans {
        let mut plan = explore::plan_for(story, steps, from, ending);
        plan.set = set.to_vec();
        let text = plan.to_ron().map_err(std::io::Error::other)?;
        let path = dir.join(format!("{name}.plan.ron"));
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

/// The name of the plan of the `i`th violation (from 0), without `.plan.ron`.
pub fn broken_plan(i: usize) -> String {
    format!("broken-{}", i + 1)
}

/// What the walk proved of the invariants and assumptions, and of a
/// witness; empty when the story states none and none was asked for.
fn render_rules(story: &Story, r: &Report, asked: &Asked<'_>, plans: Option<&Path>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let witness = asked.witness;
    let scenes = asked
        .scenes
        .map(|d| format!(" --scenes {}", d.display()))
        .unwrap_or_default();
    if r.rules > 0 {
        let kept = r.rules - r.violations.len();
        if r.violations.is_empty() {
            let _ = writeln!(
                out,
                "invariants and assumptions: {} checked, {}",
                r.rules,
                if r.complete {
                    "none broken"
                } else {
                    "none broken before the cut-off"
                }
            );
        } else {
            let _ = writeln!(
                out,
                "invariants and assumptions: {} broken, {kept} held",
                r.violations.len()
            );
        }
        for (i, v) in r.violations.iter().enumerate() {
            let (when, at) = (v.when.show(story), location(story, v.span));
            let _ = match v.rule {
                Rule::Invariant => writeln!(
                    out,
                    "  invariant `{when}` at {at} is broken in `{}`",
                    story.scene(v.scene).id
                ),
                Rule::Assumption(s) => writeln!(
                    out,
                    "  `{}` assumes `{when}` at {at}, which does not hold there",
                    story.scene(s).id
                ),
            };
            let _ = writeln!(out, "    shortest playthrough: {}", steps(story, &v.path));
            if let Some(dir) = plans {
                let _ = writeln!(
                    out,
                    "    replay it: callister replay {}{scenes}",
                    dir.join(format!("{}.plan.ron", broken_plan(i))).display()
                );
            }
        }
    }
    if let (Some(cond), Some(found)) = (witness, &r.witness) {
        match found {
            Some(path) => {
                let _ = writeln!(
                    out,
                    "witness `{cond}`: shortest playthrough ({}): {}",
                    plural(path.len(), "step"),
                    steps(story, path)
                );
                if let Some(dir) = plans {
                    let _ = writeln!(
                        out,
                        "  replay it: callister replay {}{scenes}",
                        dir.join("witness.plan.ron").display()
                    );
                }
            }
            None if r.complete => {
                let _ = writeln!(
                    out,
                    "witness `{cond}`: no reachable state has it (the walk was complete: this is a proof)"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "witness `{cond}`: none found before the cut-off (not a proof: raise --max-states or --max-memory)"
                );
            }
        }
    }
    out
}

/// What the command line asked of a walk, for its report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    /// The witness condition, as typed.
    pub witness: Option<&'a str>,
    /// The story directory, for the `replay` commands the report shows
    /// (`None`: the shipped story, which `replay` reads by default).
    pub scenes: Option<&'a Path>,
}

/// The report as text.
pub fn render(
    story: &Story,
    r: &Report,
    elapsed: std::time::Duration,
    plans: Option<&Path>,
    asked: &Asked<'_>,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let count = |v: &[bool]| v.iter().filter(|&&b| b).count();
    if let Some(cut) = r.cut {
        let _ = writeln!(
            out,
            "cut off {} after {}; what follows is what was reached before the cut-off",
            match cut {
                Cut::States(n) => format!("at --max-states {n}"),
                Cut::Memory(bytes) => format!(
                    "at the memory budget of {} (raise it with --max-memory)",
                    size(bytes)
                ),
            },
            plural(r.states, "state"),
        );
    }
    let _ = writeln!(
        out,
        "explored {} states in {:.2}s: {}",
        r.states,
        elapsed.as_secs_f64(),
        if r.complete { "complete" } else { "cut off" }
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
    let (unreached, never, not_reached) = if r.complete {
        ("unreached", "never open:", "never reached")
    } else {
        (
            "not reached before the cut-off:",
            "not open before the cut-off:",
            "not reached before the cut-off",
        )
    };
    for (i, scene) in story.scenes.iter().enumerate() {
        if !r.scenes_reached[i] {
            let _ = writeln!(
                out,
                "  {unreached} scene `{}` at {}",
                scene.id,
                location(story, scene.span)
            );
        }
    }
    for (i, choice) in story.choices.iter().enumerate() {
        if !r.choices_taken[i] && r.scenes_reached[choice.scene.index()] {
            let _ = writeln!(
                out,
                "  {never} choice `{}` of `{}` at {}",
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
                let _ = writeln!(out, "  ending `{}` {not_reached}", ending.id);
            }
        }
    }
    if r.soft_locks.is_empty() {
        let _ = writeln!(out, "soft-locks: none");
    } else {
        let _ = writeln!(
            out,
            "soft-locks: {} (regions where no ending can be reached)",
            r.soft_locks.len()
        );
        for lock in &r.soft_locks {
            let entry = lock.cycle.first().map_or(lock.scenes[0], |c| c.0);
            let _ = writeln!(
                out,
                "  {} at {}: {}, no ending reachable",
                names(story, &lock.scenes),
                location(story, story.scene(entry).span),
                plural(lock.states, "state")
            );
            let _ = writeln!(out, "    reached by: {}", steps(story, &lock.path));
            let _ = writeln!(out, "    {}", no_return(story, lock));
            let _ = writeln!(out, "    caught in: {}", caught(story, lock));
        }
    }
    out.push_str(&render_rules(story, r, asked, plans));
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
            for l in &crowd.loops {
                let _ = writeln!(out, "    {}", growing(story, l));
            }
        }
    }
    if let Some(dir) = plans {
        let _ = writeln!(
            out,
            "wrote {} to {}",
            plural(
                r.endings.len()
                    + r.violations.len()
                    + usize::from(matches!(r.witness, Some(Some(_)))),
                "plan"
            ),
            dir.display()
        );
    }
    out
}

/// `hall`, or `a`, `b` and `c`.
fn names(story: &Story, scenes: &[SceneId]) -> String {
    let ids: Vec<String> = scenes
        .iter()
        .map(|&s| format!("`{}`", story.scene(s).id))
        .collect();
    match ids.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A path as the keys a plan takes, or `(the start)`.
fn steps(story: &Story, path: &[PathStep]) -> String {
    if path.is_empty() {
        "(the start)".to_string()
    } else {
        explore::plan_for(story, path, None, None).choices.join(" ")
    }
}

/// Where along its path a soft-lock's fate was sealed.
fn no_return(story: &Story, lock: &SoftLock) -> String {
    match lock.no_return.checked_sub(1).and_then(|i| lock.path.get(i)) {
        None => "no ending can be reached from the start".to_string(),
        Some(step) => format!(
            "no ending can be reached after step {} (`{}` in `{}`)",
            lock.no_return,
            explore::plan_for(story, std::slice::from_ref(step), None, None).choices[0],
            story.scene(story.choice(step.choice).scene).id
        ),
    }
}

/// The loop a soft-lock is caught in: `a` --key--> `b` --key--> `a`.
fn caught(story: &Story, lock: &SoftLock) -> String {
    match lock.cycle.first() {
        None => format!(
            "{}, where no choice is open",
            names(story, &lock.scenes[..1])
        ),
        Some(&(first, _)) => {
            let mut out = String::new();
            for (scene, step) in &lock.cycle {
                out.push_str(&format!(
                    "`{}` --{}--> ",
                    story.scene(*scene).id,
                    explore::plan_for(story, std::slice::from_ref(step), None, None).choices[0]
                ));
            }
            out.push_str(&format!("`{}`", story.scene(first).id));
            out
        }
    }
}

/// A loop of scenes that keeps a variable growing.
fn growing(story: &Story, l: &explore::GrowingLoop) -> String {
    let mut out = String::new();
    for &(scene, choice) in &l.steps {
        out.push_str(&format!(
            "`{}` --{}--> ",
            story.scene(scene).id,
            story.choice(choice).key
        ));
    }
    if let Some(&(first, _)) = l.steps.first() {
        out.push_str(&format!("`{}`", story.scene(first).id));
    }
    format!(
        "the loop {out} adds {} to `{}` each time round",
        l.gain,
        story.variables[l.var.index()].id
    )
}

/// Bytes in binary units: `2 GiB`, `512 MiB`.
pub fn size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The report as JSON; `witness` is the condition asked for, as typed.
pub fn to_json(story: &Story, r: &Report, secs: f64, witness: Option<&str>) -> String {
    let ids = |v: &[bool], f: &dyn Fn(usize) -> String| -> Vec<String> {
        v.iter()
            .enumerate()
            .filter(|(_, b)| !**b)
            .map(|(i, _)| f(i))
            .collect()
    };
    let key = |step: &PathStep| {
        explore::plan_for(story, std::slice::from_ref(step), None, None).choices[0].clone()
    };
    let mut value = serde_json::json!({
        "states": r.states,
        "complete": r.complete,
        "cut_off": r.cut.map(|c| match c {
            Cut::States(n) => serde_json::json!({"at": "max_states", "states": n}),
            Cut::Memory(b) => serde_json::json!({"at": "max_memory", "bytes": b}),
        }),
        "dedup_bytes": r.dedup_bytes,
        "peak_bytes": r.peak_bytes,
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
        "soft_locks": r.soft_locks.iter().map(|l| serde_json::json!({
            "scenes": l.scenes.iter().map(|&s| story.scene(s).id.clone()).collect::<Vec<_>>(),
            "states": l.states,
            "path": explore::plan_for(story, &l.path, None, None).choices,
            "no_return": l.no_return,
            "dead_end": l.cycle.is_empty(),
            "loop": l.cycle.iter().map(|(s, step)| serde_json::json!({
                "scene": story.scene(*s).id,
                "choice": key(step),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "trapped_scenes": story.scenes.iter().zip(&r.trapped)
            .filter(|(_, t)| **t)
            .map(|(s, _)| s.id.clone())
            .collect::<Vec<_>>(),
        "states_per_scene": story.scenes.iter().zip(&r.scene_states)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s.id.clone(), serde_json::Value::from(*n)))
            .collect::<serde_json::Map<_, _>>(),
        "crowded": r.frontier.iter().map(|c| serde_json::json!({
            "scene": story.scene(c.scene).id,
            "states": c.states,
            "varying": c.varying.iter().map(|v| serde_json::json!({"part": v.part, "values": v.values, "told_apart_ahead": v.ahead})).collect::<Vec<_>>(),
            "loops": c.loops.iter().map(|l| serde_json::json!({
                "variable": story.variables[l.var.index()].id,
                "gain": l.gain,
                "steps": l.steps.iter().map(|&(s, ch)| serde_json::json!({
                    "scene": story.scene(s).id,
                    "choice": story.choice(ch).key,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "rules": r.rules,
        "violations": r.violations.iter().map(|v| {
            let (line, column) = story.sources.get(v.span.file).line_col(v.span.start);
            serde_json::json!({
                "kind": match v.rule {
                    Rule::Invariant => "invariant",
                    Rule::Assumption(_) => "assumption",
                },
                "of_scene": match v.rule {
                    Rule::Invariant => None,
                    Rule::Assumption(s) => Some(story.scene(s).id.clone()),
                },
                "condition": v.when.show(story),
                "file": story.sources.get(v.span.file).name,
                "line": line,
                "column": column,
                "scene": story.scene(v.scene).id,
                "path": explore::plan_for(story, &v.path, None, None).choices,
            })
        }).collect::<Vec<_>>(),
    });
    if let (Some(cond), Some(found)) = (witness, &r.witness)
        && let Some(map) = value.as_object_mut()
    {
        map.insert(
            "witness".to_string(),
            serde_json::json!({
                "condition": cond,
                "found": found.is_some(),
                "proof": found.is_none() && r.complete,
                "path": found.as_ref().map(|p| explore::plan_for(story, p, None, None).choices),
            }),
        );
    }
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
    for place in &r.stuck_in {
        let scenes: Vec<String> = place.scenes.iter().map(|s| format!("`{s}`")).collect();
        let _ = writeln!(
            out,
            "  {} {}: {}",
            plural(place.runs, "run"),
            if place.looping {
                "still going round at the step cap"
            } else {
                "stuck where no choice is open"
            },
            scenes.join(", ")
        );
    }
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
