//! Issue 15: what the scene format gained from ink and Yarn Spinner.
//! `{elif}`, variations and first-visit text as the player sees them; tunnels
//! and their stack through play, undo, saves and replay; tags and the string
//! table `callister export` writes; and how `stats` and `graph` count and
//! draw them. Each test compiles a tiny story from strings, so it reads as
//! the story it plays.

use std::path::Path;

use callister::engine::history::{Step, Tree};
use callister::engine::{ChooseError, RollMode, State};
use callister::play::save::{self, SaveFile};
use callister::story::compile::{self, InputFile};
use callister::story::{Action, ChoiceId, Story, diagnostic};
use callister::tools::{export, graph, stats};

const STORY: &str = r#"Story(
    title: "Format",
    start: "hall",
    variables: [(id: "coins", initial: 5, min: 0, max: 9)],
    flags: ["lit"],
)"#;

/// The hall, entered again by `wait`; a shop entered as a tunnel from the
/// hall (back to the hall) and from the yard (back to the yard), which
/// returns; a codex inside the shop, a tunnel of its own.
const CHAPTER: &str = r#"Chapter(title: "One", scenes: [
    (
        id: "hall",
        title: "Hall",
        tags: ["mood:calm"],
        text: r"
            {first}You step into the hall.{else}The hall again.{end}
            It is {seq: quiet | loud | very loud}. {cycle: Tick | Tock}.
            {once: A bird sings. | A dog barks.}{#voice:hall_1}

            {if coins > 7}Rich.{elif coins > 3}Comfortable.{elif coins > 0}Poor.{else}Broke.{end}
            {shuffle: A | B | C | D | E | F | G | H}{#line:hall_purse}
        ",
        choices: [
            (key: "wait", text: "Wait {seq: a while | again}", goto: "hall"),
            (key: "shop", text: "Shop", tunnel: "shop", tags: ["ui:shop"]),
            (key: "yard", text: "Yard", goto: "yard"),
        ],
    ),
    (
        id: "yard",
        title: "Yard",
        text: "The yard.",
        choices: [
            (key: "shop", text: "Shop", tunnel: "shop"),
            (key: "far", text: "Shop, then the hall", tunnel: "shop", goto: "hall"),
            (key: "end", text: "End", goto: "end"),
        ],
    ),
    (
        id: "shop",
        title: "Shop",
        text: "Gribble. {seq: Welcome! | Back again?}",
        choices: [
            (key: "buy", text: "Buy", when: "coins > 0", effects: [Add("coins", -1), Say("{cycle: Thanks. | Ta.}")], goto: "shop"),
            (key: "codex", text: "Read the codex", tunnel: "codex"),
            (key: "leave", text: "Leave", return: true),
        ],
    ),
    (
        id: "codex",
        title: "Codex",
        text: "Entries.",
        choices: [(key: "close", text: "Close it", return: true)],
    ),
    (id: "end", title: "End", text: "Done.", ending: (id: "done", title: "Done", kind: Good)),
])"#;

#[test]
fn variations_follow_the_visits_of_their_scene() {
    let story = build(STORY, CHAPTER);
    let mut state = State::new(&story, 0);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let view = state.view(&story);
        seen.push((view.paragraphs[0].clone(), view.choices[0].text.clone()));
        take(&story, &mut state, "wait");
    }
    assert_eq!(
        seen,
        [
            (
                "You step into the hall. It is quiet. Tick. A bird sings.".to_string(),
                "Wait a while".to_string()
            ),
            (
                "The hall again. It is loud. Tock. A dog barks.".into(),
                "Wait again".into()
            ),
            (
                "The hall again. It is very loud. Tick.".into(),
                "Wait again".into()
            ),
            (
                "The hall again. It is very loud. Tock.".into(),
                "Wait again".into()
            ),
        ]
    );
}

#[test]
fn elif_takes_the_first_arm_that_holds() {
    let story = build(STORY, CHAPTER);
    let coins = story.var_by_id("coins").unwrap();
    for (value, shown) in [
        (9, "Rich."),
        (5, "Comfortable."),
        (1, "Poor."),
        (0, "Broke."),
    ] {
        let mut state = State::new(&story, 0);
        state.set_var(&story, coins, value);
        let second = &state.view(&story).paragraphs[1];
        assert!(second.starts_with(shown), "{value}: {second}");
    }
}

/// A shuffle's pick is a function of the seed, the scene and the visit:
/// the same game shows the same, and over many seeds every item comes up.
#[test]
fn a_shuffle_is_drawn_from_the_seed_and_the_visit() {
    let story = build(STORY, CHAPTER);
    let shown = |seed: u64, visits: usize| {
        let mut state = State::new(&story, seed);
        for _ in 1..visits {
            take(&story, &mut state, "wait");
        }
        state.view(&story).paragraphs[1].clone()
    };
    for seed in 0..5 {
        assert_eq!(shown(seed, 3), shown(seed, 3), "seed {seed}");
    }
    let mut items: Vec<String> = (0..64).map(|seed| shown(seed, 1)).collect();
    items.sort();
    items.dedup();
    assert_eq!(items.len(), 8, "{items:?}");
    // Rolling dice does not move it: it draws from no stream.
    let mut a = State::new(&story, 7);
    let b = a.clone();
    let _ = rand::RngExt::random_range(&mut a.rng, 0..10);
    assert_eq!(a.view(&story).paragraphs, b.view(&story).paragraphs);
}

#[test]
fn a_tunnel_returns_to_where_it_was_entered() {
    let story = build(STORY, CHAPTER);
    let mut state = State::new(&story, 0);
    take(&story, &mut state, "yard");
    take(&story, &mut state, "shop");
    assert_eq!(scene_id(&story, &state), "shop");
    assert_eq!(stack(&story, &state), ["yard"]);
    let said = take(&story, &mut state, "buy").said;
    assert_eq!(said, ["Thanks."]);
    take(&story, &mut state, "codex");
    assert_eq!(stack(&story, &state), ["yard", "shop"]);
    take(&story, &mut state, "close");
    assert_eq!(scene_id(&story, &state), "shop");
    take(&story, &mut state, "leave");
    assert_eq!(scene_id(&story, &state), "yard");
    assert!(state.stack.is_empty());
    // With a `goto`, the tunnel comes back there instead.
    take(&story, &mut state, "far");
    assert_eq!(stack(&story, &state), ["hall"]);
    take(&story, &mut state, "leave");
    assert_eq!(scene_id(&story, &state), "hall");
}

/// Outside a tunnel (an author starting at a scene of one), `return` is
/// not offered, and taking it is refused.
#[test]
fn return_is_closed_with_no_tunnel_entered() {
    let story = build(STORY, CHAPTER);
    let mut state = State::at(&story, 0, story.scene_by_id("shop").unwrap());
    assert_eq!(keys(&story, &state), ["buy", "codex"]);
    let leave = story
        .choice_by_key(state.scene, "leave")
        .unwrap_or_else(|| panic!("no `leave`"));
    assert_eq!(
        state.choose(&story, leave, RollMode::Random),
        Err(ChooseError::NotAvailable)
    );
}

/// Each node of the undo tree holds its state, stack and all; a save holds
/// the stack by name and brings it back.
#[test]
fn the_stack_is_undone_saved_and_restored() {
    let story = build(STORY, CHAPTER);
    let mut tree = Tree::new(State::new(&story, 3));
    for key in ["yard", "shop", "codex"] {
        play(&story, &mut tree, key);
    }
    assert_eq!(stack(&story, tree.state()), ["yard", "shop"]);
    let snapshot = save::Snapshot::of(&story, tree.state());
    assert_eq!(snapshot.stack, ["yard", "shop"]);
    let (restored, dropped) = snapshot.restore(&story).unwrap();
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(restored.stack, tree.state().stack);
    let file = SaveFile::capture(&story, &tree, story.start, 1_800_000_000, 60);
    let text = file.to_ron().unwrap();
    let parsed = SaveFile::parse(&text, Path::new("s.ron")).unwrap();
    let (loaded, _, report) = parsed.restore(&story, Path::new("s.ron")).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(loaded.state(), tree.state());
    tree.undo(&story, 1);
    assert_eq!(stack(&story, tree.state()), ["yard"]);
    tree.undo(&story, 2);
    assert!(tree.state().stack.is_empty());
}

/// A save whose stack names a scene that is gone keeps the rest, and says
/// what it dropped.
#[test]
fn a_stack_scene_that_is_gone_is_dropped_and_said() {
    let story = build(STORY, CHAPTER);
    let mut state = State::new(&story, 0);
    take(&story, &mut state, "yard");
    take(&story, &mut state, "shop");
    let mut snapshot = save::Snapshot::of(&story, &state);
    snapshot.stack.insert(0, "attic".into());
    let (restored, dropped) = snapshot.restore(&story).unwrap();
    assert_eq!(stack(&story, &restored), ["yard"]);
    assert_eq!(dropped.len(), 1);
    assert!(dropped[0].contains("`attic`"), "{dropped:?}");
}

/// A `return`'s outcomes are every scene a tunnel that reaches it comes
/// back to: the hall and the yard for the shop, the shop for the codex.
#[test]
fn returns_lead_where_their_tunnels_come_back_to() {
    let story = build(STORY, CHAPTER);
    let targets = |scene: &str, key: &str| -> Vec<String> {
        let c = choice(&story, scene, key);
        story
            .targets(c)
            .map(|t| story.scene(t).id.clone())
            .collect()
    };
    assert_eq!(targets("shop", "leave"), ["hall", "yard"]);
    assert_eq!(targets("codex", "close"), ["shop"]);
    assert_eq!(targets("hall", "shop"), ["shop"]);
    assert_eq!(story.tunnel_depth, 2);
    match &story.choice(choice(&story, "yard", "far")).action {
        Action::Tunnel { into, back } => {
            assert_eq!(story.scene(*into).id, "shop");
            assert_eq!(story.scene(*back).id, "hall");
        }
        other => panic!("{other:?}"),
    }
}

/// Words count every variation's items once, as every branch of an `{if}`;
/// tags and markup are not words.
#[test]
fn stats_count_every_item_once() {
    let story = build(
        STORY,
        r#"Chapter(title: "One", scenes: [(id: "hall", title: "Hall",
            text: "One {seq: two three | four} {first}five{else}six seven{end}{#voice:x} {shuffle: eight | nine}",
            ending: (id: "e", title: "E", kind: Good))])"#,
    );
    assert_eq!(stats::count(&story).0.words, 9);
}

#[test]
fn the_graph_draws_tunnels_and_returns() {
    let story = build(STORY, CHAPTER);
    let dot = graph::render(&story, graph::Format::Dot, None);
    let edge = |from: &str, to: &str, label: &str| {
        let (a, b) = (index(&story, from), index(&story, to));
        format!("s{a} -> s{b} [xlabel=\"{label}\"")
    };
    // Choices between the same two scenes share one arrow, their labels
    // on lines of their own.
    for (from, to, label) in [
        ("hall", "shop", "shop tunnel"),
        ("yard", "shop", "shop tunnel\\nfar tunnel"),
        ("shop", "codex", "codex tunnel"),
        ("shop", "hall", "leave return"),
        ("shop", "yard", "leave return"),
        ("codex", "shop", "close return"),
    ] {
        assert!(
            dot.contains(&edge(from, to, label)),
            "{from} -> {to}:\n{dot}"
        );
    }
    let mermaid = graph::render(&story, graph::Format::Mermaid, None);
    assert!(mermaid.contains("|leave return|"), "{mermaid}");
}

#[test]
fn the_string_table_has_every_line_with_its_id_and_tags() {
    let story = build(STORY, CHAPTER);
    let lines = export::lines(&story);
    insta::assert_snapshot!(export::csv(&lines).unwrap());
    // Ids are unique, and the JSON holds the same lines.
    let mut ids: Vec<&str> = lines.iter().map(|l| l.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), lines.len());
    let json: serde_json::Value = serde_json::from_str(&export::json(&story, &lines)).unwrap();
    assert_eq!(json["story"], "Format");
    assert_eq!(json["lines"].as_array().map(Vec::len), Some(lines.len()));
    assert_eq!(json["lines"][0]["kind"], "scene");
}

/// A derived id follows the scene, the place and the text: editing another
/// line keeps it, editing the line changes it; a written id stays.
#[test]
fn line_ids_are_stable_until_their_line_changes() {
    let ids = |chapter: &str| -> Vec<String> {
        export::lines(&build(STORY, chapter))
            .into_iter()
            .map(|l| l.id)
            .collect()
    };
    let chapter = |first: &str, second: &str| {
        format!(
            r#"Chapter(title: "One", scenes: [(id: "hall", title: "Hall",
                text: "{first}\n\n{second}{{#line:fixed}}", ending: (id: "e", title: "E", kind: Good))])"#
        )
    };
    let before = ids(&chapter("The hall.", "A door."));
    let edited = ids(&chapter("The hall.", "A red door."));
    let retold = ids(&chapter("The great hall.", "A door."));
    assert_eq!(before, ["hall.text-c95565", "fixed"]);
    assert_eq!(edited, before);
    assert_ne!(retold[0], before[0]);
    assert_eq!(retold[1], "fixed");
}

/// The CSV is quoted as RFC 4180 says: commas, quotes and line breaks
/// survive a round trip through a CSV reader.
#[test]
fn csv_quotes_what_needs_it() {
    let story = build(
        STORY,
        r##"Chapter(title: "One", scenes: [(id: "hall", title: "Hall",
            text: r#"He said, "Hello, {{you}}."{#a:b}"#,
            ending: (id: "e", title: "E", kind: Good))])"##,
    );
    let table = export::csv(&export::lines(&story)).unwrap();
    let mut reader = csv::Reader::from_reader(table.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][5], "a:b");
    assert_eq!(&rows[0][6], r#"He said, "Hello, {{you}}.""#);
}

// Helpers.

fn build(story: &str, chapter: &str) -> Story {
    let file = |name: &str, text: &str| InputFile {
        rel: name.into(),
        name: name.into(),
        text: text.into(),
    };
    compile::compile(vec![file("story.ron", story), file("a.ron", chapter)]).unwrap_or_else(|f| {
        panic!(
            "{}",
            diagnostic::render_all(&f.diagnostics, &f.sources, false)
        )
    })
}

fn choice(story: &Story, scene: &str, key: &str) -> ChoiceId {
    let scene = story.scene_by_id(scene).unwrap();
    story
        .choice_by_key(scene, key)
        .unwrap_or_else(|| panic!("no choice `{key}`"))
}

fn index(story: &Story, scene: &str) -> usize {
    story.scene_by_id(scene).unwrap().index()
}

fn scene_id(story: &Story, state: &State) -> String {
    story.scene(state.scene).id.clone()
}

fn stack(story: &Story, state: &State) -> Vec<String> {
    state
        .stack
        .iter()
        .map(|&s| story.scene(s).id.clone())
        .collect()
}

fn keys(story: &Story, state: &State) -> Vec<String> {
    state
        .choices(story)
        .map(|c| story.choice(c).key.clone())
        .collect()
}

fn take(story: &Story, state: &mut State, key: &str) -> callister::engine::Outcome {
    let id = state
        .choices(story)
        .find(|&c| story.choice(c).key == key)
        .unwrap_or_else(|| panic!("`{key}` is not open in `{}`", scene_id(story, state)));
    state.choose(story, id, RollMode::Random).unwrap()
}

fn play(story: &Story, tree: &mut Tree, key: &str) {
    let mut state = tree.state().clone();
    let scene = story.scene(state.scene).id.clone();
    let choice = take(story, &mut state, key).choice;
    tree.push(
        Step {
            scene,
            key: key.into(),
            roll: None,
            success: None,
        },
        choice,
        state,
    );
}
