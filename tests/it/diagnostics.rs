//! Authoring diagnostics, one story directory per kind of problem.
//!
//! Every directory under `tests/fixtures/diagnostics` is a tiny story. Each is
//! compiled from disk, and what `callister check` would print (errors, or the
//! lint warnings of a story that compiled) is compared with its snapshot in
//! `tests/it/snapshots/it__diagnostics__<case>.snap`. A directory's name starts with
//! the code it is about (`e011_unknown_scene`), and the output must contain
//! that code. To add a case, add a directory and run
//! `INSTA_UPDATE=always cargo test --test diagnostics`, then read the new
//! snapshot before keeping it.

use std::path::{Path, PathBuf};

use callister::story::code::Code;
use callister::story::{compile, diagnostic};
use callister::tools::check;

const FIXTURES: &str = "tests/fixtures/diagnostics";

#[test]
fn every_fixture_matches_its_snapshot() {
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "expected the diagnostics fixtures in `{FIXTURES}`, found {}",
        cases.len()
    );
    for (name, dir) in cases {
        let rendered = check_output(&dir);
        let code = expected_code(&name);
        assert!(
            rendered.contains(&format!("[{code}]")),
            "`{name}` should report {code}, but printed:\n{rendered}"
        );
        insta::assert_snapshot!(name.as_str(), rendered);
    }
}

/// Every fixture's name starts with a diagnostic code and a `_`.
#[test]
fn fixture_names_start_with_a_code() {
    for (name, _) in cases() {
        let code = expected_code(&name);
        let valid = code.len() == 4
            && (code.starts_with('E') || code.starts_with('W'))
            && code[1..].bytes().all(|b| b.is_ascii_digit());
        assert!(
            valid,
            "fixture `{name}` should be named `e0xx_...` or `w0xx_...`"
        );
    }
}

/// Errors stop the story from compiling, or (E042, which the lints find)
/// fail `check`; a lint case compiles and only warns.
#[test]
fn error_cases_fail_and_warning_cases_compile() {
    for (name, dir) in cases() {
        let result = compile::load_dir(&dir);
        match (name.starts_with('e'), result) {
            (true, Ok(story)) => assert!(
                check::lint(&story).iter().any(|d| d.is_error()),
                "`{name}` compiled without an error, but it is an error case"
            ),
            (true, Err(failure)) => assert!(
                failure.diagnostics.iter().any(|d| d.is_error()),
                "`{name}` failed without an error"
            ),
            (false, Err(failure)) => panic!(
                "`{name}` is a lint case but did not compile:\n{}",
                diagnostic::render_all(&failure.diagnostics, &failure.sources, false)
            ),
            (false, Ok(story)) => {
                let warnings = check::lint(&story);
                assert!(!warnings.is_empty(), "`{name}` gave no warning");
                assert!(
                    warnings.iter().all(|d| !d.is_error()),
                    "`{name}`: lints are warnings"
                );
            }
        }
    }
}

/// A JSON diagnostic agrees with the rendered one on where the problem is.
#[test]
fn json_locations_match_rendered_locations() {
    for (name, dir) in cases() {
        let Err(failure) = compile::load_dir(&dir) else {
            continue;
        };
        for d in &failure.diagnostics {
            let json: serde_json::Value = serde_json::from_str(&d.to_json(&failure.sources))
                .unwrap_or_else(|e| {
                    panic!("`{name}`: the JSON of a diagnostic does not parse: {e}")
                });
            match d.location(&failure.sources) {
                Some((file, line, column)) => {
                    assert_eq!(json["file"], file.as_str(), "`{name}`");
                    assert_eq!(json["line"], line, "`{name}`");
                    assert_eq!(json["column"], column, "`{name}`");
                    assert!(
                        d.render(&failure.sources, false)
                            .contains(&format!("--> {file}:{line}:{column}")),
                        "`{name}`"
                    );
                }
                None => assert!(json["file"].is_null(), "`{name}`"),
            }
        }
    }
}

/// Colour only adds ANSI styles: stripped of them, it is the plain text.
#[test]
fn colour_adds_only_styles() {
    for (name, dir) in cases() {
        let Err(failure) = compile::load_dir(&dir) else {
            continue;
        };
        let plain = diagnostic::render_all(&failure.diagnostics, &failure.sources, false);
        let coloured = diagnostic::render_all(&failure.diagnostics, &failure.sources, true);
        assert!(coloured.contains('\x1b'), "`{name}`: no colour");
        assert_eq!(strip_ansi(&coloured), plain, "`{name}`");
    }
}

/// Diagnostics whose place and words are right, but whose snapshot would
/// bless a known fault, are checked here field by field instead (see the
/// notes on each case).
#[test]
fn located_without_snapshot() {
    // Each case: the chapter file, then the expected code, message, line,
    // column and help of the first diagnostic.
    struct Case {
        chapter: &'static str,
        code: Code,
        message: Option<&'static str>,
        at: (&'static str, usize, usize),
        help: Option<&'static str>,
    }
    let cases = [
        // Scene diagnostics point at the scene's id (E030, E031, W001, W002).
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x"),
])"#,
            code: Code::E030,
            message: Some("scene `hall` has no choices and is not an ending"),
            at: ("a.ron", 2, 11),
            help: Some("add a choice, or an `ending: (id: .., title: .., kind: ..)`"),
        },
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (
        id: "hall",
        title: "Hall",
        text: "x",
        choices: [(key: "stay", text: "Stay", goto: "hall")],
        ending: (id: "bare", title: "Bare", kind: Good),
    ),
])"#,
            code: Code::E031,
            message: Some("ending scene `hall` has choices"),
            at: ("a.ron", 3, 14),
            help: None,
        },
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", choices: [(key: "on", text: "On", goto: "end")]),
    (id: "attic", title: "Attic", text: "x", choices: [(key: "down", text: "Down", goto: "hall")]),
    (id: "end", title: "End", text: "x", ending: (id: "done", title: "Done", kind: Good)),
])"#,
            code: Code::W001,
            message: Some("scene `attic` is unreachable"),
            at: ("a.ron", 3, 11),
            help: Some("add a choice with `goto: \"attic\"`, or remove the scene"),
        },
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", choices: [(key: "on", text: "On", goto: "end")]),
    (id: "end", title: "End", text: "x", ending: (id: "done", title: "Done", kind: Good)),
    (id: "vault", title: "Vault", text: "x", ending: (id: "secret", title: "Secret", kind: Good)),
])"#,
            code: Code::W002,
            message: Some("ending `secret` can never be reached"),
            at: ("a.ron", 4, 11),
            help: Some("add a choice with `goto: \"vault\"`, or remove the scene"),
        },
        // Names after escapes in the same string are found at their real
        // column: `\"` and `\u{e9}` take more room in the file than in the
        // value.
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "He said \"caf\u{e9}\" and {oops}.", ending: (id: "e", title: "E", kind: Good)),
])"#,
            code: Code::E012,
            message: Some("unknown variable `oops`"),
            at: ("a.ron", 2, 67),
            help: Some("declare it in `story.ron` or in the chapter's `variables`"),
        },
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", choices: [(key: "go", text: "Go \u{1F600}\x41 {if lit}\"{end}\n{nope}", goto: "hall")]),
])"#,
            code: Code::E012,
            message: Some("unknown variable `nope`"),
            at: ("a.ron", 2, 108),
            help: Some("declare it in `story.ron` or in the chapter's `variables`"),
        },
        // An unknown effect is named as an effect, not as a Rust type.
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", on_enter: [SetFlg("lit")], ending: (id: "bare", title: "Bare", kind: Good)),
])"#,
            code: Code::E002,
            message: Some("unknown effect `SetFlg`"),
            at: ("a.ron", 2, 55),
            help: Some("did you mean `SetFlag`?"),
        },
    ];
    for case in cases {
        let files = [
            (
                "story.ron",
                r#"Story(title: "T", start: "hall", flags: ["lit"])"#,
            ),
            ("a.ron", case.chapter),
        ];
        let (diagnostics, sources) = match compile_strs(&files) {
            Ok(story) => (check::lint(&story), story.sources),
            Err(failure) => (failure.diagnostics, failure.sources),
        };
        let rendered = diagnostic::render_all(&diagnostics, &sources, false);
        let d = diagnostics
            .iter()
            .find(|d| d.code == case.code)
            .unwrap_or_else(|| panic!("no {} in:\n{rendered}", case.code));
        if let Some(message) = case.message {
            assert_eq!(d.message, message, "{rendered}");
        }
        let (file, line, column) = d.location(&sources).expect("a location");
        assert_eq!((file.as_str(), line, column), case.at, "{rendered}");
        assert_eq!(d.help.as_deref(), case.help, "{rendered}");
    }
}

/// A syntax error in one chapter is reported in that chapter. The story's
/// `start` lives in another, intact chapter, so nothing else is reported.
#[test]
fn syntax_error_in_one_chapter_leaves_the_others_alone() {
    let files = [
        ("story.ron", r#"Story(title: "T", start: "hall")"#),
        (
            "a.ron",
            r#"Chapter(title: "One", scenes: [(id: "hall", title: "Hall", text: "x", ending: (id: "e", title: "E", kind: Good))])"#,
        ),
        (
            "b.ron",
            "Chapter(title: \"Two\", scenes: [(id: \"cellar\",,)])",
        ),
    ];
    let failure = compile_strs(&files).expect_err("b.ron is broken");
    let rendered = diagnostic::render_all(&failure.diagnostics, &failure.sources, false);
    assert_eq!(failure.diagnostics.len(), 1, "{rendered}");
    let (file, line, _) = failure.diagnostics[0]
        .location(&failure.sources)
        .expect("a location");
    assert_eq!((file.as_str(), line), ("b.ron", 1), "{rendered}");
}

/// Issue 18: prose that holds words like a field's (`text: read me`,
/// `goto: the cellar`, `Kind: "Good"`) is prose, not a swallowed file
/// (E007 needs a field's name and `:` followed by a quote or a bracket).
#[test]
fn honest_prose_that_looks_like_fields_is_prose() {
    let prose = [
        "A note says text: read me.",
        "goto: the cellar, it says, (key: under the mat).",
        "The choices: none of them good.",
        "Kind: \"Good\", it says. Title: \"none\".",
        "ids: [1, 2] and ID: \"x\"",
    ];
    for text in prose {
        let chapter = format!(
            "Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", text: r#\"{text}\"#, on_enter: [Say(r#\"{text}\"#)], ending: (id: \"e\", title: \"E\", kind: Good))])"
        );
        let files = [
            ("story.ron", r#"Story(title: "T", start: "hall")"#),
            ("a.ron", chapter.as_str()),
        ];
        if let Err(failure) = compile_strs(&files) {
            panic!(
                "{text:?} was taken for structure:\n{}",
                diagnostic::render_all(&failure.diagnostics, &failure.sources, false)
            );
        }
    }
}

/// Issue 18: no message, label or help names a type of the program
/// (`RawEffect::Add`, `RawVariable`): every fixture, and a missing or
/// unknown field in each of the structs a story writes.
#[test]
fn no_diagnostic_names_a_type_of_the_program() {
    let mut failures = Vec::new();
    for (_, dir) in cases() {
        if let Err(failure) = compile::load_dir(&dir) {
            failures.push(failure);
        }
    }
    let story = |fields: &str| format!("Story(title: \"T\", start: \"hall\", {fields})");
    let chapter = |scene: &str| {
        format!("Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", {scene})])")
    };
    let broken = [
        (story("variables: [(initial: 1)]"), chapter("")),
        (story("variables: [(id: \"a\", size: 1)]"), chapter("")),
        (story("items: [(id: \"a\")]"), chapter("")),
        (story("crew: [(name: \"A\")]"), chapter("")),
        (
            story("crew: [(id: \"a\", name: \"A\", rank: 1)]"),
            chapter(""),
        ),
        (story(""), chapter("choices: [(key: \"a\")]")),
        (
            story(""),
            chapter("choices: [(key: \"a\", text: \"A\", check: (success: (goto: \"hall\")))]"),
        ),
        (
            story(""),
            chapter("choices: [(key: \"a\", text: \"A\", check: (chance: 1, success: ()))]"),
        ),
        (story(""), chapter("ending: (id: \"e\")")),
        (story(""), chapter("on_enter: [Add(\"a\")]")),
        (story(""), chapter("on_enter: [Say(1)]")),
        (
            story(""),
            chapter(
                "choices: [(key: \"a\", text: \"A\", check: (chance: 1, adjust: [Per(\"a\")]))]",
            ),
        ),
        (
            story(""),
            chapter("ending: (id: \"e\", title: \"E\", kind: Good(1))"),
        ),
        (story(""), chapter("status: 1")),
    ];
    for (story, chapter) in &broken {
        let files = [("story.ron", story.as_str()), ("a.ron", chapter.as_str())];
        match compile_strs(&files) {
            Err(failure) => failures.push(failure),
            Ok(_) => panic!("{story} {chapter} compiled"),
        }
    }
    for failure in &failures {
        let rendered = diagnostic::render_all(&failure.diagnostics, &failure.sources, false);
        for d in &failure.diagnostics {
            let words = std::iter::once(d.message.as_str())
                .chain(d.help.as_deref())
                .chain(
                    d.primary
                        .iter()
                        .chain(&d.related)
                        .map(|l| l.message.as_str()),
                );
            for w in words {
                assert!(
                    !w.contains("Raw") && !w.contains("::"),
                    "a type name in `{w}`:\n{rendered}"
                );
            }
        }
    }
}

/// A story whose only chapter cannot be read is not also said to have no
/// scenes (E005), nor its start to be unknown: the chapter declares it.
#[test]
fn a_chapter_that_cannot_be_read_is_not_called_empty() {
    let files = [
        ("story.ron", r#"Story(title: "T", start: "hall")"#),
        (
            "a.ron",
            "Chapter(title: \"One\", scenes: [(id: \"hall\" title: \"Hall\")])",
        ),
    ];
    let failure = compile_strs(&files).expect_err("a.ron is broken");
    let codes: Vec<Code> = failure.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::E001]);
}

/// A chapter with a broken scene after another is bounded: each later
/// scene is read on its own, at most 20 errors and a line saying there are
/// more, in time linear in the file.
#[test]
fn many_broken_scenes_give_a_bounded_report() {
    let mut chapter = String::from("Chapter(title: \"One\", scenes: [\n");
    for i in 0..5_000 {
        chapter.push_str(&format!(
            "    (\n        id: \"s{i}\",\n        title: \"S\"\n        text: \"x\",\n    ),\n"
        ));
    }
    chapter.push_str("])\n");
    let files = [
        ("story.ron", r#"Story(title: "T", start: "s0")"#),
        ("a.ron", chapter.as_str()),
    ];
    let failure = compile_strs(&files).expect_err("every scene lacks a comma");
    assert_eq!(failure.diagnostics.len(), 21);
    assert!(
        failure.diagnostics[..20]
            .iter()
            .all(|d| d.message == "expected `,` after the value of `title`, found `text`")
    );
    assert_eq!(
        failure.diagnostics[20].message,
        "more scenes of `a.ron` cannot be read: the first 20 errors are shown"
    );
}

/// Every prefix of a chapter, and the chapter with any one character
/// taken out, compiles without a panic, and each diagnostic of a file
/// points inside it: the syntax errors are read off tokens that may stop
/// anywhere.
#[test]
fn every_prefix_and_every_deletion_is_diagnosed() {
    let story = r#"Story(title: "T", start: "hall", variables: [(id: "oil", initial: 1)], flags: ["lit"], items: [(id: "key", name: "a key")])"#;
    // Every kind of value a chapter holds, in under a kilobyte.
    let chapter = r##"Chapter(
    title: "Été", // a comment
    scenes: [
        (
            id: "hall", title: "Hall",
            text: r#"A "bare" hall. {if lit}Lit.{end}"#,
            on_enter: [Add("oil", -1), SetFlag("lit"), Say("Ça va.")],
            choices: [
                (key: "go", text: "Go \"on\"", when: "has key and oil > 0", goto: "end", once: true),
                (key: "try", text: "Try", check: (chance: 40, adjust: [Per("oil", 2), When("lit", 5)],
                    success: (text: "Yes.", goto: "end"), failure: (effects: [Take("key")], goto: "hall"))),
            ],
        ),
        /* nested /* comment */ */
        (id: "end", title: "End", status: false, ending: (id: "done", title: "Done", kind: Good)),
    ],
)"##;
    if let Err(failure) = compile_strs(&[("story.ron", story), ("a.ron", chapter)]) {
        panic!(
            "{}",
            diagnostic::render_all(&failure.diagnostics, &failure.sources, false)
        );
    }
    let cuts = chapter.char_indices().map(|(i, _)| i);
    let mut variants: Vec<String> = cuts.clone().map(|i| chapter[..i].to_string()).collect();
    variants.extend(cuts.map(|i| {
        let c = chapter[i..].chars().next().map_or(0, char::len_utf8);
        format!("{}{}", &chapter[..i], &chapter[i + c..])
    }));
    for text in &variants {
        let files = [("story.ron", story), ("a.ron", text.as_str())];
        let Err(failure) = compile_strs(&files) else {
            continue;
        };
        for d in &failure.diagnostics {
            let Some(label) = &d.primary else { continue };
            let source = &failure.sources.files[label.span.file.0 as usize];
            assert!(
                label.span.start <= label.span.end && label.span.end <= source.text.len(),
                "{}: {:?} outside the file",
                d.message,
                label.span
            );
            let _ = d.render(&failure.sources, false);
        }
    }
}

// Helpers.

/// What `callister check` prints for a story directory, without colour.
fn check_output(dir: &Path) -> String {
    match compile::load_dir(dir) {
        Ok(story) => diagnostic::render_all(&check::lint(&story), &story.sources, false),
        Err(failure) => diagnostic::render_all(&failure.diagnostics, &failure.sources, false),
    }
}

/// The fixture directories, by name, in order.
fn cases() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = std::fs::read_dir(FIXTURES)
        .unwrap_or_else(|e| panic!("cannot read `{FIXTURES}`: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("fixture names are UTF-8")
                .to_string();
            (name, path)
        })
        .collect();
    cases.sort();
    cases
}

/// `e011_unknown_scene` is about `E011`.
fn expected_code(name: &str) -> String {
    name.split('_')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // `ESC [ ... m`
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Compiles in-memory files, each named by its path in the story directory.
fn compile_strs(files: &[(&str, &str)]) -> Result<callister::story::Story, compile::Failure> {
    compile::compile(
        files
            .iter()
            .map(|(name, text)| compile::InputFile {
                rel: (*name).into(),
                name: (*name).into(),
                text: (*text).into(),
            })
            .collect(),
    )
}

/// Codes that no story file can produce, so that no fixture shows them;
/// each with the reason.
const NO_FIXTURE: &[(Code, &str)] = &[];

/// docs/diagnostics.md is the index generated from the codes, word for
/// word. `CALLISTER_BLESS=1 cargo test code_index` rewrites it.
#[test]
fn code_index_matches_the_docs() {
    const DOC: &str = "docs/diagnostics.md";
    let expected = Code::index_markdown();
    if std::env::var_os("CALLISTER_BLESS").is_some() {
        std::fs::write(DOC, &expected).expect("docs/diagnostics.md is writable");
    }
    let written = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(
        written == expected,
        "{DOC} is not the index of `Code`: run `CALLISTER_BLESS=1 cargo test code_index` and read the diff"
    );
    for code in Code::ALL {
        assert!(
            written.contains(&format!("\n## {code}\n")),
            "{DOC} has no section for {code}"
        );
    }
}

/// Every code has a fixture (and so a snapshot) that shows it, except the
/// few that no story file can produce, each said by name with its reason;
/// and every fixture's code is a code.
#[test]
fn every_code_has_a_fixture() {
    let cases = cases();
    for code in Code::ALL {
        let prefix = format!("{}_", code.as_str().to_ascii_lowercase());
        let fixture = cases.iter().any(|(name, _)| name.starts_with(&prefix));
        let excused = NO_FIXTURE.iter().find(|(c, _)| c == code);
        match (fixture, excused) {
            (true, None) | (false, Some(_)) => {}
            (false, None) => panic!(
                "{code} has no fixture: add `{FIXTURES}/{prefix}...` (or say in NO_FIXTURE why a story cannot produce it)"
            ),
            (true, Some((_, why))) => {
                panic!("{code} has a fixture, but NO_FIXTURE says a story cannot produce it: {why}")
            }
        }
    }
    for (name, _) in &cases {
        let code = expected_code(name);
        assert!(
            Code::parse(&code).is_some(),
            "fixture `{name}` is named after `{code}`, which is not a code"
        );
    }
}

/// Each code's severity is the one its fixture shows: error fixtures fail to
/// compile with that code as an error, lint fixtures warn with it.
#[test]
fn fixtures_show_their_code_at_its_severity() {
    for (name, dir) in cases() {
        let code = Code::parse(&expected_code(&name)).expect("a code");
        let diagnostics = match compile::load_dir(&dir) {
            Ok(story) => check::lint(&story),
            Err(failure) => failure.diagnostics,
        };
        let found = diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("`{name}` does not report {code}"));
        assert_eq!(found.severity, code.severity(), "`{name}`");
    }
}

/// `callister explain` knows every code, and says so plainly of others.
#[test]
fn explain_knows_every_code() {
    for code in Code::ALL {
        assert_eq!(Code::lookup(code.as_str()), Ok(*code));
        assert_eq!(Code::lookup(&code.as_str().to_ascii_lowercase()), Ok(*code));
        let text = code.explain();
        assert!(text.starts_with(&format!("{code} (")), "{text}");
        assert!(
            text.contains("```"),
            "{code}: an explanation shows an example"
        );
    }
    assert_eq!(
        Code::lookup("E11"),
        Err("no diagnostic has the code `E11`: did you mean `E011`?".to_string())
    );
    assert!(Code::lookup("hello").is_err());
}

/// `callister explain CODE` prints the explanation; an unknown code is an
/// error (exit 2) with the nearest code.
#[test]
fn explain_prints_the_explanation_or_the_nearest_code() {
    let bin = assert_cmd::cargo::cargo_bin("callister");
    let out = std::process::Command::new(&bin)
        .args(["explain", "e011"])
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), Code::E011.explain());
    let out = std::process::Command::new(&bin)
        .args(["explain", "W07"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no diagnostic has the code `W07`: did you mean `W007`?\n"
    );
}
