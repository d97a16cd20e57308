//! The terminal prompt: rustyline when stdin is a terminal, plain lines
//! (with the prompt and the line echoed) when it is piped, so a piped
//! session reads like a transcript. The terminal is measured before every
//! line is handled, so the text wraps at the width it has when it is shown.

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{History as _, MemHistory};
use rustyline::{
    Cmd, CompletionType, Config, Context, Editor, Helper, KeyEvent, Movement, Validator,
};

use crate::fsio;
use crate::play::command;
use crate::play::look::width_for;
use crate::play::session::{Flow, Host, Session, settle};
use crate::story::diagnostic::{visible, visible_but_styles};

const PROMPT: &str = "> ";

/// The most lines the prompt history keeps.
const HISTORY_LINES: usize = 1000;

/// A history file larger than this is refused unread: a thousand lines of
/// at most `command::MAX_LINE` bytes, each escaped, fit well within it.
const HISTORY_MAX_BYTES: u64 = 16 * 1024 * 1024;

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
/// NO_COLOR is set) and to the host's transcript, if one is open. Every
/// control character but the session's own styling is shown, not sent
/// (`visible_but_styles`).
pub fn emit(text: &str, host: &mut dyn Host) {
    let text = visible_but_styles(text);
    let mut stdout = anstream::stdout();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    host.transcribe(&text);
}

/// Whether rustyline edits lines on this terminal (raw mode), rather than
/// reading plain lines: `TERM` is not one it leaves alone (its own list).
fn edited_terminal() -> bool {
    std::env::var("TERM").map_or(true, |term| {
        !["dumb", "cons25", "emacs"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&term))
    })
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
            Ok(Read::End) => {
                emit("\n", host);
                return 0;
            }
            // Input that ends in the middle of a line was cut off (a
            // closed pipe, a killed writer): what it holds was never
            // finished, so it is not run.
            Ok(Read::Unfinished) => {
                say(
                    session,
                    host,
                    "\n(The input ended in the middle of a line; that unfinished line was ignored.)\n",
                );
                return 0;
            }
            Ok(Read::Line) => {}
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

/// What reading a line of piped input found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// A whole line, up to and with its line end.
    Line,
    /// The input's end, with nothing before it.
    End,
    /// Bytes, then the input's end without a line end.
    Unfinished,
}

/// Reads one line, keeping at most `MAX_LINE + 1` bytes of it so a huge
/// line costs no memory (a line kept that long is reported as too long).
fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Read> {
    let limit = command::MAX_LINE + 1;
    let mut total = 0;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if total == 0 {
                Read::End
            } else {
                Read::Unfinished
            });
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
            return Ok(Read::Line);
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
        .max_history_size(HISTORY_LINES)
        .unwrap_or_else(|_| Config::builder())
        .build();
    // The history is kept in memory only: rustyline never touches the
    // history file, which is read and written here through `fsio`, with
    // the checks every file of the saves directory gets.
    let history = MemHistory::with_config(&config);
    let mut editor: Editor<PromptHelper, MemHistory> = match Editor::with_history(config, history) {
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
    // The history file, if it can be read: one that cannot (a symbolic
    // link, a FIFO, a file far too large) is neither read nor written.
    let history_file = history_file.and_then(|file| match load_history(&file) {
        Ok(lines) => {
            for line in lines {
                let _ = editor.history_mut().add_owned(line);
            }
            Some(file)
        }
        Err(e) => {
            say(
                session,
                host,
                &format!(
                    "The prompt history is off for this session: `{}`: {e}; it was left untouched.\n",
                    visible(&file.display().to_string())
                ),
            );
            None
        }
    });
    // SIGTERM, SIGHUP and SIGQUIT end the game as Ctrl-D does: the line
    // editor gives the terminal back as it found it, the history is saved.
    // Where rustyline does not edit (a terminal it does not support reads
    // plain lines, the terminal never raw) the signals keep their default
    // action, as Ctrl-C does there.
    let signal_watch = if edited_terminal() {
        signals::Watch::start()
    } else {
        None
    };
    // The prompt says where you are (`b3·42 > `), so it is made afresh
    // for every line.
    let styled = |prompt: &str, colored: bool| {
        if colored {
            format!("\x1b[1;36m{prompt}\x1b[0m")
        } else {
            prompt.to_string()
        }
    };
    // Set while bytes that are not UTF-8 arrive, so a run of them is
    // reported once.
    let mut undecodable = false;
    let code = 'session: loop {
        if let Some(signal) = signal_watch.as_ref().and_then(signals::Watch::received) {
            say(session, host, &format!("\n{signal}: leaving the game.\n"));
            break 0;
        }
        *keys.borrow_mut() = session.choice_keys();
        let prompt = session.prompt();
        match editor.readline(&(
            prompt.as_str(),
            styled(&prompt, session.look.colored()).as_str(),
        )) {
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
                        host.transcribe(&format!("{prompt}{line}\n"));
                    } else {
                        emit(&format!("{}{line}\n", session.prompt()), host);
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
            // A signal may have made the read fail (a terminal hung up):
            // then it is the signal that ends the game, at the loop's top.
            Err(_)
                if signal_watch
                    .as_ref()
                    .is_some_and(|w| w.received().is_some()) => {}
            Err(e) => {
                say(session, host, &format!("cannot read input: {e}\n"));
                break 1;
            }
        }
    };
    if let Some(file) = &history_file
        && let Err(e) = save_history(file, editor.history())
    {
        say(
            session,
            host,
            &format!(
                "The prompt history was not saved: `{}`: {e}.\n",
                visible(&file.display().to_string())
            ),
        );
    }
    drop(signal_watch);
    code
}

/// The prompt history's lines, from its file (none when it is missing), in
/// rustyline's format (`#V2`, then a line each, `\n` and `\\` escaped), so
/// that history files written before stay readable. At most the last
/// `HISTORY_LINES` are kept; a line that holds a control character or is
/// longer than a typed line can be is dropped, so that recalling a line
/// never sends the terminal anything.
fn load_history(file: &Path) -> std::io::Result<Vec<String>> {
    let text = match fsio::read_text(file, HISTORY_MAX_BYTES, fsio::Follow::No) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(parse_history(&text))
}

fn parse_history(text: &str) -> Vec<String> {
    let mut lines = text.lines().peekable();
    let escaped = lines.next_if_eq(&"#V2").is_some();
    let mut out: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    for line in lines {
        let Some(line) = (if escaped {
            unescape(line)
        } else {
            Some(line.to_string())
        }) else {
            continue;
        };
        if line.trim().is_empty()
            || line.len() > command::MAX_LINE
            || line.chars().any(char::is_control)
        {
            continue;
        }
        if out.len() == HISTORY_LINES {
            out.pop_front();
        }
        out.push_back(line);
    }
    out.into()
}

/// A history line as written (`\n` and `\\` escaped); `None` for an escape
/// rustyline never writes.
fn unescape(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                '\\' => out.push('\\'),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// Writes the history file atomically (`fsio`: never through a symbolic
/// link, mode 0600), in the format `load_history` reads.
fn save_history(file: &Path, history: &MemHistory) -> std::io::Result<()> {
    let mut text = String::from("#V2\n");
    for line in history {
        text.push_str(&line.replace('\\', "\\\\").replace('\n', "\\n"));
        text.push('\n');
    }
    fsio::write_atomic(file, fsio::Access::Private, |w| {
        w.write_all(text.as_bytes())
    })
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

/// SIGTERM, SIGHUP and SIGQUIT while the line editor reads. Their default
/// action would end the program with the terminal left in the editor's raw
/// mode and the session's history lost; instead the game ends as Ctrl-D
/// ends it.
///
/// The three are blocked in the game's thread and waited for on a thread of
/// their own (`sigwait`), so no code of ours runs in a signal handler. When
/// one arrives, that thread sends SIGINT to the game's thread: while the
/// editor reads, rustyline's own SIGINT handler turns it into
/// `ReadlineError::Interrupted` (its read returns, the terminal is restored);
/// between reads a handler that does nothing takes it. The game's loop
/// sees the signal before its next read and ends. The SIGINT is sent again
/// until the game has seen the signal, so one that lands just before a read
/// begins is not lost; if the game does not see it within two seconds (the
/// editor not answering), the terminal is restored from what it was when
/// the editor started and the signal's default action ends the program.
#[cfg(unix)]
mod signals {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    use std::time::Duration;

    const WATCHED: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

    /// The watch, while the editor runs; dropping it puts the signals'
    /// handling back as it was.
    pub struct Watch {
        shared: Arc<Shared>,
        old_mask: libc::sigset_t,
        old_interrupt: libc::sigaction,
    }

    struct Shared {
        /// The signal received (0 for none).
        received: AtomicI32,
        /// Set once the game has seen it.
        seen: AtomicBool,
        /// Set when the editor is done: a signal then takes its default
        /// action.
        done: AtomicBool,
    }

    /// SIGINT between reads: nothing (the game goes on to its next read,
    /// where it sees the signal that was received).
    extern "C" fn ignore(_: libc::c_int) {}

    impl Watch {
        /// Starts watching; `None` where the signals cannot be set up (the
        /// signals then keep their default action).
        pub fn start() -> Option<Watch> {
            // SAFETY: plain libc calls on values made here; the handler
            // installed does nothing, which is async-signal-safe.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                for s in WATCHED {
                    libc::sigaddset(&mut set, s);
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = ignore as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old_interrupt: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGINT, &action, &mut old_interrupt) != 0 {
                    return None;
                }
                let mut old_mask: libc::sigset_t = std::mem::zeroed();
                if libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old_mask) != 0 {
                    libc::sigaction(libc::SIGINT, &old_interrupt, std::ptr::null_mut());
                    return None;
                }
                let mut cooked: libc::termios = std::mem::zeroed();
                let cooked =
                    (libc::tcgetattr(libc::STDIN_FILENO, &mut cooked) == 0).then_some(cooked);
                let game = libc::pthread_self();
                let shared = Arc::new(Shared {
                    received: AtomicI32::new(0),
                    seen: AtomicBool::new(false),
                    done: AtomicBool::new(false),
                });
                let theirs = Arc::clone(&shared);
                let waiter = std::thread::Builder::new()
                    .name("signals".into())
                    .spawn(move || wait(set, game, &theirs, cooked));
                let watch = Watch {
                    shared,
                    old_mask,
                    old_interrupt,
                };
                // Dropped on failure, which puts everything back.
                waiter.ok().map(|_| watch)
            }
        }

        /// The signal received, by name, once one was; the game then ends.
        pub fn received(&self) -> Option<&'static str> {
            let name = match self.shared.received.load(Ordering::SeqCst) {
                0 => return None,
                libc::SIGTERM => "SIGTERM",
                libc::SIGHUP => "SIGHUP",
                _ => "SIGQUIT",
            };
            self.shared.seen.store(true, Ordering::SeqCst);
            Some(name)
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            self.shared.done.store(true, Ordering::SeqCst);
            // SAFETY: restoring what `start` saved.
            unsafe {
                libc::sigaction(libc::SIGINT, &self.old_interrupt, std::ptr::null_mut());
                libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut());
            }
        }
    }

    /// The thread that waits for the signals.
    fn wait(
        set: libc::sigset_t,
        game: libc::pthread_t,
        shared: &Shared,
        cooked: Option<libc::termios>,
    ) {
        loop {
            let mut signal = 0;
            // SAFETY: `set` holds the watched signals, blocked in every
            // thread (this one inherited the mask).
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                return;
            }
            if shared.done.load(Ordering::SeqCst) {
                default_action(signal);
            }
            shared.received.store(signal, Ordering::SeqCst);
            let mut nudges = 0;
            while !shared.seen.load(Ordering::SeqCst) && !shared.done.load(Ordering::SeqCst) {
                if nudges == 100 {
                    if let Some(cooked) = cooked {
                        // SAFETY: the terminal's settings read at the start.
                        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &cooked) };
                    }
                    default_action(signal);
                }
                // SAFETY: `game` is the game's thread, alive while the
                // editor is (`done` is set before it goes on).
                unsafe { libc::pthread_kill(game, libc::SIGINT) };
                nudges += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Ends the program as the signal's default action does.
    fn default_action(signal: libc::c_int) -> ! {
        // SAFETY: resetting a signal to its default and raising it in this
        // thread, where it is then unblocked.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            let mut one: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut one);
            libc::sigaddset(&mut one, signal);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &one, std::ptr::null_mut());
            libc::raise(signal);
        }
        std::process::exit(128 + signal)
    }
}

/// Without Unix signals there is nothing to watch.
#[cfg(not(unix))]
mod signals {
    pub struct Watch;

    impl Watch {
        pub fn start() -> Option<Watch> {
            None
        }

        pub fn received(&self) -> Option<&'static str> {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_reads_what_rustyline_wrote_and_drops_what_it_must_not_show() {
        // rustyline's format: `#V2`, then escaped lines.
        let text = "#V2\nshed\nsay a\\\\b\nbad\\x\n\nlook\u{1b}]0;t\u{7}\nback\n";
        assert_eq!(parse_history(text), ["shed", "say a\\b", "back"]);
        // The first format (no header): lines as they are.
        assert_eq!(parse_history("shed\nback\n"), ["shed", "back"]);
        // Multi-line entries (escaped line ends) are not lines one types.
        assert!(parse_history("#V2\na\\nb\n").is_empty());
        // At most the last thousand lines.
        let many: String = (0..1500).map(|i| format!("k{i}\n")).collect();
        let kept = parse_history(&many);
        assert_eq!(kept.len(), HISTORY_LINES);
        assert_eq!(kept[0], "k500");
    }

    #[test]
    fn the_history_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("history.txt");
        let mut history = MemHistory::new();
        for line in ["shed", "say a\\b", "back"] {
            history.add(line).unwrap();
        }
        save_history(&file, &history).unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "#V2\nshed\nsay a\\\\b\nback\n"
        );
        assert_eq!(load_history(&file).unwrap(), ["shed", "say a\\b", "back"]);
        assert!(load_history(&dir.path().join("none")).unwrap().is_empty());
    }

    #[test]
    fn a_line_is_unfinished_only_at_the_end_of_input() {
        let mut input: &[u8] = b"shed\nsave mine";
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut input, &mut buf).unwrap(), Read::Line);
        buf.clear();
        assert_eq!(
            read_line_bounded(&mut input, &mut buf).unwrap(),
            Read::Unfinished
        );
        buf.clear();
        assert_eq!(read_line_bounded(&mut input, &mut buf).unwrap(), Read::End);
        // An overlong line with its line end is a line, however long.
        let long = [vec![b'x'; 3 * command::MAX_LINE], b"\n".to_vec()].concat();
        buf.clear();
        assert_eq!(
            read_line_bounded(&mut long.as_slice(), &mut buf).unwrap(),
            Read::Line
        );
        assert_eq!(buf.len(), command::MAX_LINE + 1);
    }
}
