//! Arbitrary bytes as a replay plan, replayed against the example story and
//! the shipped story. Failures are sentences, never panics; a parsed plan
//! writes back the same.

#![no_main]

use callister::tools::plan::Plan;
use callister_fuzz::{lighthouse, shipped};
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
        if let Ok(replay) = plan.replay(story.clone()) {
            assert!(replay.transcript.len() < 64 * 1024 * 1024);
        }
    }
});
