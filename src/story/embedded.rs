//! The shipped story, embedded at build time by `build.rs`.

use crate::story::Story;
use crate::story::compile::{Failure, InputFile, compile};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Compiles the embedded story. It is checked by the test suite, so a
/// failure here means the binary was built from a broken `scenes/`.
pub fn story() -> Result<Story, Failure> {
    compile(
        FILES
            .iter()
            .map(|(rel, text)| InputFile {
                rel: (*rel).to_string(),
                name: format!("scenes/{rel}"),
                text: (*text).to_string(),
            })
            .collect(),
    )
}
