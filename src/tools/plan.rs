//! Plans: a list of choices to replay without a terminal, with optional
//! expectations, checked against a blessed transcript.
//!
//! ```ron
//! Plan(
//!     story: "..",
//!     seed: 7,
//!     choices: ["shed", "back", "wade", "run:pass", "unlock"],
//!     expect: (scene: "lamp", hold: ["has key", "alive gull"]),
//! )
//! ```

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::engine::replay::{self, Entry, Player, Stop};
use crate::engine::{ChooseError, RollMode, State};
use crate::play::session::{Look, NoHost, Session, settle};
use crate::story::{ChoiceId, Condition, Part, Story};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Plan")]
pub struct Plan {
    /// The story directory the plan is for, relative to the plan file's
    /// own directory (`".."` for a plan in the story's `plans/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<String>,
    #[serde(default)]
    pub seed: u64,
    /// Start at this scene instead of the story's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Presets, as `--set` takes them: `credits=500`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    /// Choice keys in order; `key:pass` or `key:fail` forces a random check.
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "Expect::is_empty")]
    pub expect: Expect,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Expect")]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<String>,
    /// Conditions that must hold at the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hold: Vec<String>,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        self.scene.is_none() && self.ending.is_none() && self.hold.is_empty()
    }
}

/// The result of replaying a plan.
#[derive(Debug, Clone)]
pub struct Replay {
    pub transcript: String,
    /// Broken steps and unmet expectations, as sentences.
    pub failures: Vec<String>,
    pub state: State,
}

impl Plan {
    pub fn parse(text: &str) -> Result<Plan, String> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .with_recursion_limit(64)
            .from_str(text)
            .map_err(|e| format!("{}:{}: {}", e.span.start.line, e.span.start.col, e.code))
    }

    /// The plan as RON text; an error rather than an empty text, so a plan
    /// that does not serialise is never written.
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(self, config)
    }

    /// Plays the plan through a session, exactly as a piped player would,
    /// and checks its expectations.
    pub fn replay(&self, story: Story) -> Result<Replay, String> {
        let start = match &self.from {
            Some(id) => story
                .scene_by_id(id)
                .ok_or_else(|| format!("the plan starts at unknown scene `{id}`"))?,
            None => story.start,
        };
        let mut state = State::at(&story, self.seed, start);
        for s in &self.set {
            crate::engine::preset::apply(&story, &mut state, s)?;
        }
        let mut session = Session::new(story, state, Look::default());
        let mut host = NoHost;
        let intro = session.intro();
        let (mut transcript, _) = settle(&mut session, &mut host, intro);
        let mut failures = Vec::new();
        let entries = self.choices.iter().map(|entry| {
            let (key, mode) = step(entry);
            Entry {
                scene: None,
                key,
                mode,
            }
        });
        let mut player = IntoSession {
            session: &mut session,
            host: &mut host,
            transcript: &mut transcript,
            entries: &self.choices,
        };
        if let Err((i, stop)) = replay::replay(&mut player, entries) {
            let (key, _) = step(&self.choices[i]);
            let story = &session.story;
            let state = session.state();
            let why = match stop {
                // A plan's steps name no scene (never `Elsewhere`): a
                // plan stops where its key is not open.
                Stop::Closed { .. } | Stop::Missing { .. } | Stop::Elsewhere { .. } => {
                    let open: Vec<&str> = state
                        .choices(story)
                        .map(|c| story.choice(c).key.as_str())
                        .collect();
                    format!(
                        "`{key}` is not an open choice in `{}` (open: {})",
                        story.scene(state.scene).id,
                        if open.is_empty() {
                            "none".to_string()
                        } else {
                            open.join(", ")
                        }
                    )
                }
                Stop::Refused { error, .. } => format!("`{key}`: {error}"),
            };
            failures.push(format!("step {}: {why}", i + 1));
        }
        let state = session.state().clone();
        let story = &session.story;
        if let Some(scene) = &self.expect.scene
            && story.scene(state.scene).id != *scene
        {
            failures.push(format!(
                "expected to end in scene `{scene}`, but ended in `{}`",
                story.scene(state.scene).id
            ));
        }
        if let Some(ending) = &self.expect.ending {
            let reached = state.ending(story).map(|e| story.ending(e).id.clone());
            if reached.as_deref() != Some(ending.as_str()) {
                failures.push(format!(
                    "expected ending `{ending}`, but {}",
                    reached.map_or("no ending was reached".to_string(), |r| format!(
                        "reached `{r}`"
                    ))
                ));
            }
        }
        for cond in &self.expect.hold {
            match crate::story::compile::condition_in(story, cond) {
                Ok(c) => {
                    if !state.holds(story, &c) {
                        failures.push(format!(
                            "`{cond}` does not hold at the end: {}",
                            actual(story, &state, &c)
                        ));
                    }
                }
                Err(e) => failures.push(format!("expectation `{cond}`: {e}")),
            }
        }
        Ok(Replay {
            transcript,
            failures,
            state,
        })
    }
}

/// What the state holds of every part a condition reads, in the order it
/// reads them: `` `loot` is 2, `key` is not held ``.
fn actual(story: &Story, state: &State, c: &Condition) -> String {
    let mut parts: Vec<Part> = Vec::new();
    c.reads(&mut |r| {
        let p = r.part();
        if !parts.contains(&p) {
            parts.push(p);
        }
    });
    if parts.is_empty() {
        return "it reads nothing of the state".to_string();
    }
    parts
        .iter()
        .map(|&p| match p {
            Part::Var(v) => format!("`{}` is {}", story.variables[v.index()].id, state.var(v)),
            Part::Flag(f) => format!(
                "`{}` is {}",
                story.flags[f.index()].id,
                if state.flag(f) { "set" } else { "clear" }
            ),
            Part::Item(i) => format!(
                "`{}` is {}",
                story.items[i.index()].id,
                if state.has(i) { "held" } else { "not held" }
            ),
            Part::Crew(m) => format!(
                "`{}` is {}",
                story.crew[m.index()].id,
                if state.alive(m) { "alive" } else { "dead" }
            ),
            Part::Visits(s) => {
                format!("`visits({})` is {}", story.scene(s).id, state.visits.get(s))
            }
            Part::Once(ch) => format!(
                "`{}` of `{}` is {}",
                story.choice(ch).key,
                story.scene(story.choice(ch).scene).id,
                if state.used.get(ch) {
                    "taken"
                } else {
                    "not taken"
                }
            ),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A plan's entry: its key, and for `key:pass` or `key:fail` the forced
/// outcome of its check.
fn step(entry: &str) -> (&str, RollMode) {
    match entry.rsplit_once(':') {
        Some((k, "pass")) => (k, RollMode::Force(true)),
        Some((k, "fail")) => (k, RollMode::Force(false)),
        Some(_) | None => (entry, RollMode::Random),
    }
}

/// A plan played through a session, as a piped player would: each entry
/// echoed after `> `, then what the session prints.
struct IntoSession<'a> {
    session: &'a mut Session,
    host: &'a mut NoHost,
    transcript: &'a mut String,
    entries: &'a [String],
}

impl Player for IntoSession<'_> {
    fn story(&self) -> &Story {
        &self.session.story
    }

    fn state(&self) -> &State {
        self.session.state()
    }

    fn before(&mut self, index: usize) {
        let _ = writeln!(self.transcript, "> {}", self.entries[index]);
    }

    /// The session reports what it cannot do in its own text; an open
    /// choice it always takes.
    fn take(&mut self, choice: ChoiceId, mode: RollMode) -> Result<(), ChooseError> {
        let reply = self.session.take(choice, mode);
        let (out, _) = settle(self.session, self.host, reply);
        self.transcript.push_str(&out);
        Ok(())
    }
}

/// The most lines of a transcript diff shown; past it, a count of the rest.
pub const MAX_DIFF_LINES: usize = 200;

/// A unified diff of two transcripts (`--- expected`, `+++ actual`, hunks
/// with three lines of context), at most `MAX_DIFF_LINES` long. Comparing
/// is bounded in time too: past a second, a coarser diff is shown.
pub fn diff(expected: &str, actual: &str) -> String {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(1))
        .diff_lines(expected, actual);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    let total = text.lines().count();
    if total <= MAX_DIFF_LINES {
        return text;
    }
    let mut out = String::new();
    for line in text.lines().take(MAX_DIFF_LINES) {
        out.push_str(line);
        out.push('\n');
    }
    let _ = writeln!(out, "… ({} more lines of diff)", total - MAX_DIFF_LINES);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_the_changed_lines_with_context() {
        let expected = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let actual = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";
        assert_eq!(
            diff(expected, actual),
            "--- expected\n+++ actual\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n+i\n"
        );
        assert_eq!(diff(expected, expected), "");
    }

    #[test]
    fn a_long_diff_is_cut_with_a_count() {
        let expected: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let actual: String = (0..1000).map(|i| format!("x{i}\n")).collect();
        let shown = diff(&expected, &actual);
        assert_eq!(shown.lines().count(), MAX_DIFF_LINES + 1);
        assert!(shown.starts_with("--- expected\n+++ actual\n@@ -1,1000 +1,1000 @@\n"));
        assert!(shown.ends_with("… (1803 more lines of diff)\n"), "{shown}");
    }
}
