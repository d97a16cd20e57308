//! The guides cannot drift: every RON block in them parses, every block that
//! quotes a file of `examples/` matches it, every console session in them is
//! the real binary's output, and every example story passes `check`, a full
//! exploration and the replay of its blessed playthroughs.
//!
//! The rules for the Markdown are written at the top of `docs/authoring.md`.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin;
use callister::engine::State;
use callister::tools::plan::{self, Plan};

/// The guides whose blocks are checked.
const GUIDES: &[&str] = &["docs/authoring.md", "docs/scene-format.md"];

/// Blocks known to break the rules, as (guide, a line of the block, why).
/// Each must still fail, so that fixing it reminds you to remove it here.
const KNOWN_BAD: &[(&str, &str, &str)] = &[];

#[test]
fn guides_match_the_code() {
    let mut failures = Vec::new();
    let mut known = Vec::new();
    for guide in GUIDES {
        let text = std::fs::read_to_string(root().join(guide))
            .unwrap_or_else(|e| panic!("cannot read {guide}: {e}"));
        let scratch = tempfile::tempdir().expect("a temporary directory");
        for block in blocks(&text) {
            let at = format!("{guide}:{}", block.line);
            let problem = check_block(&block, scratch.path());
            let known_bad = KNOWN_BAD
                .iter()
                .find(|(g, line, _)| g == guide && block.content.iter().any(|l| l.trim() == *line));
            match (problem, known_bad) {
                (Some(p), None) => failures.push(format!("{at}: {p}")),
                (Some(_), Some((_, line, _))) => known.push((guide, line)),
                (None, Some((_, _, why))) => {
                    failures.push(format!(
                        "{at}: listed in KNOWN_BAD ({why}) but now passes: remove it"
                    ));
                }
                (None, None) => {}
            }
        }
    }
    for (guide, line, _) in KNOWN_BAD {
        if !known.contains(&(guide, line)) {
            failures.push(format!(
                "{guide}: listed in KNOWN_BAD, but no block with `{line}` fails"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) in the guides:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn example_plans_replay_to_their_transcripts() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for story_dir in example_stories() {
        let Ok(entries) = std::fs::read_dir(story_dir.join("plans")) else {
            continue;
        };
        let mut plans: Vec<PathBuf> = entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| {
                p.to_string_lossy().ends_with(".plan") || p.to_string_lossy().ends_with(".plan.ron")
            })
            .collect();
        plans.sort();
        for path in plans {
            let name = path.to_string_lossy().into_owned();
            let stem = name.trim_end_matches(".ron").trim_end_matches(".plan");
            let story = callister::story::compile::load_dir(&story_dir).unwrap_or_else(|f| {
                panic!("{} does not load: {:?}", story_dir.display(), f.diagnostics)
            });
            let plan = Plan::parse(&read(&path)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let result = plan.replay(story).unwrap_or_else(|e| panic!("{name}: {e}"));
            for f in &result.failures {
                failures.push(format!("{name}: {f}"));
            }
            let expected = read(Path::new(&format!("{stem}.txt")));
            if expected != result.transcript {
                failures.push(format!(
                    "{name}: the transcript differs from {stem}.txt (bless it with `callister replay {name} \
                     --scenes {} --expect {stem}.txt --bless`):\n{}",
                    story_dir.display(),
                    plan::diff(&expected, &result.transcript)
                ));
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        replayed >= 5,
        "expected the plans of both examples, replayed {replayed}"
    );
}

#[test]
fn examples_check_clean_and_explore_completely() {
    let stories = example_stories();
    assert!(
        stories.len() >= 2,
        "expected at least two example stories, found {stories:?}"
    );
    for dir in stories {
        let name = dir.display();
        let story = callister::story::compile::load_dir(&dir)
            .unwrap_or_else(|f| panic!("{name} does not load: {:?}", f.diagnostics));
        let lints = callister::tools::check::lint(&story);
        assert!(lints.is_empty(), "{name} has warnings: {lints:?}");
        let report = callister::tools::explore::explore(
            &story,
            State::new(&story, 0),
            1_000_000,
            &|_, _| {},
        );
        assert!(report.complete, "{name}: the exploration was cut off");
        let unreached: Vec<&str> = story
            .scenes
            .iter()
            .zip(&report.scenes_reached)
            .filter(|(_, reached)| !**reached)
            .map(|(s, _)| s.id.as_str())
            .collect();
        assert!(
            unreached.is_empty(),
            "{name}: unreached scenes {unreached:?}"
        );
        let untaken = report.choices_taken.iter().filter(|t| !**t).count();
        assert_eq!(untaken, 0, "{name}: {untaken} choices are never taken");
        assert_eq!(
            report.endings.len(),
            story.endings.len(),
            "{name}: not every ending is reached"
        );
        assert!(
            report.soft_locks.is_empty(),
            "{name}: soft-locks at {:?}",
            report.soft_locks
        );
    }
}

/// A fenced block of a guide.
struct Block {
    /// The info string after the opening fence.
    info: String,
    /// The 1-based line of the block's first line of content.
    line: usize,
    content: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match open.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim().to_string(),
                        line: i + 2,
                        content: Vec::new(),
                    });
                }
            }
            Some(mut block) => {
                if line.trim_end() == "```" {
                    out.push(block);
                } else {
                    block.content.push(line.to_string());
                    open = Some(block);
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    out
}

/// What is wrong with a block, if anything. RON blocks that name a scratch
/// file are written into `scratch` for the console blocks that follow.
fn check_block(block: &Block, scratch: &Path) -> Option<String> {
    let first = block.content.first().map(|l| l.trim()).unwrap_or("");
    let named = first
        .strip_prefix("// ")
        .or_else(|| first.strip_prefix("-- "))
        .filter(|p| !p.contains(' '));
    if let Some(path) = named.filter(|p| p.starts_with("examples/") || p.starts_with("editors/")) {
        if !matches!(block.info.as_str(), "ron" | "text" | "lua") {
            return Some(format!(
                "a block quoting `{path}` must be ```ron, ```text or ```lua"
            ));
        }
        let Ok(file) = std::fs::read_to_string(root().join(path)) else {
            return Some(format!("quotes `{path}`, which does not exist"));
        };
        let quoted = block.content[1..].join("\n");
        if quoted.trim_end() != file.trim_end() {
            return Some(format!(
                "differs from `{path}`:\n{}",
                plan::diff(file.trim_end(), quoted.trim_end())
            ));
        }
        if block.info != "ron" {
            return None;
        }
    }
    match block.info.as_str() {
        "ron" => {
            let text = block.content.join("\n");
            if let Some(path) = named.filter(|p| p.starts_with("my-")) {
                let file = scratch.join(path);
                std::fs::create_dir_all(file.parent().expect("a parent directory"))
                    .expect("a scratch directory");
                std::fs::write(&file, format!("{text}\n")).expect("a scratch file");
            }
            ron::Options::default()
                .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
                .from_str::<ron::Value>(&text)
                .err()
                .map(|e| format!("not valid RON: {e}"))
        }
        "console" => check_console(block, scratch),
        _ => None,
    }
}

/// Runs each `$` line of a console block and compares the output.
fn check_console(block: &Block, scratch: &Path) -> Option<String> {
    let saves = tempfile::tempdir().expect("a temporary directory");
    let mut problems = Vec::new();
    let mut sessions: Vec<(usize, String, Vec<String>)> = Vec::new();
    for (i, line) in block.content.iter().enumerate() {
        match line.strip_prefix("$ ") {
            Some(command) => sessions.push((block.line + i, command.to_string(), Vec::new())),
            None => match sessions.last_mut() {
                Some((_, _, expected)) => expected.push(line.trim_end().to_string()),
                None => return Some("a console block must start with a `$ ` line".to_string()),
            },
        }
    }
    for (line, command, expected) in sessions {
        let (input, args) = match parse_command(&command) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.starts_with("my-") {
                    scratch.join(a).to_string_lossy().into_owned()
                } else {
                    a.clone()
                }
            })
            .collect();
        let mut child = Command::new(cargo_bin("callister"))
            .args(&args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("CALLISTER_SAVES", saves.path())
            .env_remove("COLUMNS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the callister binary runs");
        {
            let mut stdin = child.stdin.take().expect("a stdin pipe");
            // The program may exit before reading all of it.
            let _ = stdin.write_all(input.as_bytes());
        }
        let out = child
            .wait_with_output()
            .expect("the callister binary finishes");
        let mut actual = String::from_utf8_lossy(&out.stdout).into_owned();
        actual.push_str(&String::from_utf8_lossy(&out.stderr));
        let scratch_prefix = format!("{}/", scratch.display());
        let actual = actual
            .replace(&scratch_prefix, "")
            .replace(&saves.path().display().to_string(), "$CALLISTER_SAVES");
        let actual: Vec<String> = trim_lines(actual.lines().map(str::trim_end));
        let expected = trim_lines(expected.iter().map(String::as_str));
        if !matches_lines(&expected, &actual) {
            problems.push(format!(
                "line {line}: `$ {command}` printed something else:\n{}\nthe whole output:\n{}",
                plan::diff(&expected.join("\n"), &actual.join("\n")),
                actual.join("\n")
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("\n\n"))
}

/// `callister ARGS` or `printf 'INPUT' | callister ARGS` → (input, args).
fn parse_command(command: &str) -> Result<(String, Vec<String>), String> {
    let (input, rest) = match command.strip_prefix("printf '") {
        Some(rest) => {
            let (input, rest) = rest
                .split_once("' | ")
                .ok_or("expected `printf '...' | callister ...`")?;
            (input.replace("\\n", "\n"), rest)
        }
        None => (String::new(), command),
    };
    // Words split on spaces, but a "double-quoted" one is one argument.
    let mut words = Vec::new();
    let mut quoted: Option<String> = None;
    for word in rest.split_whitespace() {
        match (&mut quoted, word.strip_prefix('"')) {
            (Some(q), _) => {
                q.push(' ');
                q.push_str(word.strip_suffix('"').unwrap_or(word));
                if word.ends_with('"') {
                    words.extend(quoted.take());
                }
            }
            (None, Some(open)) if open.ends_with('"') && !open.is_empty() => {
                words.push(open[..open.len() - 1].to_string());
            }
            (None, Some(open)) => quoted = Some(open.to_string()),
            (None, None) => words.push(word.to_string()),
        }
    }
    if quoted.is_some() {
        return Err(format!("`{command}` opens a quote it never closes"));
    }
    let mut words = words.into_iter();
    match words.next().as_deref() {
        Some("callister") => Ok((input, words.collect())),
        _ => Err(format!("`{command}` does not run `callister`")),
    }
}

/// Drops leading and trailing blank lines.
fn trim_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let lines: Vec<String> = lines.map(str::to_string).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |e| e + 1);
    lines[start..end].to_vec()
}

/// Whether `actual` fits `expected`, where a line `...` stands for any
/// number of lines and a line ending in `...` for any line with that start.
fn matches_lines(expected: &[String], actual: &[String]) -> bool {
    let mut memo = HashMap::new();
    matches_from(expected, actual, 0, 0, &mut memo)
}

fn matches_from(
    e: &[String],
    a: &[String],
    i: usize,
    j: usize,
    memo: &mut HashMap<(usize, usize), bool>,
) -> bool {
    if let Some(&m) = memo.get(&(i, j)) {
        return m;
    }
    let m = match e.get(i).map(String::as_str) {
        None => j == a.len(),
        Some("...") => (j..=a.len()).any(|k| matches_from(e, a, i + 1, k, memo)),
        Some(line) => {
            a.get(j)
                .is_some_and(|actual| match line.strip_suffix("...") {
                    Some(start) => actual.starts_with(start),
                    None => actual == line,
                })
                && matches_from(e, a, i + 1, j + 1, memo)
        }
    };
    memo.insert((i, j), m);
    m
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every directory of `examples/` with a `story.ron`.
fn example_stories() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("an examples directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("story.ron").is_file())
        .collect();
    dirs.sort();
    dirs
}
