//! Arbitrary text at the prompt: the command parser is total, and a session
//! (of the example story or the shipped one, by the first byte) takes any
//! line, one after another, without panicking or leaving a variable outside
//! its bounds.

#![no_main]

use std::cell::RefCell;

use callister::play::command::{self, Command};
use callister::play::session::{Look, NoHost, Session};
use callister_fuzz::{assert_in_bounds, lighthouse, shipped};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static SESSIONS: RefCell<[Option<Session>; 2]> = const { RefCell::new([None, None]) };
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let cmd = command::parse(line);
        // Surrounding whitespace never changes the meaning of a line.
        assert_eq!(command::parse(&format!("  {line}\t ")), cmd);
        if line.trim().is_empty() {
            assert_eq!(cmd, Command::Empty);
        }
        if let Command::Word(w) = &cmd {
            assert_eq!(*w, w.to_lowercase());
        }
    }
    let which = usize::from(data.first().is_some_and(|b| b & 1 == 1));
    let story = [lighthouse(), shipped()][which];
    SESSIONS.with_borrow_mut(|sessions| {
        let session = sessions[which].get_or_insert_with(|| {
            let state = callister::engine::State::new(story, 0);
            Session::new(story.clone(), state, Look::default())
        });
        // Each input starts a fresh game.
        let seed = data.first().copied().map_or(0, u64::from);
        session.replace_tree(callister::engine::history::Tree::new(
            callister::engine::State::new(story, seed),
        ));
        for line in text.split('\n').take(32) {
            let _ = session.input(line, &mut NoHost);
            assert_in_bounds(story, session);
        }
    });
});
