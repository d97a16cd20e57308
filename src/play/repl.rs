//! The terminal prompt: rustyline when stdin is a terminal, plain lines
//! (with the prompt and the line echoed) when it is piped, so a piped
//! session reads like a transcript.

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Context, Editor, Helper, Validator};

use crate::play::session::{Flow, Host, Session};

/// Completion and hints from the session's current choices and commands.
#[derive(Helper, Validator)]
struct PromptHelper {
    candidates: Rc<RefCell<Vec<String>>>,
    color: bool,
}

impl Completer for PromptHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let start = line[..pos].rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &line[start..pos];
        let mut found: Vec<String> = self
            .candidates
            .borrow()
            .iter()
            .filter(|c| c.starts_with(word))
            .cloned()
            .collect();
        found.dedup();
        Ok((start, found))
    }
}

impl Hinter for PromptHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        // Keys and commands are short: a long line gets no hint, and costs
        // nothing to look at on every key typed.
        if line.is_empty()
            || line.len() > 64
            || pos < line.len()
            || line.contains(char::is_whitespace)
        {
            return None;
        }
        let candidates = self.candidates.borrow();
        let mut matches = candidates
            .iter()
            .filter(|c| c.starts_with(line) && c.len() > line.len());
        let first = matches.next()?;
        Some(first[line.len()..].to_string())
    }
}

impl Highlighter for PromptHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> std::borrow::Cow<'h, str> {
        if self.color {
            std::borrow::Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            std::borrow::Cow::Borrowed(hint)
        }
    }
}

/// Writes text to stdout (colour stripped when stdout is not a terminal or
/// NO_COLOR is set) and to the host's transcript, if one is open.
pub fn emit(text: &str, host: &mut dyn Host) {
    let mut stdout = anstream::stdout();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    host.transcribe(text);
}

const PROMPT: &str = "> ";

/// Plays until the player quits or input ends. Returns the exit code.
pub fn run(session: &mut Session, host: &mut dyn Host, history_file: Option<PathBuf>) -> i32 {
    let intro = session.intro(host);
    emit(&intro, host);
    if std::io::stdin().is_terminal() {
        run_editor(session, host, history_file)
    } else {
        run_piped(session, host)
    }
}

fn run_piped(session: &mut Session, host: &mut dyn Host) -> i32 {
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let mut buf = Vec::new();
    loop {
        emit(PROMPT, host);
        buf.clear();
        // Read at most a little past the longest accepted line, then drain
        // the rest of an overlong line without keeping it.
        match read_line_bounded(&mut reader, &mut buf) {
            Ok(0) => {
                emit("\n", host);
                return 0;
            }
            Ok(_) => {}
            Err(e) => {
                emit(&format!("\ncannot read input: {e}\n"), host);
                return 1;
            }
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(s) => s.trim_end_matches(['\n', '\r']).to_string(),
            Err(_) => {
                emit(
                    "\nThat line is not valid UTF-8; ignored. Nothing changed.\n",
                    host,
                );
                continue;
            }
        };
        emit(&format!("{line}\n"), host);
        let (out, flow) = session.input(&line, host);
        emit(&out, host);
        if flow == Flow::Quit {
            return 0;
        }
    }
}

/// Reads one line, keeping at most `MAX_LINE + 1` bytes of it so a huge
/// line costs no memory; the length seen is kept by padding the buffer's
/// report: a truncated line is reported as longer than the limit.
fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let limit = crate::play::command::MAX_LINE + 1;
    let mut total = 0;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(total);
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        total += take;
        reader.consume(take);
        if done {
            return Ok(total);
        }
    }
}

fn run_editor(session: &mut Session, host: &mut dyn Host, history_file: Option<PathBuf>) -> i32 {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(true)
        .max_history_size(1000)
        .unwrap_or_else(|_| Config::builder())
        .build();
    let mut editor: Editor<PromptHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            emit(
                &format!("cannot start the line editor: {e}; reading plain lines instead\n"),
                host,
            );
            return run_piped(session, host);
        }
    };
    let candidates = Rc::new(RefCell::new(session.completions()));
    editor.set_helper(Some(PromptHelper {
        candidates: Rc::clone(&candidates),
        color: session.look.color,
    }));
    if let Some(file) = &history_file {
        let _ = editor.load_history(file);
    }
    let styled = if session.look.color {
        format!("\x1b[1;36m{PROMPT}\x1b[0m")
    } else {
        PROMPT.to_string()
    };
    // Set while bytes that are not UTF-8 arrive, so a run of them is
    // reported once.
    let mut undecodable = false;
    let code = loop {
        *candidates.borrow_mut() = session.completions();
        match editor.readline(&(PROMPT, styled.as_str())) {
            Ok(line) => {
                undecodable = false;
                host.transcribe(&format!("{PROMPT}{line}\n"));
                let (out, flow) = session.input(&line, host);
                emit(&out, host);
                if flow == Flow::Quit {
                    break 0;
                }
            }
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C clears the line; Ctrl-D leaves.
                continue;
            }
            Err(ReadlineError::Eof) => {
                emit("\n", host);
                break 0;
            }
            // A byte that is not UTF-8 (a terminal in another encoding, a
            // stray paste): the line being typed is dropped, as in piped mode.
            Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                if !undecodable {
                    emit(
                        "\nThat input is not valid UTF-8; the line was dropped. Nothing changed.\n",
                        host,
                    );
                }
                undecodable = true;
            }
            Err(e) => {
                emit(&format!("cannot read input: {e}\n"), host);
                break 1;
            }
        }
    };
    if let Some(file) = &history_file {
        let _ = editor.save_history(file);
    }
    code
}
