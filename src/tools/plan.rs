//! Plans: a list of choices to replay without a terminal, with optional
//! expectations, checked against a blessed transcript.
//!
//! ```ron
//! Plan(
//!     seed: 7,
//!     choices: ["shed", "back", "wade", "run:pass", "unlock"],
//!     expect: (scene: "lamp", hold: ["has key", "alive gull"]),
//! )
//! ```

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::engine::{RollMode, State};
use crate::play::session::{Look, NoHost, Session, settle};
use crate::story::Story;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Plan")]
pub struct Plan {
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

    pub fn to_ron(&self) -> String {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(self, config).unwrap_or_default()
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
        for (i, entry) in self.choices.iter().enumerate() {
            let (key, mode) = match entry.rsplit_once(':') {
                Some((k, "pass")) => (k, RollMode::Force(true)),
                Some((k, "fail")) => (k, RollMode::Force(false)),
                _ => (entry.as_str(), RollMode::Random),
            };
            let _ = writeln!(transcript, "> {entry}");
            let state = session.state();
            let choice = state
                .choices(&session.story)
                .find(|&c| session.story.choice(c).key == key);
            let Some(choice) = choice else {
                let scene = session.story.scene(state.scene);
                let open: Vec<&str> = state
                    .choices(&session.story)
                    .map(|c| session.story.choice(c).key.as_str())
                    .collect();
                failures.push(format!(
                    "step {}: `{key}` is not an open choice in `{}` (open: {})",
                    i + 1,
                    scene.id,
                    if open.is_empty() {
                        "none".to_string()
                    } else {
                        open.join(", ")
                    }
                ));
                break;
            };
            let reply = session.take(choice, mode);
            let (out, _) = settle(&mut session, &mut host, reply);
            transcript.push_str(&out);
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
                            "expected `{cond}` to hold at the end, but it does not"
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

/// A readable diff of two transcripts: the common start and end are
/// skipped, the differing middle is shown line by line (at most 60 lines).
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = String::new();
    let _ = writeln!(out, "--- expected\n+++ actual\n@@ line {} @@", prefix + 1);
    let context = prefix.saturating_sub(3);
    for line in &a[context..prefix] {
        let _ = writeln!(out, "  {line}");
    }
    let removed = &a[prefix..a.len() - suffix];
    let added = &b[prefix..b.len() - suffix];
    for line in removed.iter().take(30) {
        let _ = writeln!(out, "- {line}");
    }
    for line in added.iter().take(30) {
        let _ = writeln!(out, "+ {line}");
    }
    if removed.len() > 30 || added.len() > 30 {
        let _ = writeln!(
            out,
            "  … ({} lines removed, {} added in all)",
            removed.len(),
            added.len()
        );
    }
    for line in a[a.len() - suffix..].iter().take(3) {
        let _ = writeln!(out, "  {line}");
    }
    out
}
