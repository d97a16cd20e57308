//! What the benches share: synthetic stories on disk and in memory, and the
//! criterion settings that keep a whole `cargo bench` under ten minutes.
//!
//! Each bench file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use callister::story::Story;
use callister::story::compile;
use callister::tools::synth;
use criterion::Criterion;

/// The seed of every synthetic story the benches use.
pub const SEED: u64 = 1;

/// The story sizes whose growth the benches show.
pub const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// A synthetic story written to a temporary directory (removed on drop).
pub struct OnDisk {
    pub dir: tempfile::TempDir,
    pub bytes: usize,
}

impl OnDisk {
    pub fn new(scenes: usize) -> OnDisk {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let bytes = synth::write_dir(dir.path(), scenes, SEED).expect("the story is written");
        OnDisk { dir, bytes }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A synthetic story, compiled.
pub fn story(scenes: usize) -> Story {
    compile::compile(synth::input_files(scenes, SEED))
        .unwrap_or_else(|f| panic!("the synthetic story does not compile: {:?}", f.diagnostics))
}

/// The shipped story, compiled from the files embedded in the binary.
pub fn shipped() -> Story {
    callister::story::embedded::story()
        .unwrap_or_else(|f| panic!("the shipped story does not compile: {:?}", f.diagnostics))
}

/// Short warm-up and measurement: the figures are stable to a few percent at
/// these sizes, and the whole suite stays well under ten minutes.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

/// For the cases that take a second or more per iteration.
pub fn slow(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(10));
}
