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
        code: &'static str,
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
            code: "E030",
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
            code: "E031",
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
            code: "W001",
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
            code: "W002",
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
            code: "E012",
            message: Some("unknown variable `oops`"),
            at: ("a.ron", 2, 67),
            help: Some("declare it in `story.ron` or in the chapter's `variables`"),
        },
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", choices: [(key: "go", text: "Go \u{1F600}\x41 {if lit}\"{end}\n{nope}", goto: "hall")]),
])"#,
            code: "E012",
            message: Some("unknown variable `nope`"),
            at: ("a.ron", 2, 108),
            help: Some("declare it in `story.ron` or in the chapter's `variables`"),
        },
        // An unknown effect is named as an effect, not as a Rust type.
        Case {
            chapter: r#"Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", on_enter: [SetFlg("lit")], ending: (id: "bare", title: "Bare", kind: Good)),
])"#,
            code: "E002",
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
