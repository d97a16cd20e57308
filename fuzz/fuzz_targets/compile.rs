//! Arbitrary bytes as a story directory: the first file is `story.ron`, the
//! others chapters, split at 0xFF bytes. Whatever happens must be a
//! `Failure` with diagnostics that render, or a `Story` that can be linted,
//! drawn, played and saved.

#![no_main]

use callister_fuzz::{exercise_story, story_files};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match callister::story::compile::compile(story_files(data)) {
        Err(failure) => {
            assert!(
                !failure.diagnostics.is_empty(),
                "a failed compile must say why"
            );
            assert!(failure.diagnostics.iter().any(|d| d.is_error()));
            let shown = callister::story::diagnostic::render_all(
                &failure.diagnostics,
                &failure.sources,
                false,
            );
            // Each diagnostic shows an excerpt of its line, never the whole
            // of a long one: the output is bounded by what it says.
            let said: usize = failure
                .diagnostics
                .iter()
                .map(|d| {
                    d.message.len()
                        + d.help.as_ref().map_or(0, String::len)
                        + d.primary
                            .iter()
                            .chain(&d.related)
                            .map(|l| l.message.len() + 1024)
                            .sum::<usize>()
                        + 256
                })
                .sum();
            assert!(
                shown.len() <= said + 64,
                "{} bytes shown for {said}",
                shown.len()
            );
            let _ = failure.diagnostics[0].render(&failure.sources, true);
            for d in &failure.diagnostics {
                let _ = d.to_json(&failure.sources);
                let _ = d.location(&failure.sources);
            }
        }
        Ok(story) => exercise_story(&story, data),
    }
});
