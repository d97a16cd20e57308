//! Arbitrary bytes as a replay plan, replayed against the example story and
//! the shipped story. Failures are sentences, never panics, and what
//! `callister replay` prints of them is inert; a parsed plan writes back
//! the same.

#![no_main]

use callister::story::diagnostic::visible;
use callister::tools::plan::Plan;
use callister_fuzz::{assert_inert, lighthouse, shipped};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(plan) = Plan::parse(text) else {
        return;
    };
    assert_eq!(
        Plan::parse(&plan.to_ron().unwrap()).as_ref(),
        Ok(&plan),
        "a plan changed in the round trip"
    );
    for story in [lighthouse(), shipped()] {
        match plan.replay(story.clone()) {
            Ok(replay) => {
                assert!(replay.transcript.len() < 64 * 1024 * 1024);
                // What `callister replay` prints of it.
                for failure in &replay.failures {
                    assert_inert("a plan failure", &visible(failure));
                }
                assert_inert("a replay transcript", &visible(&replay.transcript));
            }
            Err(e) => assert_inert("a plan error", &visible(&e)),
        }
    }
});
