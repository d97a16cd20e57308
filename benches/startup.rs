//! Process start to the first prompt of the shipped game: the built binary,
//! with stdin a pipe, timed until `> ` appears on its stdout. Target
//! (docs/performance.md): at most 20 ms.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

/// Runs the game once; returns the time from spawn to the first prompt.
fn to_first_prompt(saves: &std::path::Path) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_callister"))
        .args(["--seed", "1", "--saves"])
        .arg(saves)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the game starts");
    let mut stdout = child.stdout.take().expect("a piped stdout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let elapsed = loop {
        let n = stdout.read(&mut buf).expect("the game's output");
        assert!(n > 0, "the game exited before its first prompt");
        seen.extend_from_slice(&buf[..n]);
        if seen.ends_with(b"> ") {
            break started.elapsed();
        }
    };
    // Closing stdin ends the game, as Ctrl-D does.
    drop(child.stdin.take());
    let status = child.wait().expect("the game exits");
    assert!(status.success(), "the game failed: {status}");
    elapsed
}

fn startup(c: &mut Criterion) {
    let saves = tempfile::tempdir().expect("a temporary directory");
    c.bench_function("start_to_first_prompt", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| to_first_prompt(saves.path())).sum());
    });
}

criterion_group! {
    name = benches;
    config = common::config().sample_size(50);
    targets = startup
}
criterion_main!(benches);
