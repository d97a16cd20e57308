//! Authoring diagnostics, one story directory per kind of problem.
//!
//! Every directory under `tests/fixtures/diagnostics` is a tiny story. Each is
//! compiled from disk, and what `callister check` would print (errors, or the
//! lint warnings of a story that compiled) is compared with its snapshot in
//! `tests/snapshots/diagnostics__<case>.snap`. A directory's name starts with
//! the code it is about (`e011_unknown_scene`), and the output must contain
//! that code. To add a case, add a directory and run
//! `INSTA_UPDATE=always cargo test --test diagnostics`, then read the new
//! snapshot before keeping it.

use std::path::{Path, PathBuf};

use callister::{check, compile, diagnostic};

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
        assert!(valid, "fixture `{name}` should be named `e0xx_...` or `w0xx_...`");
    }
}

/// Errors stop the story from compiling; a lint case compiles and only warns.
#[test]
fn error_cases_fail_and_warning_cases_compile() {
    for (name, dir) in cases() {
        let result = compile::load_dir(&dir);
        match (name.starts_with('e'), result) {
            (true, Ok(_)) => panic!("`{name}` compiled, but it is an error case"),
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
                assert!(warnings.iter().all(|d| !d.is_error()), "`{name}`: lints are warnings");
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
                .unwrap_or_else(|e| panic!("`{name}`: the JSON of a diagnostic does not parse: {e}"));
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
    name.split('_').next().unwrap_or_default().to_ascii_uppercase()
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
