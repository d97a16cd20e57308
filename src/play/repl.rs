//! The terminal prompt: rustyline when stdin is a terminal, plain lines
//! (with the prompt and the line echoed) when it is piped, so a piped
//! session reads like a transcript. The terminal is measured before every
//! line is handled, so the text wraps at the width it has when it is shown.

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::{
    Cmd, CompletionType, Config, Context, Editor, Helper, KeyEvent, Movement, Validator,
};

use crate::play::command;
use crate::play::look::width_for;
use crate::play::session::{Flow, Host, Session, settle};

const PROMPT: &str = "> ";

/// Story files changed while the prompt waits (`play --watch`). The prompt
/// cannot be interrupted, so the watcher says what changed at once, above
/// the line being typed, and the story is reloaded (as `reload` does)
/// before the next line is handled.
pub trait Watch {
    /// Starts watching; `say` prints above the line being typed.
    fn start(&mut self, say: Box<dyn FnMut(String) + Send>);
    /// Whether a new version is waiting to be loaded (and it is taken).
    fn changed(&mut self) -> bool;
}

/// Plays until the player quits or input ends, reloading the story when
/// `watch` (if any) says it changed. Returns the exit code.
pub fn run(
    session: &mut Session,
    host: &mut dyn Host,
    history_file: Option<PathBuf>,
    mut watch: Option<&mut dyn Watch>,
) -> i32 {
    if std::io::stdout().is_terminal() && dumb_terminal() {
        session.look.plain = true;
    }
    measure(session);
    let intro = session.intro();
    let (text, _) = settle(session, host, intro);
    emit(&text, host);
    if std::io::stdin().is_terminal() {
        run_editor(session, host, history_file, watch)
    } else {
        if let Some(w) = watch.as_deref_mut() {
            w.start(Box::new(|text| eprint!("{text}")));
        }
        run_piped(session, host, watch)
    }
}

/// Reloads the story first when the watcher has a new version; whether it
/// did.
fn reload_if_changed(
    session: &mut Session,
    host: &mut dyn Host,
    watch: &mut Option<&mut dyn Watch>,
) -> bool {
    let Some(w) = watch.as_deref_mut() else {
        return false;
    };
    if !w.changed() {
        return false;
    }
    measure(session);
    let reload = crate::play::session::Reply {
        requests: vec![crate::play::session::Request::Reload],
        ..Default::default()
    };
    let (text, _) = settle(session, host, reload);
    emit(&text, host);
    true
}

/// Whether `TERM` says the terminal can do nothing but print: plain mode
/// then, as for a screen reader.
pub fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// Writes text to stdout (colour stripped when stdout is not a terminal or
/// NO_COLOR is set) and to the host's transcript, if one is open.
pub fn emit(text: &str, host: &mut dyn Host) {
    let mut stdout = anstream::stdout();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    host.transcribe(text);
}

/// Sets the width the session wraps at from the terminal's size now; when
/// stdout is not a terminal, the width it was given stays.
fn measure(session: &mut Session) {
    if let Some((terminal_size::Width(columns), _)) =
        terminal_size::terminal_size_of(std::io::stdout())
    {
        session.look.width = width_for(usize::from(columns));
    }
}

/// One line of input: handled, and what it gives shown.
fn handle(session: &mut Session, host: &mut dyn Host, line: &str) -> Flow {
    measure(session);
    let reply = session.read(line);
    let (text, flow) = settle(session, host, reply);
    emit(&text, host);
    flow
}

/// A message of the prompt's own, wrapped like the session's.
fn say(session: &mut Session, host: &mut dyn Host, text: &str) {
    measure(session);
    let text = session.look.fit(text);
    emit(&text, host);
}

fn run_piped(session: &mut Session, host: &mut dyn Host, mut watch: Option<&mut dyn Watch>) -> i32 {
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
                say(session, host, &format!("\ncannot read input: {e}\n"));
                return 1;
            }
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(s) => s.trim_end_matches(['\n', '\r']).to_string(),
            Err(_) => {
                say(
                    session,
                    host,
                    "\nThat line is not valid UTF-8; ignored. Nothing changed.\n",
                );
                continue;
            }
        };
        emit(&format!("{line}\n"), host);
        if reload_if_changed(session, host, &mut watch) && line.trim().is_empty() {
            continue;
        }
        if handle(session, host, &line) == Flow::Quit {
            return 0;
        }
    }
}

/// Reads one line, keeping at most `MAX_LINE + 1` bytes of it so a huge
/// line costs no memory; the length seen is kept by padding the buffer's
/// report: a truncated line is reported as longer than the limit.
fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let limit = command::MAX_LINE + 1;
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

fn run_editor(
    session: &mut Session,
    host: &mut dyn Host,
    history_file: Option<PathBuf>,
    mut watch: Option<&mut dyn Watch>,
) -> i32 {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        // One Tab inserts what all the matches share and lists them, as a
        // shell does with `show-all-if-ambiguous`.
        .completion_show_all_if_ambiguous(true)
        // A paste arrives as typed keys, so each pasted line is taken when
        // its line end arrives, exactly as if typed. (A paste that comes
        // bracketed anyway is split into its lines below.)
        .bracketed_paste(false)
        .max_history_size(1000)
        .unwrap_or_else(|_| Config::builder())
        .build();
    let mut editor: Editor<PromptHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            say(
                session,
                host,
                &format!("cannot start the line editor: {e}; reading plain lines instead\n"),
            );
            return run_piped(session, host, watch);
        }
    };
    if let Some(w) = watch.as_deref_mut() {
        match editor.create_external_printer() {
            Ok(mut printer) => w.start(Box::new(move |text| {
                let _ = rustyline::ExternalPrinter::print(&mut printer, text);
            })),
            Err(_) => w.start(Box::new(|text| eprint!("{text}"))),
        }
    }
    let keys = Rc::new(RefCell::new(session.choice_keys()));
    editor.set_helper(Some(PromptHelper {
        keys: Rc::clone(&keys),
        // A grey hint cannot be told from typed text without colour.
        hints: session.look.colored(),
    }));
    // Ctrl-C empties the line (and so drops any hint with it) rather than
    // leaving the half-typed line and its grey hint on the screen.
    editor.bind_sequence(KeyEvent::ctrl('C'), Cmd::Kill(Movement::WholeBuffer));
    if let Some(file) = &history_file {
        let _ = editor.load_history(file);
    }
    let styled = if session.look.colored() {
        format!("\x1b[1;36m{PROMPT}\x1b[0m")
    } else {
        PROMPT.to_string()
    };
    // Set while bytes that are not UTF-8 arrive, so a run of them is
    // reported once.
    let mut undecodable = false;
    let code = 'session: loop {
        *keys.borrow_mut() = session.choice_keys();
        match editor.readline(&(PROMPT, styled.as_str())) {
            Ok(text) => {
                undecodable = false;
                if reload_if_changed(session, host, &mut watch) && text.trim().is_empty() {
                    host.transcribe(&format!("{PROMPT}\n"));
                    continue;
                }
                // Several lines pasted at once arrive together: each is
                // taken in order, as if typed, shown after the prompt before
                // what it gives.
                for (i, line) in text.split('\n').enumerate() {
                    if i > 0 && line.trim().is_empty() {
                        continue;
                    }
                    if i == 0 {
                        host.transcribe(&format!("{PROMPT}{line}\n"));
                    } else {
                        emit(&format!("{PROMPT}{line}\n"), host);
                    }
                    if !line.trim().is_empty() {
                        let _ = editor.add_history_entry(line);
                    }
                    if handle(session, host, line) == Flow::Quit {
                        break 'session 0;
                    }
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => {
                emit("\n", host);
                break 0;
            }
            // A byte that is not UTF-8 (a terminal in another encoding, a
            // stray paste): the line being typed is dropped, as in piped mode.
            Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                if !undecodable {
                    say(
                        session,
                        host,
                        "\nThat input is not valid UTF-8; the line was dropped. Nothing changed.\n",
                    );
                }
                undecodable = true;
            }
            Err(e) => {
                say(session, host, &format!("cannot read input: {e}\n"));
                break 1;
            }
        }
    };
    if let Some(file) = &history_file {
        let _ = editor.save_history(file);
    }
    code
}

/// Completion and hints from the open choices' keys and the command table.
#[derive(Helper, Validator)]
struct PromptHelper {
    keys: Rc<RefCell<Vec<String>>>,
    /// Whether to draw the grey inline hint.
    hints: bool,
}

impl PromptHelper {
    /// What the word being typed can become: for the first word, the open
    /// choices' keys and then the commands (each once); after a command, the
    /// words its argument takes.
    fn candidates(&self, before: &str, word: &str) -> Vec<String> {
        let word = word.to_lowercase();
        let mut out: Vec<String> = Vec::new();
        let mut offer = |c: &str| {
            if c.starts_with(&word) && !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
        };
        let words: Vec<&str> = before.split_whitespace().collect();
        match words.as_slice() {
            [] => {
                for k in self.keys.borrow().iter() {
                    offer(k);
                }
                for name in command::completed_names() {
                    offer(name);
                }
            }
            [head] => {
                if let Some(topic) = command::find(head) {
                    for w in topic.spec().argument_words() {
                        offer(w);
                    }
                }
            }
            _ => {}
        }
        out
    }
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
        Ok((start, self.candidates(&line[..start], &line[start..pos])))
    }
}

impl Hinter for PromptHelper {
    type Hint = String;

    /// The part that every match shares past what is typed: never one match
    /// among several, so a hint is never a guess.
    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        // Keys and commands are short: a long line gets no hint, and costs
        // nothing to look at on every key typed.
        if !self.hints || line.is_empty() || line.len() > 64 || pos < line.len() {
            return None;
        }
        let start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &line[start..];
        if word.is_empty() {
            return None;
        }
        let matches = self.candidates(&line[..start], word);
        let shared = common_prefix(&matches);
        (shared.len() > word.len()).then(|| shared[word.len()..].to_string())
    }
}

impl Highlighter for PromptHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> std::borrow::Cow<'h, str> {
        std::borrow::Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

/// The longest prefix all the words share (empty for none).
fn common_prefix(words: &[String]) -> &str {
    let Some(first) = words.first() else {
        return "";
    };
    let mut len = first.len();
    for w in &words[1..] {
        len = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    &first[..len]
}
