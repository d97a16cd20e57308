//! Synthetic stories in the project's own format, for benches and scale tests.
//!
//! `generate(scenes, seed)` writes a `story.ron` and one chapter file per
//! 1,000 scenes. The same seed always gives the same bytes. The shape:
//!
//! - three choices per scene, except the endings (about 6% of scenes);
//! - about 60 words per scene, with `{var}` interpolation and an
//!   `{if ..}..{else}..{end}` in every scene's text;
//! - integer variables (bounded 0..=9) and flags, each both written and read;
//! - about 45% of choices gated by a `when`: an integer comparison, a flag,
//!   or a visit count (`visits(s12) >= 2`); a few `once` choices and random
//!   checks;
//! - every scene reachable in play, not only in the graph: a spanning tree
//!   from the start whose edges are ungated, never `once`;
//! - no soft-locks: every scene that is not an ending keeps a choice that is
//!   ungated and not `once`, so some choice is always open;
//! - about 640 bytes of RON per scene (the words are short; the rest is the
//!   format's own structure).
//!
//! `callister check` finds no errors and no warnings in it (from 1 scene up).

use std::fmt::Write as _;
use std::path::Path;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::story::compile::InputFile;

/// Scenes per chapter file.
pub const SCENES_PER_CHAPTER: usize = 1000;
/// Choices of every scene that is not an ending.
pub const CHOICES: usize = 3;
/// Share of scenes that are endings, in percent.
pub const ENDING_PERCENT: usize = 6;
/// Share of choices with a `when`, in percent.
pub const GATED_PERCENT: usize = 45;
/// Variables are bounded to 0..=VAR_MAX.
pub const VAR_MAX: i64 = 9;

/// Spanning-tree edges a scene may carry, so that every scene has room left
/// for other, possibly gated, choices.
const TREE_SLOTS: usize = 2;
/// A scene's tree parent is usually one of this many most recent scenes
/// with room, so the story has long threads as well as branches.
const RECENT: usize = 16;

const VARIABLES: &[(&str, &str)] = &[
    ("gold", "Gold"),
    ("oil", "Lamp oil"),
    ("nerve", "Nerve"),
    ("favour", "Favour"),
    ("rope", "Rope"),
    ("charts", "Charts"),
    ("bread", "Bread"),
    ("wounds", "Wounds"),
    ("rumour", "Rumour"),
    ("keys", "Keys"),
];

const FLAGS: &[&str] = &[
    "met_ferryman",
    "lamp_lit",
    "gate_open",
    "map_found",
    "bell_rung",
    "oath_sworn",
    "debt_paid",
    "storm_seen",
    "river_crossed",
    "mask_worn",
    "seal_broken",
    "key_turned",
    "song_learned",
    "well_drawn",
    "tower_climbed",
    "fire_kept",
    "letter_read",
    "vault_found",
    "bridge_burned",
    "crown_lost",
];

const ADJECTIVES: &[&str] = &[
    "old", "cold", "dark", "pale", "wet", "wild", "tall", "salt", "iron", "grey", "dim", "red",
    "low", "bare", "quiet", "still", "amber", "broken", "narrow", "hollow",
];

const NOUNS: &[&str] = &[
    "gate", "lamp", "well", "mill", "pier", "dock", "hall", "road", "tower", "river", "bridge",
    "vault", "ferry", "field", "stair", "bell", "door", "yard", "barn", "shed",
];

const VERBS: &[&str] = &[
    "hums", "waits", "turns", "glows", "sleeps", "falls", "burns", "sings", "leans", "drifts",
    "rings", "creaks",
];

const PLACES: &[&str] = &["beyond", "beside", "under", "above", "behind", "near"];

/// Imperative verbs: a choice's key and the first word of its text.
const ACTIONS: &[(&str, &str)] = &[
    ("climb", "Climb"),
    ("open", "Open"),
    ("follow", "Follow"),
    ("ask", "Ask about"),
    ("wait", "Wait by"),
    ("cross", "Cross"),
    ("search", "Search"),
    ("listen", "Listen at"),
    ("light", "Light"),
    ("run", "Run for"),
    ("hide", "Hide in"),
    ("call", "Call to"),
    ("read", "Read"),
    ("trade", "Trade at"),
    ("rest", "Rest at"),
    ("watch", "Watch"),
];

const ENDING_KINDS: &[&str] = &["Good", "Bittersweet", "Bad"];

/// The files of a synthetic story of `scenes` scenes (at least 1): `story.ron`
/// first, then `chNNN.ron` chapters, as (file name, RON text).
pub fn generate(scenes: usize, seed: u64) -> Vec<(String, String)> {
    Generator::new(scenes.max(1), seed).run()
}

/// The same story as `InputFile`s, for `compile::compile`.
pub fn input_files(scenes: usize, seed: u64) -> Vec<InputFile> {
    generate(scenes, seed)
        .into_iter()
        .map(|(name, text)| InputFile {
            rel: name.clone(),
            name,
            text,
        })
        .collect()
}

/// Writes the story into `dir` (created if needed); returns the bytes written.
pub fn write_dir(dir: &Path, scenes: usize, seed: u64) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut bytes = 0;
    for (name, text) in generate(scenes, seed) {
        std::fs::write(dir.join(&name), &text)?;
        bytes += text.len();
    }
    Ok(bytes)
}

/// One choice before it is written out.
struct ChoiceSpec {
    key: &'static str,
    text: String,
    when: Option<String>,
    effects: Vec<String>,
    once: bool,
    action: ActionSpec,
}

enum ActionSpec {
    Goto(usize),
    Check {
        chance: i64,
        adjust: String,
        success: usize,
        failure: usize,
    },
}

/// Where a choice slot leads, and what it must be.
#[derive(Clone, Copy)]
struct Slot {
    target: usize,
    /// A spanning-tree edge, or the open choice of a scene without one: ungated and
    /// never `once`.
    open: bool,
    gated: bool,
}

struct Generator {
    n: usize,
    seed: u64,
    rng: Xoshiro256PlusPlus,
    vars: usize,
    flags: usize,
    /// Variables and flags written so far, so each gets written at least once.
    var_writes: usize,
    flag_writes: usize,
}

impl Generator {
    fn new(n: usize, seed: u64) -> Generator {
        Generator {
            n,
            seed,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            // Small stories get fewer names, so every name is used.
            vars: (n / 8).clamp(1, VARIABLES.len()),
            flags: (n / 4).clamp(1, FLAGS.len()),
            var_writes: 0,
            flag_writes: 0,
        }
    }

    fn pick<T: Copy>(&mut self, list: &[T]) -> T {
        list[self.rng.random_range(0..list.len())]
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100u32) < percent
    }

    fn run(mut self) -> Vec<(String, String)> {
        let n = self.n;
        let ending = self.endings();
        let slots = self.slots(&ending);
        let mut files = vec![("story.ron".to_string(), self.story_file())];
        let chapters = n.div_ceil(SCENES_PER_CHAPTER);
        let width = (chapters - 1).to_string().len().max(3);
        let mut bodies: Vec<String> = vec![String::new(); n];
        // Scene 0 last: it carries the writes that no other scene happened to
        // make (only small stories need them), so that `check` never finds a
        // variable or flag read but never written.
        for i in (1..n).chain([0]) {
            bodies[i] = if ending[i] {
                self.ending_scene(i)
            } else {
                let mut specs = self.choices(i, &slots[i]);
                if i == 0
                    && let Some(open) = specs.iter_mut().find(|c| c.when.is_none() && !c.once)
                {
                    for (v, _) in &VARIABLES[self.var_writes..self.vars] {
                        open.effects.push(format!("Add(\"{v}\", 1)"));
                    }
                    for f in &FLAGS[self.flag_writes..self.flags] {
                        open.effects.push(format!("SetFlag(\"{f}\")"));
                    }
                }
                let text = self.scene_text(i);
                self.scene(i, text, &specs)
            };
        }
        for ch in 0..chapters {
            let range = ch * SCENES_PER_CHAPTER..((ch + 1) * SCENES_PER_CHAPTER).min(n);
            let mut out = String::with_capacity(range.len() * 640 + 200);
            let _ = writeln!(
                out,
                "// Synthetic chapter {ch}: scenes s{} to s{} (`callister synth`, seed {}).",
                range.start,
                range.end - 1,
                self.seed
            );
            let _ = writeln!(out, "Chapter(\n  title: \"Part {}\",\n  scenes: [", ch + 1);
            for body in &bodies[range] {
                out.push_str(body);
            }
            out.push_str("  ],\n)\n");
            files.push((format!("ch{ch:0width$}.ron"), out));
        }
        files
    }

    /// Which scenes are endings: exactly ENDING_PERCENT of them (at least
    /// one, never the start), spread at random.
    fn endings(&mut self) -> Vec<bool> {
        let n = self.n;
        let mut ending = vec![false; n];
        if n < 2 {
            return ending;
        }
        let mut want = (n * ENDING_PERCENT).div_ceil(100).max(1);
        // Selection sampling over scenes 1..n.
        for (i, e) in ending.iter_mut().enumerate().skip(1) {
            let left = n - i;
            if self.rng.random_range(0..left) < want {
                *e = true;
                want -= 1;
            }
        }
        ending
    }

    /// Every scene's choice slots: targets, and which are open or gated.
    fn slots(&mut self, ending: &[bool]) -> Vec<Vec<Slot>> {
        let n = self.n;
        // The spanning tree: each scene after the start hangs off an earlier
        // scene that is not an ending and has a tree slot free.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut pool: Vec<usize> = vec![0];
        for (i, &is_ending) in ending.iter().enumerate().skip(1) {
            let at = if self.chance(80) {
                pool.len() - 1 - self.rng.random_range(0..pool.len().min(RECENT))
            } else {
                self.rng.random_range(0..pool.len())
            };
            let parent = pool[at];
            children[parent].push(i);
            if children[parent].len() == TREE_SLOTS {
                pool.remove(at);
            }
            if !is_ending {
                pool.push(i);
            }
        }
        // The other slots: mostly a little ahead, sometimes anywhere (loops
        // back included). A scene without tree edges keeps its first one open.
        let mut slots: Vec<Vec<Slot>> = Vec::with_capacity(n);
        let mut candidates = 0;
        for i in 0..n {
            if ending[i] {
                slots.push(Vec::new());
                continue;
            }
            let mut row: Vec<Slot> = children[i]
                .iter()
                .map(|&t| Slot {
                    target: t,
                    open: true,
                    gated: false,
                })
                .collect();
            while row.len() < CHOICES {
                let target = if self.chance(60) {
                    let t = i + 1 + self.rng.random_range(0..50);
                    if t < n {
                        t
                    } else {
                        self.rng.random_range(0..n)
                    }
                } else {
                    self.rng.random_range(0..n)
                };
                let open = row.is_empty();
                candidates += usize::from(!open);
                row.push(Slot {
                    target,
                    open,
                    gated: false,
                });
            }
            slots.push(row);
        }
        // Gate exactly GATED_PERCENT of all choices (or every candidate, if
        // the open ones leave too few), by selection sampling.
        let total = (n - ending.iter().filter(|e| **e).count()) * CHOICES;
        let mut want = (total * GATED_PERCENT / 100).min(candidates);
        let mut left = candidates;
        for row in &mut slots {
            for slot in row.iter_mut().filter(|s| !s.open) {
                if self.rng.random_range(0..left) < want {
                    slot.gated = true;
                    want -= 1;
                }
                left -= 1;
            }
        }
        // Shuffle each scene's choices, so the open one is not always first.
        for row in &mut slots {
            for i in (1..row.len()).rev() {
                let j = self.rng.random_range(0..=i);
                row.swap(i, j);
            }
        }
        slots
    }

    fn story_file(&mut self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "// A synthetic story for benches and scale tests (`callister synth`)."
        );
        let _ = writeln!(out, "Story(");
        let _ = writeln!(
            out,
            "  title: \"Synthetic: {} scenes, seed {}\",",
            self.n, self.seed
        );
        let _ = writeln!(out, "  author: \"callister synth\",");
        let _ = writeln!(out, "  start: \"s0\",");
        let _ = writeln!(out, "  variables: [");
        for &(id, name) in &VARIABLES[..self.vars] {
            let initial = self.rng.random_range(0..=3);
            let _ = writeln!(
                out,
                "    (id: \"{id}\", name: \"{name}\", initial: {initial}, min: 0, max: {VAR_MAX}),"
            );
        }
        let _ = writeln!(out, "  ],");
        let _ = writeln!(out, "  flags: [");
        for f in &FLAGS[..self.flags] {
            let _ = writeln!(out, "    \"{f}\",");
        }
        let _ = writeln!(out, "  ],\n)");
        out
    }

    /// A variable to write: each in turn first, then any.
    fn write_var(&mut self) -> &'static str {
        let v = if self.var_writes < self.vars {
            self.var_writes += 1;
            self.var_writes - 1
        } else {
            self.rng.random_range(0..self.vars)
        };
        VARIABLES[v].0
    }

    fn write_flag(&mut self) -> &'static str {
        let f = if self.flag_writes < self.flags {
            self.flag_writes += 1;
            self.flag_writes - 1
        } else {
            self.rng.random_range(0..self.flags)
        };
        FLAGS[f]
    }

    fn any_var(&mut self) -> &'static str {
        VARIABLES[self.rng.random_range(0..self.vars)].0
    }

    fn any_flag(&mut self) -> &'static str {
        FLAGS[self.rng.random_range(0..self.flags)]
    }

    /// A gate: an integer comparison, a flag, or a visit count.
    fn condition(&mut self, scene: usize) -> String {
        match self.rng.random_range(0..100) {
            0..40 => {
                let v = self.any_var();
                if self.chance(60) {
                    format!("{v} >= {}", self.rng.random_range(1..=5))
                } else {
                    format!("{v} < {}", self.rng.random_range(2..=VAR_MAX))
                }
            }
            40..75 => {
                let f = self.any_flag();
                if self.chance(65) {
                    f.to_string()
                } else {
                    format!("not {f}")
                }
            }
            75..90 => format!("visits(s{scene}) >= 2"),
            _ => {
                let earlier = self.rng.random_range(0..=scene);
                let f = self.any_flag();
                format!("visits(s{earlier}) >= 1 and not {f}")
            }
        }
    }

    fn effect(&mut self) -> String {
        match self.rng.random_range(0..100) {
            0..60 => {
                let v = self.write_var();
                let d = self.pick(&[-1, 1, 1, 2]);
                format!("Add(\"{v}\", {d})")
            }
            60..90 => format!("SetFlag(\"{}\")", self.write_flag()),
            _ => format!("ClearFlag(\"{}\")", self.write_flag()),
        }
    }

    fn choices(&mut self, scene: usize, slots: &[Slot]) -> Vec<ChoiceSpec> {
        // Three different verbs: the keys are unique in the scene.
        let mut actions = [0usize; CHOICES];
        for k in 0..slots.len() {
            loop {
                let a = self.rng.random_range(0..ACTIONS.len());
                if !actions[..k].contains(&a) {
                    actions[k] = a;
                    break;
                }
            }
        }
        let mut out = Vec::with_capacity(slots.len());
        for (k, slot) in slots.iter().enumerate() {
            let (key, verb) = ACTIONS[actions[k]];
            let noun = self.pick(NOUNS);
            let text = format!("{verb} the {noun}");
            let when = slot.gated.then(|| self.condition(scene));
            let mut effects = Vec::new();
            if self.chance(30) {
                effects.push(self.effect());
            }
            let once = !slot.open && self.chance(4);
            let action = if !slot.open && self.chance(6) {
                let adjust = if self.chance(50) {
                    format!("Per(\"{}\", 5)", self.any_var())
                } else {
                    format!("When(\"{}\", 15)", self.any_flag())
                };
                ActionSpec::Check {
                    chance: 5 * self.rng.random_range(5..=15),
                    adjust,
                    success: slot.target,
                    failure: self.rng.random_range(0..self.n),
                }
            } else {
                ActionSpec::Goto(slot.target)
            };
            out.push(ChoiceSpec {
                key,
                text,
                when,
                effects,
                once,
                action,
            });
        }
        out
    }

    fn sentence(&mut self) -> String {
        let (a1, n1, v) = (self.pick(ADJECTIVES), self.pick(NOUNS), self.pick(VERBS));
        let (a2, n2, p) = (self.pick(ADJECTIVES), self.pick(NOUNS), self.pick(PLACES));
        match self.rng.random_range(0..3) {
            0 => format!("The {a1} {n1} {v} {p} the {a2} {n2}."),
            1 => format!("Somewhere {p} the {n1} a {a1} voice {v} and then stops."),
            _ => format!("You remember the {a1} {n1} and how the {n2} {v}."),
        }
    }

    /// About 48 words (both branches of the `{if}` counted); the choices
    /// bring a scene to about 60.
    fn scene_text(&mut self, scene: usize) -> String {
        let (label_var, label) = VARIABLES[scene % self.vars];
        let shown = label.to_lowercase();
        // Every scene reads a variable and a flag in turn: each is read.
        let flag = FLAGS[scene % self.flags];
        let cond = if self.chance(50) {
            flag.to_string()
        } else {
            format!(
                "{label_var} >= {} and not {flag}",
                self.rng.random_range(1..=5)
            )
        };
        let (noun, verb) = (self.pick(NOUNS), self.pick(VERBS));
        let first = self.sentence();
        let second = self.sentence();
        let third = self.sentence();
        format!(
            "{first} Your {shown} stands at {{{label_var}}}. {{if {cond}}}The {noun} {verb} as if it knows you.{{else}}Nobody at the {noun} looks up.{{end}}\\n\\n{second} {third}"
        )
    }

    /// A scene's first lines: its id, a title picked here, and its text;
    /// and the title's noun.
    fn opening(&mut self, i: usize, text: &str, capacity: usize) -> (String, &'static str) {
        let (adj, noun) = (self.pick(ADJECTIVES), self.pick(NOUNS));
        let mut out = String::with_capacity(capacity);
        let _ = writeln!(out, "    (");
        let _ = writeln!(
            out,
            "      id: \"s{i}\", title: \"The {} {}\",",
            title(adj),
            title(noun)
        );
        let _ = writeln!(out, "      text: \"{text}\",");
        (out, noun)
    }

    fn scene(&mut self, i: usize, text: String, choices: &[ChoiceSpec]) -> String {
        let (mut out, _) = self.opening(i, &text, 700);
        if self.chance(10) {
            let v = self.write_var();
            let _ = writeln!(out, "      on_enter: [Add(\"{v}\", 1)],");
        }
        let _ = writeln!(out, "      choices: [");
        for c in choices {
            let _ = write!(out, "        (key: \"{}\", text: \"{}\"", c.key, c.text);
            if let Some(w) = &c.when {
                let _ = write!(out, ", when: \"{w}\"");
            }
            if !c.effects.is_empty() {
                let _ = write!(out, ", effects: [{}]", c.effects.join(", "));
            }
            if c.once {
                out.push_str(", once: true");
            }
            match &c.action {
                ActionSpec::Goto(t) => {
                    let _ = write!(out, ", goto: \"s{t}\"");
                }
                ActionSpec::Check {
                    chance,
                    adjust,
                    success,
                    failure,
                } => {
                    let _ = write!(
                        out,
                        ", check: (chance: {chance}, adjust: [{adjust}], success: (text: \"It holds.\", goto: \"s{success}\"), failure: (text: \"It gives way.\", goto: \"s{failure}\"))"
                    );
                }
            }
            out.push_str("),\n");
        }
        let _ = writeln!(out, "      ],");
        let _ = writeln!(out, "    ),");
        out
    }

    fn ending_scene(&mut self, i: usize) -> String {
        let text = self.scene_text(i);
        let kind = self.pick(ENDING_KINDS);
        let (mut out, noun) = self.opening(i, &text, 600);
        let _ = writeln!(
            out,
            "      ending: (id: \"e{i}\", title: \"The End of the {}\", kind: {kind}),",
            title(noun)
        );
        let _ = writeln!(out, "    ),");
        out
    }
}

fn title(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}
