//! What the fuzz targets share: the stories they play against, how bytes
//! become story files, and the properties checked on whatever compiles.
//!
//! `tests/properties.rs` in the main crate checks the same properties with
//! proptest on every `cargo test`; this crate runs them under libFuzzer.

use std::cell::RefCell;
use std::path::Path;
use std::sync::OnceLock;

use callister::engine::history::Tree;
use callister::play::save::SaveFile;
use callister::play::session::{Flow, Look, NoHost, Session};
use callister::story::Story;
use callister::story::compile::{InputFile, compile};

/// The byte that separates story files in a `compile` input: it never
/// occurs in UTF-8 text, so a seed is its files joined by it.
pub const FILE_SEPARATOR: u8 = 0xFF;

/// The shipped story (`scenes/`), compiled once.
pub fn shipped() -> &'static Story {
    static STORY: OnceLock<Story> = OnceLock::new();
    STORY.get_or_init(|| callister::story::embedded::story().expect("the shipped story compiles"))
}

/// The example story (`examples/lighthouse`), compiled once: small, so
/// sessions against it are cheap.
pub fn lighthouse() -> &'static Story {
    static STORY: OnceLock<Story> = OnceLock::new();
    STORY.get_or_init(|| {
        let files = [
            (
                "story.ron",
                include_str!("../../examples/lighthouse/story.ron"),
            ),
            (
                "shore.ron",
                include_str!("../../examples/lighthouse/shore.ron"),
            ),
        ];
        compile(
            files
                .iter()
                .map(|(rel, text)| InputFile {
                    rel: (*rel).into(),
                    name: format!("examples/lighthouse/{rel}"),
                    text: (*text).into(),
                })
                .collect(),
        )
        .expect("the lighthouse compiles")
    })
}

/// Splits fuzz input into story files: the first is `story.ron`, the
/// others chapters. Invalid UTF-8 is replaced, as a lossy editor would.
pub fn story_files(data: &[u8]) -> Vec<InputFile> {
    data.split(|&b| b == FILE_SEPARATOR)
        .enumerate()
        .map(|(i, chunk)| {
            let rel = if i == 0 {
                "story.ron".to_string()
            } else {
                format!("chapter{i}.ron")
            };
            InputFile {
                name: format!("fuzz/{rel}"),
                rel,
                text: String::from_utf8_lossy(chunk).into_owned(),
            }
        })
        .collect()
}

/// A small deterministic generator, seeded from the input.
pub struct Dice(u64);

impl Dice {
    pub fn new(data: &[u8]) -> Dice {
        // FNV-1a: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Dice(h | 1)
    }

    pub fn roll(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.roll() % n as u64) as usize
        }
    }
}

/// Every variable of the state is within its declared bounds.
pub fn assert_in_bounds(story: &Story, session: &Session) {
    for (v, &x) in story.variables.iter().zip(&session.state().vars) {
        assert!(
            (v.min..=v.max).contains(&x),
            "`{}` = {x} is outside {}..={}",
            v.id,
            v.min,
            v.max
        );
    }
    // The tunnel stack stays within what the compiler found it can reach.
    assert!(
        session.state().stack.len() <= story.tunnel_depth,
        "{} tunnels entered, in a story where they nest at most {} deep",
        session.state().stack.len(),
        story.tunnel_depth
    );
}

/// A compiled story: lint it, count it, draw it, play it for a while the
/// way a player would, and check that a save of where it ended round-trips.
pub fn exercise_story(story: &Story, data: &[u8]) {
    // What the engine relies on without checking.
    for scene in &story.scenes {
        assert!(
            scene.ending.is_some() || !scene.choices.is_empty(),
            "scene `{}` compiled without a choice or an ending",
            scene.id
        );
        assert!(scene.ending.is_none() || scene.choices.is_empty());
    }
    for v in &story.variables {
        assert!(v.min <= v.max && (v.min..=v.max).contains(&v.initial));
    }
    let lints = callister::tools::check::lint(story);
    let _ = callister::story::diagnostic::render_all(&lints, &story.sources, true);
    let _ = callister::tools::stats::render(story);
    let _ = callister::tools::graph::render(story, callister::tools::graph::Format::Dot, None);
    let _ = callister::tools::graph::render(story, callister::tools::graph::Format::Mermaid, None);
    let lines = callister::tools::export::lines(story);
    let _ = callister::tools::export::json(story, &lines);
    let table = callister::tools::export::csv(&lines).expect("the string table writes");
    assert!(
        table.lines().count() > lines.len(),
        "a header and a row a line, at least"
    );

    let mut dice = Dice::new(data);
    let look = Look {
        color: dice.below(2) == 0,
        width: dice.below(120),
        plain: dice.below(4) == 0,
    };
    let state = callister::engine::State::new(story, dice.roll());
    let mut session = Session::new(story.clone(), state, look);
    let intro = session.intro();
    let _ = callister::play::session::settle(&mut session, &mut NoHost, intro);
    for _ in 0..24 {
        let open = session.state().choices(story).count();
        let line = match dice.below(10) {
            0 => "undo".to_string(),
            1 => ["look", "status", "history", "branches", "inventory"][dice.below(5)].to_string(),
            2 if open > 0 => {
                let c = session.state().choices(story).nth(dice.below(open));
                c.map_or_else(String::new, |c| story.choice(c).key.clone())
            }
            3 => format!("rewind {}", dice.below(session.tree.depth() + 2)),
            4 => format!("branch {}", dice.below(session.tree.leaves().len() + 2)),
            _ => (dice.below(open + 1) + 1).to_string(),
        };
        let (_, flow) = session.input(&line, &mut NoHost);
        assert_eq!(flow, Flow::Continue);
        assert_in_bounds(story, &session);
    }
    round_trip(story, &session);
}

/// Saves the session, reads the text back and restores it: the same file,
/// the same game.
pub fn round_trip(story: &Story, session: &Session) {
    let save = SaveFile::capture(story, &session.tree, story.start, 1_700_000_000, 5);
    let text = save.to_ron().unwrap();
    let parsed = SaveFile::parse(&text, Path::new("fuzz.ron"))
        .unwrap_or_else(|e| panic!("a written save does not read back: {e}\n{text}"));
    assert_eq!(parsed, save, "a save changed in the round trip");
    let (tree, _, report) = parsed
        .restore(story, Path::new("fuzz.ron"))
        .unwrap_or_else(|e| panic!("a fresh save does not restore: {e}"));
    assert!(
        report.notes.is_empty(),
        "a save of an unchanged story restored with notes: {:?}",
        report.notes
    );
    assert_eq!(tree.state(), session.state(), "the restored state differs");
    assert_eq!(tree.log(), session.tree.log(), "the restored path differs");
}

/// A restored tree against its story: the game can be shown and played on.
/// Sessions are kept per story, so the shipped story is not cloned for
/// every input.
pub fn exercise_tree(story: &'static Story, tree: Tree) {
    thread_local! {
        static SESSIONS: RefCell<Vec<Session>> = const { RefCell::new(Vec::new()) };
    }
    SESSIONS.with_borrow_mut(|sessions| {
        let i = match sessions
            .iter()
            .position(|s| s.story.fingerprint == story.fingerprint)
        {
            Some(i) => i,
            None => {
                let state = callister::engine::State::new(story, 0);
                sessions.push(Session::new(story.clone(), state, Look::default()));
                sessions.len() - 1
            }
        };
        let session = &mut sessions[i];
        session.replace_tree(tree);
        assert_in_bounds(story, session);
        let mut out = String::new();
        session.show_scene(&mut out);
        for line in ["history", "branches", "status", "undo", "1"] {
            let _ = session.input(line, &mut NoHost);
            assert_in_bounds(story, session);
        }
    });
}

/// What the player's terminal gets from a save or a plan (issue 13): the
/// saves table of the save (its names cut to a column, so a padded
/// column never overflows the formatter) and the sentences a plan's replay
/// shows through `visible`. Neither may hold a control character but the
/// line end and the tab, which `visible` passes.
pub fn assert_inert(what: &str, shown: &str) {
    assert!(
        !shown
            .chars()
            .any(|c| !matches!(c, '\n' | '\t') && c.is_control()),
        "{what} sends a control character to the terminal: {shown:?}"
    );
}

/// The saves table a save makes against `story` (`saves`, `callister
/// saves`): rendered, and inert.
pub fn check_saves_table(story: &Story, save: &SaveFile) {
    let info = callister::play::save::SaveInfo {
        slot: "fuzz".into(),
        story: save.story.clone(),
        scene: save.snapshot.scene.clone(),
        turn: save.snapshot.turn,
        saved_at: save.saved_at,
        playthrough: save.playthrough,
        future: false,
        order: save.saved_at,
    };
    let table = callister::play::session::render_saves_table(story, &[info], &[]);
    assert_inert("the saves table", &table);
}
