//! The prompt as a player meets it: the real binary in a pseudo-terminal,
//! its output drawn on a screen (vt100) as a terminal would, for completion,
//! hints, Ctrl-C, pasting, wrapping at the width of the moment, emphasis and
//! plain mode; through a pipe for the commands that replay alternate
//! choices; and the command table, which the README is held to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use callister::engine::State;
use callister::play::command::{self, COMMANDS};
use callister::play::ledger::Known;
use callister::play::session::{Answer, Look, NoHost, Request, Session};
use expectrl::Expect;
use expectrl::session::OsSession;

const STORY: &str = "tests/fixtures/prompt";

/// The drawn screen is tall, so that a whole `help` stays on it; the
/// terminal the game sees has 24 rows.
const SCREEN_ROWS: u16 = 400;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The game in a pseudo-terminal, and the screen its output draws.
struct Term {
    pty: OsSession,
    screen: vt100::Parser,
    /// The saves directory, when the terminal made its own.
    owned_saves: Option<tempfile::TempDir>,
}

impl Term {
    /// Starts the prompt story at seed 1 with `env` (over `TERM=xterm` and
    /// colour allowed) on a terminal of `columns`, and waits for the prompt.
    fn start(env: &[(&str, &str)], columns: u16) -> Term {
        let saves = tempfile::tempdir().unwrap();
        let mut term = Term::spawn(
            &["--scenes", STORY, "--seed", "1"],
            env,
            columns,
            saves.path(),
        );
        term.owned_saves = Some(saves);
        term
    }

    /// `start`, with a saves directory a game before left (and kept by
    /// the terminal).
    fn start_in(env: &[(&str, &str)], columns: u16, saves: tempfile::TempDir) -> Term {
        let mut term = Term::launch(
            &["--scenes", STORY, "--seed", "1"],
            env,
            columns,
            saves.path(),
            false,
        );
        term.owned_saves = Some(saves);
        term
    }

    /// The saves directory the terminal made or was given.
    fn saves(&self) -> &Path {
        self.owned_saves
            .as_ref()
            .expect("a saves directory of its own")
            .path()
    }

    /// Starts the game with `args` and its saves in `saves` (declining the
    /// autosave it offers to continue, if there is one), and waits for the
    /// prompt.
    fn spawn(args: &[&str], env: &[(&str, &str)], columns: u16, saves: &Path) -> Term {
        let offered = saves.join("autosave.ron").exists();
        Term::launch(args, env, columns, saves, offered)
    }

    /// `spawn`, told whether the game will offer to continue an autosave.
    fn launch(
        args: &[&str],
        env: &[(&str, &str)],
        columns: u16,
        saves: &Path,
        offered: bool,
    ) -> Term {
        // The terminal is resized once spawned; the game starts when it sees
        // the size.
        let mut cmd = Command::new("sh");
        cmd.current_dir(root())
            .arg("-c")
            .arg(format!(
                "until [ \"$(stty size)\" = \"24 {columns}\" ]; do sleep 0.05; done; exec \"$0\" \"$@\""
            ))
            .arg(cargo_bin("callister"))
            .args(args)
            .arg("--saves")
            .arg(saves)
            .env_remove("CALLISTER_SAVES")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("TERM", "xterm");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut pty = expectrl::Session::spawn(cmd).expect("spawn callister in a pty");
        pty.get_process_mut()
            .set_window_size(columns, 24)
            .expect("set the terminal's size");
        pty.set_expect_timeout(Some(Duration::from_secs(20)));
        let mut term = Term {
            pty,
            screen: vt100::Parser::new(SCREEN_ROWS, columns, 0),
            owned_saves: None,
        };
        if offered {
            term.expect("Continue it? [Y/n] ");
            term.send("n\r");
        }
        term.prompt();
        term
    }

    /// Waits for `needle`, drawing everything up to it; returns what came
    /// before it, as text.
    fn expect(&mut self, needle: &str) -> String {
        let found = self
            .pty
            .expect(needle)
            .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}\n{}", self.shown()));
        // `as_bytes` is what came before the match and the match itself.
        self.screen.process(found.as_bytes());
        String::from_utf8_lossy(found.before()).into_owned()
    }

    /// Waits for the next prompt, then for the line editor to read (it reads
    /// in raw mode only once the prompt is drawn).
    fn prompt(&mut self) -> String {
        let before = self.expect("> ");
        std::thread::sleep(Duration::from_millis(150));
        before
    }

    fn send(&mut self, text: &str) {
        self.pty.send(text).unwrap();
    }

    /// Types a line and waits for the next prompt: what it printed. (The
    /// editor redraws the prompt as it is typed: the line's end comes first.)
    fn say(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r"));
        let echo = self.expect("\n");
        // The terminal ends lines with `\r\n`: plain `\n` here.
        (echo + "\n" + &self.prompt()).replace("\r\n", "\n")
    }

    /// Sends keys and draws what the editor shows for them: everything
    /// until it has been quiet for a moment.
    fn keys(&mut self, keys: &str) {
        self.send(keys);
        let mut buf = [0u8; 65536];
        let mut quiet = 0;
        let mut drawn = false;
        // At most ten seconds; done after 300 ms without output, once
        // something was drawn.
        for _ in 0..200 {
            match self.pty.try_read(&mut buf) {
                Ok(n) if n > 0 => {
                    self.screen.process(&buf[..n]);
                    drawn = true;
                    quiet = 0;
                }
                _ => {
                    quiet += 1;
                    if drawn && quiet >= 6 {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    fn resize(&mut self, columns: u16) {
        self.pty
            .get_process_mut()
            .set_window_size(columns, 24)
            .unwrap();
        self.screen.screen_mut().set_size(SCREEN_ROWS, columns);
    }

    /// A blank screen, so that what is drawn next is all there is on it.
    fn clear(&mut self) {
        let (_, columns) = self.screen.screen().size();
        self.screen = vt100::Parser::new(SCREEN_ROWS, columns, 0);
    }

    /// The screen's rows, trailing blanks trimmed.
    fn rows(&self) -> Vec<String> {
        let (_, columns) = self.screen.screen().size();
        self.screen
            .screen()
            .rows(0, columns)
            .map(|r| r.trim_end().to_string())
            .collect()
    }

    /// The row the cursor is on: the prompt's.
    fn prompt_row(&self) -> String {
        let (row, _) = self.screen.screen().cursor_position();
        self.rows()[usize::from(row)].clone()
    }

    fn shown(&self) -> String {
        self.rows().join("\n")
    }

    /// Whether the terminal had to fold a row: a line wider than the screen.
    fn folded(&self) -> Option<String> {
        let (rows, _) = self.screen.screen().size();
        (0..rows)
            .find(|&r| self.screen.screen().row_wrapped(r))
            .map(|r| self.rows()[usize::from(r)].clone())
    }

    /// Leaves with Ctrl-D; the saves directory outlives the game.
    fn quit(mut self) -> Option<tempfile::TempDir> {
        self.send("\x04");
        self.pty.expect(expectrl::Eof).unwrap();
        self.owned_saves.take()
    }
}

/// Runs the prompt story with piped stdin; returns stdout.
fn piped(args: &[&str], input: &str) -> String {
    let saves = tempfile::tempdir().unwrap();
    piped_in(args, input, saves.path())
}

fn piped_in(args: &[&str], input: &str, saves: &Path) -> String {
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(["--scenes", STORY])
        // Seed 1 unless the test gives one.
        .args(if args.contains(&"--seed") {
            &[][..]
        } else {
            &["--seed", "1"][..]
        })
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .output()
        .expect("run callister");
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What one line printed, in a piped transcript: from its echo to the next
/// prompt.
/// Text with its line breaks and runs of spaces as single spaces: what a
/// message says, however it is wrapped.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn after<'t>(transcript: &'t str, line: &str) -> &'t str {
    after_nth(transcript, line, 0)
}

fn after_nth<'t>(transcript: &'t str, line: &str, n: usize) -> &'t str {
    let echo = format!("> {line}\n");
    let (at, _) = transcript
        .match_indices(&echo)
        .nth(n)
        .unwrap_or_else(|| panic!("no `{line}` (#{n}) in:\n{transcript}"));
    let rest = &transcript[at + echo.len()..];
    &rest[..rest.find("\n> ").map_or(rest.len(), |i| i + 1)]
}

// Completion and hints.

/// One Tab inserts what every match shares and lists them all, choices and
/// commands alike, so `br<Tab>` stays `br` among `bridge`, `brace`,
/// `branch` and `branches`; and neither `re<Tab>` nor the typo `r`
/// restarts.
#[test]
fn tab_inserts_the_common_prefix_and_lists_keys_and_commands() {
    let mut t = Term::start(&[("NO_COLOR", "1")], 80);
    t.keys("br\t");
    assert_eq!(t.prompt_row(), "b1·0 > br", "{}", t.shown());
    let listed = t.shown();
    for word in ["bridge", "brace", "branches", "branch"] {
        assert!(listed.contains(word), "`{word}` not listed:\n{listed}");
    }
    // Enter takes the line as typed: `br` is no choice.
    let shown = t.say("");
    assert!(shown.contains("`br` is not a choice"), "{shown}");
    // Two more letters: what `branch` and `branches` share.
    t.keys("bran\t");
    assert_eq!(t.prompt_row(), "b1·0 > branch", "{}", t.shown());
    t.keys("\x03");
    // A unique match completes.
    t.keys("bri\t");
    assert_eq!(t.prompt_row(), "b1·0 > bridge", "{}", t.shown());
    t.keys("\x03");
    // `re`: the key `rest` and the commands `redo`, `rewind`, `restart`.
    t.keys("re\t");
    assert_eq!(t.prompt_row(), "b1·0 > re", "{}", t.shown());
    let listed = t.shown();
    for word in ["rest", "redo", "rewind", "restart"] {
        assert!(listed.contains(word), "`{word}` not listed:\n{listed}");
    }
    let shown = t.say("");
    assert!(shown.contains("`re` is not a choice"), "{shown}");
    let shown = t.say("r");
    assert!(shown.contains("`r` is not a choice"), "{shown}");
    assert!(!shown.contains("Go back to the start"), "{shown}");
    // Arguments complete too.
    t.keys("transcript o\t");
    let listed = t.rows();
    assert!(
        listed
            .iter()
            .any(|r| r.split_whitespace().eq(["on", "off"])),
        "{}",
        t.shown()
    );
    t.keys("\x03");
    t.quit();
}

/// The grey inline hint is drawn only in colour (it cannot be told from
/// typed text otherwise), only for what every match shares, and Ctrl-C
/// clears the line and the hint with it.
#[test]
fn hints_only_in_colour_and_ctrl_c_leaves_no_ghost() {
    let mut t = Term::start(&[], 80);
    t.keys("bri");
    assert_eq!(t.prompt_row(), "b1·0 > bridge", "the hint is drawn");
    let (row, _) = t.screen.screen().cursor_position();
    let cell = t.screen.screen().cell(row, 10).unwrap();
    assert!(cell.dim(), "the hint is dimmed");
    t.keys("\x03");
    assert_eq!(
        t.prompt_row(),
        "b1·0 >",
        "Ctrl-C leaves no ghost:\n{}",
        t.shown()
    );
    // No hint for `br`: `bridge`, `brace`, `branch`… share nothing more.
    t.keys("br");
    assert_eq!(t.prompt_row(), "b1·0 > br");
    t.keys("\x03");
    let shown = t.say("look");
    assert!(shown.contains("The Deck"), "{shown}");
    t.quit();

    let mut t = Term::start(&[("NO_COLOR", "1")], 80);
    t.keys("bri");
    assert_eq!(t.prompt_row(), "b1·0 > bri", "no hint without colour");
    t.keys("\x03");
    assert_eq!(t.prompt_row(), "b1·0 >");
    t.quit();
}

/// Lines pasted at once, as keys or as a bracketed paste, are each taken in
/// order, as if typed.
#[test]
fn pasted_lines_are_taken_in_order() {
    let mut t = Term::start(&[("NO_COLOR", "1")], 80);
    t.send("bridge\rback\rstatus\r");
    let first = t.expect("The Bridge");
    assert!(!first.contains("Status"), "{first}");
    t.expect("Go back down to the deck");
    t.expect("The Deck");
    t.expect("Status");
    t.expect("Turn 2");
    t.prompt();
    // A terminal's bracketed paste of two lines.
    t.send("\x1b[200~brace\rback\r\x1b[201~\r");
    t.expect("The Hold");
    t.expect("> back");
    t.expect("The Deck");
    t.prompt();
    let history = t.say("history");
    assert!(
        history.contains("4. The Hold: Go back up to the deck [back]"),
        "{history}"
    );
    t.quit();
}

// What the game prints.

/// Every line wraps at the width the terminal has when it is printed: prose,
/// choices, messages, help, history, branches, the saves table. Resizing
/// works both ways, and the hyphenated name is never broken at a hyphen.
#[test]
fn every_line_wraps_at_the_width_of_the_moment() {
    let mut t = Term::start(&[("NO_COLOR", "1")], 60);
    let check = |t: &Term, columns: usize| {
        if let Some(row) = t.folded() {
            panic!(
                "the terminal folded a line at {columns} columns: {row:?}\n{}",
                t.shown()
            );
        }
        for row in t.rows() {
            assert!(row.chars().count() <= columns - 2, "{row:?}");
            for (i, _) in row.match_indices("PROC-") {
                assert!(row[i..].starts_with("PROC-7734-NULL"), "{row:?}");
            }
        }
    };
    for line in [
        "look",
        "bridge",
        "help",
        "back",
        "xyzzy plugh",
        "save mine",
        "saves",
    ] {
        t.clear();
        t.say(line);
        check(&t, 60);
    }
    for columns in [34, 100, 23] {
        t.resize(columns);
        for line in [
            "look",
            "history",
            "branches",
            "help",
            "saves",
            "xyzzy plugh",
        ] {
            t.clear();
            t.say(line);
            check(&t, usize::from(columns).min(88));
        }
    }
    // Wide again after narrow: the lines use the room.
    t.resize(100);
    t.say("look");
    assert!(
        t.rows().iter().any(|r| r.chars().count() > 70),
        "{}",
        t.shown()
    );
    t.quit();
}

/// `*emphasis*` is italic in colour and loses its asterisks without it;
/// `**` and a lone `*` are left alone.
#[test]
fn emphasis_is_italic_in_colour_and_bare_without() {
    let mut t = Term::start(&[], 100);
    t.say("look");
    let screen = t.screen.screen();
    let rows = t.rows();
    let (r, line) = rows
        .iter()
        .enumerate()
        .rfind(|(_, l)| l.contains("when something is"))
        .expect("the emphasised line");
    let col = line.find("something").unwrap();
    let italic = |c: usize| screen.cell(r as u16, c as u16).unwrap().italic();
    assert!(italic(col) && italic(col + 8), "{line}");
    assert!(!italic(col - 2), "only the word: {line}");
    assert!(!line.contains("*something*"), "{line}");
    assert!(t.shown().contains("**capitals**") && t.shown().contains("5 * 3 = 16"));
    t.quit();

    let out = piped(&[], "look\n");
    assert!(out.contains("when something is about"), "{out}");
    assert!(out.contains("eyes shut [rest]"), "{out}");
    assert!(
        out.contains("**capitals**") && out.contains("5 * 3 = 16"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "{out:?}");
}

/// `--plain`, and automatically `TERM=dumb`: no colour, no box drawing or
/// decorative symbols, the status as a sentence, each choice on its own
/// line with its key in words.
#[test]
fn plain_mode_for_screen_readers() {
    let input = "brace\nback\nbridge\nbranches\nland\nendings\n";
    let out = piped(&["--plain"], input);
    for symbol in ["──", "»", "·", "***", "├", "└", "│", "[bridge]", "???"] {
        assert!(!out.contains(symbol), "`{symbol}` in plain output:\n{out}");
    }
    assert!(out.contains("Chapter: Aboard."), "{out}");
    assert!(out.contains("Hull: 80, Fuel: 4."), "{out}");
    assert!(
        out.contains("\n1. Climb to the bridge (key bridge, new)\n"),
        "{out}"
    );
    assert!(
        out.contains("\n2. Brace in the hold and wait it out (key brace, new)\n"),
        "{out}"
    );
    assert!(
        out.contains("You chose: Brace in the hold and wait it out."),
        "{out}"
    );
    assert!(out.contains("The end: Landfall (a good ending)."), "{out}");
    let branches = after(&out, "branches");
    assert!(
        branches.contains("1 branch in this playthrough"),
        "{branches}"
    );
    assert!(branches.contains("You are here."), "{branches}");
    assert!(after(&out, "endings").contains("Not yet found."), "{out}");

    // A dumb terminal is plain without being asked.
    let mut t = Term::start(&[("TERM", "dumb")], 80);
    let shown = t.say("look");
    assert!(shown.contains("Hull: 80, Fuel: 4."), "{shown}");
    assert!(
        !shown.contains('\x1b') && !shown.contains("──"),
        "{shown:?}"
    );
    t.quit();
}

/// Extra words after a command get that command's usage from the table,
/// for every command.
#[test]
fn extra_words_get_the_commands_usage() {
    let input: String = COMMANDS
        .iter()
        .map(|c| format!("{} one two three\n", c.name))
        .collect();
    let out = piped(&[], &input);
    for c in COMMANDS {
        let shown = after(&out, &format!("{} one two three", c.name));
        let usage = format!("Usage: `{}`: {}. Nothing changed.", c.usage(), c.help);
        assert!(words(shown).contains(&usage), "`{}`: {shown}", c.name);
    }
    assert!(!out.contains("Usage: ."), "{out}");
    assert!(after(&out, "look one two three").starts_with("`look` takes no argument."));
}

// Replaying alternate choices.

/// `restart` after steps asks first; anything but `y` keeps the game; yes
/// goes back to the start of the same tree, where the old path is a branch
/// to return to.
#[test]
fn restart_asks_first_and_keeps_the_path_as_a_branch() {
    let input = "restart\nbridge\nrestart\nrestart\nrestart\nno\nrestart\n\nrestart\nY\nhistory\nbranches\nbrace\nbranches\nbranch 1\n";
    let out = piped(&[], input);
    assert!(
        after(&out, "restart").contains("You are at the start already"),
        "{out}"
    );
    let asked = words(after_nth(&out, "restart", 1));
    assert!(
        asked.contains(
            "Go back to the start? The 1 step of this path stays in `branches`, as branch 1. [y/N]"
        ),
        "{asked}"
    );
    // `restart` again, `no`, an empty line: none of them is yes.
    for (line, n) in [("restart", 2), ("no", 0), ("", 0)] {
        let shown = after_nth(&out, line, n);
        assert!(
            shown.contains("Not restarted. Nothing changed."),
            "`{line}`: {shown}"
        );
    }
    let yes = words(after(&out, "Y"));
    assert!(
        yes.contains("Back at the start. The path you left is branch 1"),
        "{yes}"
    );
    assert!(yes.contains("Climb to the bridge"), "{yes}");
    assert!(after(&out, "history").contains("No steps yet"), "{out}");
    let tree = after_nth(&out, "branches", 0);
    assert!(
        tree.contains("branch 1: The Bridge (1 step) * at the start"),
        "{tree}"
    );
    let tree = after_nth(&out, "branches", 1);
    assert!(
        tree.contains("├─ branch 1: bridge → The Bridge (1 step)"),
        "{tree}"
    );
    assert!(
        tree.contains("└─ branch 2: brace → The Hold (1 step) *"),
        "{tree}"
    );
    assert!(
        after(&out, "branch 1").contains("The viewscreen is full"),
        "{out}"
    );
}

/// `branches` marks where you are at the end of a branch, and part way
/// along one after `undo` and `rewind`.
#[test]
fn branches_marks_your_position_after_undo_and_rewind() {
    let input = "bridge\nback\nbrace\nbranches\nundo\nbranches\nrewind 1\nbranches\nundo\n";
    let out = piped(&[], input);
    assert!(
        after(&out, "branches").contains("branch 1: The Hold (3 steps) *\n"),
        "{out}"
    );
    let undone = after_nth(&out, "branches", 1);
    assert!(
        undone.contains("branch 1: The Hold (3 steps) * after step 2: The Deck"),
        "{undone}"
    );
    let rewound = after_nth(&out, "branches", 2);
    assert!(
        rewound.contains("branch 1: The Hold (3 steps) * at the start: The Deck"),
        "{rewound}"
    );
    assert!(after(&out, "undo").contains("Undid 1 step."), "{out}");
}

/// `redo` after `undo` follows the branch you came from, not the first one.
#[test]
fn redo_follows_the_branch_you_came_from() {
    let input =
        "bridge\nback\nundo 2\nbrace\nback\nundo 2\nredo\nredo 5\nredo\nbranch 1\nundo 2\nredo 2\n";
    let out = piped(&[], input);
    let one = after(&out, "redo");
    assert!(
        one.contains("Redid 1 step.") && one.contains("The Hold"),
        "{one}"
    );
    let rest = after(&out, "redo 5");
    assert!(
        rest.contains("Redid 1 step. That is as far as you had gone."),
        "{rest}"
    );
    assert!(rest.contains("The Deck"), "{rest}");
    assert!(
        after_nth(&out, "redo", 1).contains("There is nothing to redo here"),
        "{out}"
    );
    assert!(after(&out, "redo 2").contains("Redid 2 steps."), "{out}");
    // Back along branch 1, by the bridge, not by the hold.
    let history = piped(&[], &format!("{input}history\n"));
    assert!(
        after(&history, "history").contains("1. The Deck: Climb to the bridge [bridge]"),
        "{history}"
    );
}

/// `undo 999` says it went back to the start; an ending reached again by
/// `undo` and `redo`, or by the same choice again, is not counted again.
#[test]
fn undo_to_the_start_and_an_ending_counted_once() {
    let saves = tempfile::tempdir().unwrap();
    let input = "bridge\nland\nundo\nredo\nundo\nland\nundo 999\nendings\n";
    let out = piped_in(&[], input, saves.path());
    assert_eq!(
        out.matches("New ending found: Landfall (1/2).").count(),
        1,
        "{out}"
    );
    assert!(
        after(&out, "undo 999").contains("Undid 2 steps: you are back at the start."),
        "{out}"
    );
    let endings = words(after(&out, "endings"));
    assert!(endings.contains("reached 1 time,"), "{endings}");
    // A new playthrough reaching it is another time.
    let out = piped_in(&[], "bridge\nland\nendings\n", saves.path());
    assert!(
        words(after(&out, "endings")).contains("reached 2 times,"),
        "{out}"
    );
    assert!(!out.contains("New ending found"), "{out}");
}

// Replaying faster: skip mode, what was never seen, hints, what is met.

const LIGHTHOUSE: &str = "examples/lighthouse";
const REPLAYING: &str = "tests/fixtures/replaying";

/// A second playthrough with `--skip-seen` shows a scene read in the first
/// as its title and one line, then its choices; `look` shows the text. A
/// scene not read before, or read before with other words (another `{if}`
/// branch, another value), shows in full; `skip off` turns it off and
/// `skip on` is remembered for the next game.
#[test]
fn skip_mode_shows_a_scene_read_before_as_one_line() {
    let saves = tempfile::tempdir().unwrap();
    let args = ["--scenes", LIGHTHOUSE, "--seed", "1"];
    let env = [("NO_COLOR", "1")];
    let mut t = Term::spawn(&args, &env, 80, saves.path());
    for line in ["shed", "back", "wade"] {
        let shown = t.say(line);
        assert!(!shown.contains("Read before"), "skip mode is off: {shown}");
    }
    t.quit();

    let mut t = Term::spawn(
        &[&args[..], &["--skip-seen"]].concat(),
        &env,
        80,
        saves.path(),
    );
    let shore = t.say("look");
    assert!(shore.contains("The tide has gone out"), "{shore}");
    let shed = words(&t.say("shed"));
    assert!(
        shed.contains(
            "The Boat Shed Lamp oil 2 Read before; `look` to read it again. 1. Take the key"
        ),
        "{shed}"
    );
    assert!(!shed.contains("Nets, a smell of tar"), "{shed}");
    let again = t.say("look");
    assert!(again.contains("Nets, a smell of tar"), "{again}");
    t.say("back");
    t.say("wade");
    // The run fails at seed 1: the shore again with less oil, which is
    // another text of it.
    let shore = words(&t.say("run"));
    assert!(shore.contains("the gauge says 1"), "{shore}");
    assert!(!shore.contains("Read before"), "{shore}");
    // A scene never read: in full.
    let home = t.say("leave");
    assert!(home.contains("You sleep badly"), "{home}");
    t.say("undo");
    let off = t.say("skip off");
    assert!(off.contains("Skip mode off"), "{off}");
    let flats = t.say("wade");
    assert!(flats.contains("The sand is ribbed"), "{flats}");
    let on = t.say("skip on");
    assert!(on.contains("Skip mode on"), "{on}");
    t.quit();

    // Remembered: no flag needed now.
    let mut t = Term::spawn(&args, &env, 80, saves.path());
    let shed = t.say("shed");
    assert!(shed.contains("Read before"), "{shed}");
    t.quit();
}

/// `unseen` lists the steps of the path where a choice never taken in any
/// playthrough was open, nearest first, with what `rewind N` needs; a
/// choice taken in an earlier playthrough is not listed.
#[test]
fn unseen_lists_the_steps_with_untaken_choices_nearest_first() {
    let saves = tempfile::tempdir().unwrap();
    let args = ["--scenes", LIGHTHOUSE, "--seed", "1"];
    let env = [("NO_COLOR", "1")];
    let mut t = Term::spawn(&args, &env, 80, saves.path());
    for line in ["shed", "back", "wade", "turn"] {
        t.say(line);
    }
    let unseen = t.say("unseen");
    let rows: Vec<&str> = unseen.lines().map(str::trim_end).collect();
    let at = rows
        .iter()
        .position(|r| r.starts_with("Choices never taken, nearest first"))
        .unwrap_or_else(|| panic!("{unseen}"));
    assert_eq!(
        rows[at + 1..at + 5],
        [
            "  now: The Shore: leave",
            "    4. The Flats: run",
            "    3. The Shore: leave",
            "    1. The Shore: leave",
        ],
        "{unseen}"
    );
    let rewound = t.say("rewind 4");
    assert!(rewound.contains("Rewound to step 4"), "{rewound}");
    assert!(rewound.contains("Run for the rock"), "{rewound}");
    t.say("run");
    t.quit();

    // Another playthrough knows what the first took.
    let mut t = Term::spawn(&args, &env, 80, saves.path());
    for line in ["shed", "back", "wade"] {
        t.say(line);
    }
    let unseen = t.say("unseen");
    assert!(
        !unseen.contains("The Flats"),
        "run and turn were taken: {unseen}"
    );
    assert!(unseen.contains("    3. The Shore: leave"), "{unseen}");
    t.quit();
}

/// A check whose success or whose failure was never seen in any
/// playthrough says which, beside its chance; the mark goes once both
/// were seen. Plain mode words it the same.
#[test]
fn a_check_outcome_never_seen_is_marked() {
    let saves = tempfile::tempdir().unwrap();
    let env = [("NO_COLOR", "1")];
    // Seed 2 fails the sail, seed 3 succeeds (the dice of this position).
    let mut t = Term::spawn(
        &["--scenes", REPLAYING, "--seed", "2"],
        &env,
        80,
        saves.path(),
    );
    let shown = t.say("look");
    assert!(
        shown.contains(" 2. Sail out past the breakwater (50%) [sail] new"),
        "{shown}"
    );
    t.say("sail");
    t.quit();
    let mut t = Term::spawn(
        &["--scenes", REPLAYING, "--seed", "3"],
        &env,
        80,
        saves.path(),
    );
    let shown = t.say("look");
    assert!(
        shown.contains(" 2. Sail out past the breakwater (50%, success not yet seen) [sail]\n"),
        "{shown}"
    );
    t.say("sail");
    let shown = t.say("undo");
    assert!(
        shown.contains(" 2. Sail out past the breakwater (50%) [sail]\n"),
        "both seen: {shown}"
    );
    t.quit();

    let saves = tempfile::tempdir().unwrap();
    let once = piped_story(
        REPLAYING,
        &["--seed", "2", "--plain"],
        "sail\n",
        saves.path(),
    );
    assert!(
        once.contains("2. Sail out past the breakwater (50% chance, key sail, new)"),
        "{once}"
    );
    let again = piped_story(
        REPLAYING,
        &["--seed", "2", "--plain"],
        "look\n",
        saves.path(),
    );
    assert!(
        again.contains(
            "2. Sail out past the breakwater (50% chance, success not yet seen, key sail)"
        ),
        "{again}"
    );
}

/// `endings` lists those found, then the rest by the chapter of their
/// scene; each ending's hint shows once half of the endings are found.
#[test]
fn endings_by_chapter_with_hints_after_half_are_found() {
    let saves = tempfile::tempdir().unwrap();
    // At seed 2 the sail fails, by the dice of this position.
    let env = [("NO_COLOR", "1")];
    let mut t = Term::spawn(
        &["--scenes", REPLAYING, "--seed", "2"],
        &env,
        80,
        saves.path(),
    );
    t.say("sail");
    let endings = t.say("endings");
    let expected = [
        "Not yet found: 3, by chapter",
        "  Part Two",
        "    ??? (not yet found)",
        "    ??? (not yet found)",
        "    ??? (not yet found)",
        "Hints show once you have found half of the endings: 1 more.",
    ];
    assert!(
        words(&endings).contains("Endings found: 1/4 Wrecked (bad) — first reached"),
        "{endings}"
    );
    assert!(
        words(&endings).contains("in 1 turn; reached 1 time, fewest turns 1"),
        "{endings}"
    );
    let rows: Vec<&str> = endings.lines().map(str::trim_end).collect();
    let at = rows
        .iter()
        .position(|r| *r == expected[0])
        .unwrap_or_else(|| panic!("{endings}"));
    assert_eq!(rows[at..at + 6], expected, "{endings}");
    assert!(!endings.contains("hint:"), "{endings}");
    t.quit();

    let mut t = Term::spawn(
        &["--scenes", REPLAYING, "--seed", "3"],
        &env,
        80,
        saves.path(),
    );
    t.say("sail");
    t.say("home");
    let endings = t.say("endings");
    let rows: Vec<&str> = endings.lines().map(str::trim_end).collect();
    let at = rows
        .iter()
        .position(|r| *r == "Not yet found: 2, by chapter")
        .unwrap_or_else(|| panic!("{endings}"));
    assert_eq!(
        rows[at + 1..at + 4],
        [
            "  Part Two",
            "    ??? hint: There is land out there, if you look for it.",
            "    ??? hint: Keep going, and do not look back.",
        ],
        "{endings}"
    );
    assert!(
        !endings.contains("Home is behind you"),
        "a found ending's hint: {endings}"
    );
    assert!(!endings.contains("Hints show once"), "{endings}");
    t.quit();

    let plain = piped_story(
        REPLAYING,
        &["--seed", "1", "--plain"],
        "endings\n",
        saves.path(),
    );
    let plain = after(&plain, "endings");
    assert!(plain.contains("In Part Two:"), "{plain}");
    assert!(
        plain.contains("Not yet found. Hint: Keep going, and do not look back."),
        "{plain}"
    );
}

/// `status` and `inventory` list only the crew and items the story has
/// introduced (`met`): the shipped story does not show Walton's clone at
/// turn 0, and shows him once he is found.
#[test]
fn status_lists_only_what_the_player_has_met() {
    let saves = tempfile::tempdir().unwrap();
    let env = [("NO_COLOR", "1")];
    let mut t = Term::spawn(
        &["--scenes", REPLAYING, "--seed", "1"],
        &env,
        80,
        saves.path(),
    );
    let status = t.say("status");
    assert!(status.contains("  Ada, pilot: alive"), "{status}");
    assert!(!status.contains("stowaway"), "{status}");
    assert!(status.contains("You carry: a folded map.\n"), "{status}");
    let inventory = t.say("inventory");
    assert!(
        inventory.contains("You carry: a folded map.\n"),
        "{inventory}"
    );
    t.say("hold");
    let status = t.say("status");
    assert!(
        status.contains("  The stowaway, unexpected: alive"),
        "{status}"
    );
    assert!(
        status.contains("You carry: a folded map, a tracking bug."),
        "{status}"
    );
    t.quit();

    // The shipped story, in saves of its own: a save of another story is
    // not offered, nor one under `--from`.
    let saves = tempfile::tempdir().unwrap();
    let mut t = Term::spawn(&["--seed", "1"], &env, 80, saves.path());
    let status = t.say("status");
    assert!(status.contains("Nate Packer, helm: alive"), "{status}");
    assert!(
        !status.contains("Walton"),
        "Act II's castaway at turn 0: {status}"
    );
    t.quit();
    let saves = tempfile::tempdir().unwrap();
    let mut t = Term::spawn(
        &["--seed", "1", "--from", "a2_castaway"],
        &env,
        80,
        saves.path(),
    );
    let status = t.say("status");
    assert!(
        status.contains("Walton's clone, castaway: alive"),
        "{status}"
    );
    t.quit();
}

/// The whole game plays through the terminal, skip mode off and then on:
/// the shortest blessed plan of the shipped story, typed at the prompt at
/// a seed whose dice give the plan's outcomes, reaches its ending both
/// times; the second time, with `--skip-seen`, every scene is one read
/// before.
#[test]
fn the_whole_game_plays_through_the_terminal_with_skip_mode_off_and_on() {
    let story =
        callister::story::embedded::story().unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
    let dir = root().join("tests/playthroughs");
    let mut plans: Vec<(usize, callister::tools::plan::Plan)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".plan.ron"))
        .map(|p| {
            let plan =
                callister::tools::plan::Plan::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (plan.choices.len(), plan)
        })
        .collect();
    plans.sort_by_key(|(n, plan)| (*n, plan.expect.ending.clone()));
    let (_, plan) = plans.into_iter().next().expect("a blessed plan");
    assert!(
        plan.from.is_none() && plan.set.is_empty(),
        "the plan starts at the start"
    );
    let ending = plan
        .expect
        .ending
        .clone()
        .expect("the plan expects an ending");
    let title = story
        .ending(story.ending_by_id(&ending).expect("the ending exists"))
        .title
        .clone();
    // The plan forces its checks; at the prompt the dice decide, so find a
    // seed whose rolls give the same outcomes.
    let steps: Vec<(String, Option<bool>)> = plan
        .choices
        .iter()
        .map(|c| match c.split_once(':') {
            Some((key, "pass")) => (key.to_string(), Some(true)),
            Some((key, _)) => (key.to_string(), Some(false)),
            None => (c.clone(), None),
        })
        .collect();
    let plays = |seed: u64| {
        let mut state = State::new(&story, seed);
        steps.iter().all(|(key, outcome)| {
            let Some(c) = state.choices(&story).find(|&c| story.choice(c).key == *key) else {
                return false;
            };
            let Ok(o) = state.choose(&story, c, callister::engine::RollMode::Random) else {
                return false;
            };
            outcome.is_none_or(|want| o.roll.is_some_and(|r| r.success == want))
        }) && state
            .ending(&story)
            .is_some_and(|e| story.ending(e).id == ending)
    };
    let seed = (0..10_000u64)
        .find(|&s| plays(s))
        .expect("a seed that plays the plan");
    let seed = seed.to_string();
    let saves = tempfile::tempdir().unwrap();
    let env = [("NO_COLOR", "1")];
    for skip in [false, true] {
        let mut args = vec!["--seed", seed.as_str()];
        if skip {
            args.push("--skip-seen");
        }
        let mut t = Term::spawn(&args, &env, 80, saves.path());
        let mut shown = String::new();
        for (key, _) in &steps {
            shown.push_str(&t.say(key));
        }
        let end = format!("THE END: {title}");
        assert!(shown.contains(&end), "skip {skip}: no `{end}` in:\n{shown}");
        let briefly = shown
            .matches("Read before; `look` to read it again.")
            .count();
        if skip {
            assert_eq!(
                briefly,
                steps.len(),
                "every scene was read before:\n{shown}"
            );
        } else {
            assert_eq!(briefly, 0, "{shown}");
        }
        t.quit();
    }
}

/// Runs a story with piped stdin and its saves in `saves`; returns stdout.
fn piped_story(story: &str, args: &[&str], input: &str, saves: &Path) -> String {
    let out = assert_cmd::Command::new(cargo_bin("callister"))
        .current_dir(root())
        .args(["--scenes", story])
        .args(args)
        .arg("--saves")
        .arg(saves)
        .env_remove("CALLISTER_SAVES")
        .env("NO_COLOR", "1")
        .write_stdin(input)
        .output()
        .expect("run callister");
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// The session and its host; the command table.

/// The session asks for disk work by returning requests: a step asks for
/// the ledger and the autosave, a move for the autosave only, a command
/// that touches the disk for exactly that, and a look for nothing.
#[test]
fn the_session_returns_requests_for_disk_work() {
    let story = callister::story::compile::load_dir(&root().join(STORY)).unwrap();
    let state = State::new(&story, 1);
    let mut session = Session::new(story, state, Look::default());
    let reply = session.read("save mine");
    assert_eq!(
        reply.requests,
        [Request::Save {
            slot: "mine".into(),
            overwrite: false
        }]
    );
    assert!(reply.text.is_empty());
    let reply = session.read("bridge");
    assert!(
        matches!(
            reply.requests.as_slice(),
            [Request::Record { .. }, Request::Autosave]
        ),
        "{:?}",
        reply.requests
    );
    assert_eq!(session.read("undo").requests, [Request::Autosave]);
    assert_eq!(session.read("redo").requests, [Request::Autosave]);
    // The same choice again lands on the same node: nothing to record.
    session.read("undo");
    assert_eq!(session.read("bridge").requests, [Request::Autosave]);
    assert!(session.read("look").requests.is_empty());
    assert_eq!(
        session.read("transcript off").requests,
        [Request::TranscriptOff]
    );
    // A host that keeps nothing says so.
    let (out, _) = session.input("saves", &mut NoHost);
    assert!(out.contains("`saves` is not available here"), "{out}");
}

/// With a ledger, the session asks to note a scene's text the first time
/// it is shown in full, and never again for the same text; `skip on`
/// asks the profile to remember it.
#[test]
fn the_session_notes_each_text_read_once() {
    let story = callister::story::compile::load_dir(&root().join(STORY)).unwrap();
    let state = State::new(&story, 1);
    let mut session = Session::new(story, state, Look::default());
    assert_eq!(session.intro().requests, [Request::Ledger]);
    let reply = session.answer(Answer::Ledger(Some(Known::default())));
    assert!(reply.text.contains("The Deck"), "{}", reply.text);
    assert!(
        matches!(reply.requests.as_slice(), [Request::Read { .. }]),
        "{:?}",
        reply.requests
    );
    assert!(session.read("look").requests.is_empty());
    let reply = session.read("bridge");
    assert!(
        matches!(
            reply.requests.as_slice(),
            [
                Request::Record { success: None, .. },
                Request::Autosave,
                Request::Read { .. }
            ]
        ),
        "{:?}",
        reply.requests
    );
    // The deck again, with the same text: nothing new to note.
    let reply = session.read("back");
    assert!(
        matches!(
            reply.requests.as_slice(),
            [Request::Record { .. }, Request::Autosave]
        ),
        "{:?}",
        reply.requests
    );
    assert_eq!(session.read("skip on").requests, [Request::SkipSeen(true)]);
    let reply = session.read("undo");
    assert!(reply.text.contains("Read before"), "{}", reply.text);
}

/// The README's command table is the command table: the same commands, in
/// the same order, with the same usage, aliases and help.
#[test]
fn the_readme_lists_every_command_of_the_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let expected = command::markdown_table();
    let header = expected.lines().next().unwrap();
    let start = readme.find(header).unwrap_or_else(|| {
        panic!("README.md has no `{header}` table; it should read:\n\n{expected}")
    });
    let table: String = readme[start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        table, expected,
        "README.md's command table differs from src/play/command.rs; it should read:\n\n{expected}"
    );
}

// Issue 14: branches you can hold on to, nothing lost without being asked.

/// A branch keeps its number for good: a new path under an earlier fork
/// takes a new number (it used to renumber every branch after it), and a
/// branch can be named and gone back to by name, after a save and a load
/// too.
#[test]
fn branches_keep_their_numbers_and_take_names() {
    let saves = tempfile::tempdir().unwrap();
    let input = "bridge\nback\nrewind 1\nbrace\nbranch name hold\nbranch 1\nundo\nland\n\
                 branches\nbranch 2\nbranch hold\nbranch 3\nbranch name 7x\nbranch name hold\n\
                 branch name landed\nsave mine\nrestart\ny\nload mine\nbranch hold\nbranch Landed\nbranch nine\n";
    let out = piped_in(&[], input, saves.path());
    let tree = words(after(&out, "branches"));
    // Branch 1 (bridge, back) and 2 (brace, named) came first; the landing,
    // forked from branch 1 after them, is 3.
    assert!(
        tree.contains("branch 1: back → The Deck (1 step)"),
        "{tree}"
    );
    assert!(
        tree.contains("branch 3: land → Landfall (1 step) — ending: Landfall *"),
        "{tree}"
    );
    assert!(
        tree.contains("branch 2 (hold): brace → The Hold (1 step)"),
        "{tree}"
    );
    assert!(
        after(&out, "branch 2").contains("Jumped to the end of branch 2 (hold)."),
        "{out}"
    );
    assert!(
        after(&out, "branch hold").contains("Crates, straps"),
        "{out}"
    );
    assert!(
        after(&out, "branch 3").contains("The ground is flat"),
        "{out}"
    );
    assert!(
        words(after(&out, "branch name 7x")).contains("This is branch 3, `7x`"),
        "{out}"
    );
    assert!(
        words(after_nth(&out, "branch name hold", 1)).contains("branch 2 has that name already"),
        "{out}"
    );
    // After a save, a restart and a load: the numbers and names are kept.
    assert!(
        after_nth(&out, "branch hold", 1).contains("Crates, straps"),
        "{out}"
    );
    assert!(
        after(&out, "branch Landed").contains("The ground is flat"),
        "{out}"
    );
    assert!(
        words(after(&out, "branch nine"))
            .contains("No branch is called `nine` (branches: 1, 2, 3)"),
        "{out}"
    );
}

/// Saving over a slot that holds another playthrough asks first, and so
/// does `delete`; `save autosave` is refused with the reason; `save con`
/// says the name is reserved.
#[test]
fn overwriting_another_playthrough_and_deleting_ask_first() {
    let saves = tempfile::tempdir().unwrap();
    piped_in(&[], "bridge\nsave mine\n", saves.path());
    let input = "brace\nsave mine\nn\nsave mine\ny\nsave mine\nsave autosave\nsave con\n\
                 delete mine\nno\ndelete mine\ny\nload mine\n";
    let out = piped_in(&["--seed", "2"], input, saves.path());
    let asked = words(after(&out, "save mine"));
    assert!(
        asked.contains("Slot `mine` holds another playthrough: “The Bridge”, turn 1, saved"),
        "{asked}"
    );
    assert!(asked.contains("Write over it? [y/N]"), "{asked}");
    assert!(
        after(&out, "n").contains("Not saved; slot `mine` is as it was."),
        "{out}"
    );
    assert!(after(&out, "y").contains("Saved to slot `mine`"), "{out}");
    // Now it is this playthrough's: saving again does not ask.
    assert!(
        after_nth(&out, "save mine", 2).contains("Saved to slot `mine`"),
        "{out}"
    );
    assert!(
        words(after(&out, "save autosave")).contains("`autosave` is the game's own slot"),
        "{out}"
    );
    assert!(
        words(after(&out, "save con")).contains("`con` is a reserved name"),
        "{out}"
    );
    let asked = words(after(&out, "delete mine"));
    assert!(
        asked.contains("Delete slot `mine`, “The Hold”, turn 1, saved"),
        "{asked}"
    );
    assert!(
        after(&out, "no").contains("Not deleted; slot `mine` is as it was."),
        "{out}"
    );
    assert!(
        after_nth(&out, "y", 1).contains("Deleted slot `mine`."),
        "{out}"
    );
    assert!(
        after(&out, "load mine").contains("there is no save in slot `mine`"),
        "{out}"
    );
}

/// Regression (issue 14): the first choice after `load SLOT` wrote over the
/// autosave, and the branches explored since were gone for good. The same
/// playthrough's branches are merged into the loaded tree; another
/// playthrough is kept in a slot the message names.
#[test]
fn load_keeps_the_branches_explored_since() {
    let saves = tempfile::tempdir().unwrap();
    // The same playthrough: saved early, then a branch to an ending.
    let out = piped_in(
        &[],
        "bridge\nsave early\nback\nbrace\njump\nload early\nbranches\n",
        saves.path(),
    );
    let loaded = words(after(&out, "load early"));
    assert!(loaded.contains("Loaded slot `early`."), "{loaded}");
    assert!(
        loaded.contains("The branches explored since are kept in the loaded game: branch 1"),
        "{loaded}"
    );
    let tree = words(after(&out, "branches"));
    assert!(tree.contains("ending: Adrift"), "{tree}");
    assert!(tree.contains("* after step 1: The Bridge"), "{tree}");

    // Another playthrough: kept aside in `before-load-1`, which loads.
    piped_in(&["--seed", "5"], "brace\nsave theirs\n", saves.path());
    let out = piped_in(
        &["--seed", "6"],
        "rest\nrest\nload theirs\nload before-load-1\nhistory\n",
        saves.path(),
    );
    let loaded = words(after(&out, "load theirs"));
    assert!(
        loaded.contains("The game you were playing is another playthrough: it is kept in slot `before-load-1` (`load before-load-1` returns to it)."),
        "{loaded}"
    );
    let history = words(after(&out, "history"));
    assert!(history.contains("1. The Deck: Rest a moment"), "{history}");
    assert!(history.contains("2. The Deck: Rest a moment"), "{history}");
}

/// `--continue` says what it resumes (slot, scene, turn, when), and when
/// the newest save is not the autosave's playthrough, says where the
/// autosave is.
#[test]
fn continue_says_what_it_resumes() {
    let saves = tempfile::tempdir().unwrap();
    piped_in(&["--seed", "2"], "bridge\n", saves.path());
    std::thread::sleep(Duration::from_millis(1100));
    piped_in(&["--seed", "3"], "brace\nsave other\n", saves.path());
    let out = piped_in(&["--continue"], "quit\n", saves.path());
    assert!(
        out.starts_with("Continuing slot `autosave`: “The Hold”, turn 1, saved "),
        "{out}"
    );
    // The slot of another playthrough saved later than the autosave.
    std::thread::sleep(Duration::from_millis(1100));
    piped_in(&["--seed", "4"], "rest\nsave late\nrestart\n", saves.path());
    let autosave = callister::play::save::SaveDir {
        dir: saves.path().into(),
    };
    // The autosave was the last game's: make it the older one by hand.
    let mut save = autosave.read("autosave").unwrap();
    save.saved_at -= 10;
    save.playthrough ^= 1;
    save.journal = 0;
    save.journalled = None;
    autosave.write("autosave", &save).unwrap();
    let out = piped_in(&["--continue"], "quit\n", saves.path());
    assert!(
        out.starts_with("Continuing slot `late`: “The Deck”, turn 1"),
        "{out}"
    );
    assert!(
        words(&out).contains("The autosave is another playthrough (“The Deck”, turn 1"),
        "{out}"
    );
    assert!(
        words(&out).contains("`load autosave` returns to it."),
        "{out}"
    );
}

/// Regression (issue 14): quitting right after `load` left the autosave
/// holding the game before it, though `help` says quitting autosaves.
#[test]
fn quitting_autosaves() {
    let saves = tempfile::tempdir().unwrap();
    piped_in(&["--seed", "2"], "brace\nsave theirs\n", saves.path());
    piped_in(
        &["--seed", "3"],
        "bridge\nload theirs\nquit\n",
        saves.path(),
    );
    let out = piped_in(&["--continue"], "look\n", saves.path());
    assert!(
        out.contains("Continuing slot `autosave`: “The Hold”"),
        "{out}"
    );
}

/// The prompt says where you are: branch and step; in plain mode as words.
#[test]
fn the_prompt_shows_branch_and_step() {
    let mut t = Term::start(&[("NO_COLOR", "1")], 80);
    t.say("bridge");
    assert_eq!(t.prompt_row(), "b1·1 >");
    t.say("undo");
    t.say("brace");
    assert_eq!(t.prompt_row(), "b2·1 >");
    t.say("undo");
    assert_eq!(t.prompt_row(), "b2·0 >", "the branch `redo` would follow");
    t.quit();
    let mut t = Term::start(&[("NO_COLOR", "1"), ("TERM", "dumb")], 80);
    t.say("bridge");
    assert!(t.shown().contains("branch 1, step 1 >"), "{}", t.shown());
    t.quit();
}

/// Quitting autosaves, and so does a closed terminal (SIGHUP) or SIGTERM:
/// every step is in the autosave's journal when it is taken, so the game
/// resumes where it was, whatever ended it.
#[test]
fn a_closed_terminal_or_sigterm_keeps_the_game() {
    for signal in ["HUP", "TERM"] {
        let mut t = Term::start(&[("NO_COLOR", "1")], 80);
        t.say("bridge");
        t.say("back");
        t.say("brace");
        let pid = t.pty.get_process().pid();
        let killed = Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = t.pty.get_process().wait();
        let out = piped_in(&["--continue"], "history\n", t.saves());
        assert!(
            out.contains("Continuing slot `autosave`: “The Hold”, turn 3"),
            "{signal}: {out}"
        );
        assert!(
            out.contains("3. The Deck: Brace in the hold"),
            "{signal}: {out}"
        );
    }
}

/// An unreadable autosave at a terminal start: no offer to continue it, a
/// sentence saying so, and the file left as it was.
#[test]
fn an_unreadable_autosave_at_a_terminal_start() {
    let mut t = Term::start(&[("NO_COLOR", "1")], 80);
    t.say("bridge");
    let saves = t.quit().expect("a saves directory of its own");
    let path = saves.path().join("autosave.ron");
    let broken = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("seed:", ",seed:", 1);
    std::fs::write(&path, &broken).unwrap();
    // The game starts at its prompt, having asked nothing.
    let mut t = Term::start_in(&[("NO_COLOR", "1")], 80, saves);
    let shown = words(&t.shown());
    assert!(shown.contains("The autosave cannot be read"), "{shown}");
    assert!(shown.contains("slot `autosave-1` instead."), "{shown}");
    assert!(!shown.contains("Continue it?"), "{shown}");
    t.say("brace");
    let saves = t.quit().expect("a saves directory of its own");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    assert!(saves.path().join("autosave-1.ron").exists());
}

/// `help` and the README say the dice rule in one sentence.
#[test]
fn help_and_the_readme_say_the_dice_rule() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains(callister::play::session::DICE_RULE));
    let story = callister::story::compile::load_dir(&root().join(STORY)).unwrap();
    let state = State::new(&story, 1);
    let mut session = Session::new(story, state, Look::default());
    let reply = session.read("help");
    assert!(
        words(&reply.text).contains(callister::play::session::DICE_RULE),
        "{}",
        reply.text
    );
}

#[test]
fn a_roll_that_could_not_fail_is_not_shown() {
    let run = |first: &str| {
        let saves = tempfile::tempdir().unwrap();
        piped_story(
            "tests/fixtures/certain_roll",
            &["--seed", "1"],
            &format!("{first}\njump\n"),
            saves.path(),
        )
    };
    // Roped, the jump is certain: its outcome is said, its number is not.
    let roped = run("rope");
    assert!(roped.contains("100% chance: success"), "{roped}");
    assert!(!roped.contains("rolled"), "{roped}");
    // Unroped, the number decided it, so it is shown.
    let unroped = run("gap");
    assert!(unroped.contains("60% chance: rolled "), "{unroped}");
}
