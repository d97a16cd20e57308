//! The lints of `callister check` see a story the same wherever a thing
//! sits: every site of a story (scene text, `on_enter`, a choice's `when`,
//! its text, its effects, a check's adjustment, a branch's text and
//! effects, any `Say`) reads what it reads for every lint, because they all
//! ask the model's one visitor. And the lints stay linear in the size of
//! the story.

use callister::story::compile::{self, InputFile};
use callister::story::{Story, diagnostic};
use callister::tools::check;

const STORY: &str = r#"Story(
    title: "Test",
    start: "hall",
    variables: [(id: "fuel", initial: 2, min: 0, max: 5)],
    flags: ["lit"],
)"#;

/// A condition that W005 (`fuel > 9` can never hold) and W004 (`lit` is
/// read but never set) both see.
const COND: &str = "fuel > 9 or lit";

/// The hall with `COND` at one site, named by the first field.
const SITES: [(&str, &str); 8] = [
    (
        "scene text",
        r#"text: "{if COND}x{end}", choices: [(key: "a", text: "a", goto: "end")]"#,
    ),
    (
        "on_enter",
        r#"text: "x", on_enter: [Say("{if COND}x{end}")], choices: [(key: "a", text: "a", goto: "end")]"#,
    ),
    (
        "when",
        r#"text: "x", choices: [(key: "a", text: "a", when: "COND", goto: "end"), (key: "b", text: "b", goto: "end")]"#,
    ),
    (
        "choice text",
        r#"text: "x", choices: [(key: "a", text: "{if COND}x{end}", goto: "end")]"#,
    ),
    (
        "choice effects",
        r#"text: "x", choices: [(key: "a", text: "a", effects: [Say("{if COND}x{end}")], goto: "end")]"#,
    ),
    (
        "adjustment",
        r#"text: "x", choices: [(key: "a", text: "a", check: (chance: 50, adjust: [When("COND", 10)], success: (goto: "end"), failure: (goto: "end")))]"#,
    ),
    (
        "success text",
        r#"text: "x", choices: [(key: "a", text: "a", check: (chance: 50, success: (text: "{if COND}x{end}", goto: "end"), failure: (goto: "end")))]"#,
    ),
    (
        "failure effects",
        r#"text: "x", choices: [(key: "a", text: "a", check: (chance: 50, success: (goto: "end"), failure: (effects: [Say("{if COND}x{end}")], goto: "end")))]"#,
    ),
];

fn story(hall: &str) -> Story {
    let chapter = format!(
        r#"Chapter(title: "One", scenes: [
            (id: "hall", title: "Hall", {hall}),
            (id: "end", title: "End", text: "x", ending: (id: "end", title: "End", kind: Good)),
        ])"#
    )
    .replace("COND", COND);
    let files = vec![
        InputFile {
            rel: "story.ron".into(),
            name: "story.ron".into(),
            text: STORY.into(),
        },
        InputFile {
            rel: "a.ron".into(),
            name: "a.ron".into(),
            text: chapter,
        },
    ];
    compile::compile(files).unwrap_or_else(|f| {
        panic!(
            "{}",
            diagnostic::render_all(&f.diagnostics, &f.sources, false)
        )
    })
}

/// The same condition gives the same warnings at every site: one W005 for
/// the impossible comparison, one W004 for the flag never set (and `fuel`,
/// never written, one W004 of its own).
#[test]
fn a_condition_is_linted_the_same_at_every_site() {
    for (site, hall) in SITES {
        let story = story(hall);
        let warnings = check::lint(&story);
        let rendered = diagnostic::render_all(&warnings, &story.sources, false);
        let count = |what: &str| rendered.matches(what).count();
        assert_eq!(
            count("warning[W005]: `fuel > 9` can never hold"),
            1,
            "{site}:\n{rendered}"
        );
        assert_eq!(
            count("warning[W004]: flag `lit` is read but never set"),
            1,
            "{site}:\n{rendered}"
        );
        assert_eq!(
            count("warning[W004]: variable `fuel` is read but never written"),
            1,
            "{site}:\n{rendered}"
        );
        assert_eq!(warnings.len(), 3, "{site}:\n{rendered}");
    }
}

/// Issue 13, item 13: the duplicate-key lint was quadratic in the choices
/// of one scene (100,000 choices took 69 s in a release build). A scene of
/// 100,000 choices, every key used twice, gives its 50,000 warnings in a
/// moment even unoptimised; the quadratic lint would compare five billion
/// pairs of keys here, minutes in a debug build.
#[test]
fn duplicate_keys_are_found_in_one_pass_over_a_huge_scene() {
    let mut story = story(r#"text: "x", choices: [(key: "a", text: "a", goto: "end")]"#);
    let hall = story.scene_by_id("hall").expect("the hall");
    let template = story.choice(story.scene(hall).choices[0]).clone();
    story.choices.clear();
    story.scenes[hall.index()].choices.clear();
    const CHOICES: u32 = 100_000;
    for i in 0..CHOICES {
        let mut choice = template.clone();
        choice.key = format!("k{}", i % (CHOICES / 2));
        story.scenes[hall.index()]
            .choices
            .push(callister::story::ChoiceId(i));
        story.choices.push(choice);
    }
    let warnings = check::lint(&story);
    let duplicates: Vec<_> = warnings
        .iter()
        .filter(|d| d.message.contains("has two choices keyed"))
        .collect();
    assert_eq!(duplicates.len(), (CHOICES / 2) as usize);
    assert_eq!(
        duplicates[0].message,
        "scene `hall` has two choices keyed `k0`"
    );
    assert_eq!(
        duplicates.last().map(|d| d.message.as_str()),
        Some("scene `hall` has two choices keyed `k49999`")
    );
}

/// A constant condition (W007) is found at every site, and reported at the
/// condition itself: the caret's line holds the condition's text.
#[test]
fn a_constant_condition_is_found_at_every_site_and_shown_where_it_is() {
    for (site, hall) in SITES {
        let story = story(&hall.replace("COND", "lit and fuel > 3 and fuel < 2"));
        let warnings: Vec<_> = check::lint(&story)
            .into_iter()
            .filter(|d| d.code == callister::story::code::Code::W007)
            .collect();
        let rendered = diagnostic::render_all(&warnings, &story.sources, false);
        assert_eq!(warnings.len(), 1, "{site}:\n{rendered}");
        assert!(
            rendered.contains("condition `fuel > 3 and fuel < 2` never holds")
                || rendered.contains("condition `lit and fuel > 3 and fuel < 2` never holds"),
            "{site}:\n{rendered}"
        );
        let (file, line, _) = warnings[0].location(&story.sources).expect("a location");
        assert_eq!(file, "a.ron", "{site}");
        let source = story.sources.get(story.scenes[0].span.file);
        assert!(
            source.line(line).contains("fuel > 3 and fuel < 2"),
            "{site}: line {line} is `{}`",
            source.line(line)
        );
    }
}
