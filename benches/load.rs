//! Loading and compiling a story, and the static checks, at 1k, 10k and 100k
//! scenes. Targets (docs/performance.md): 100k scenes load and compile in at
//! most 1.5 s, and check in at most 2 s more.

mod common;

use std::hint::black_box;

use callister::story::compile;
use callister::tools::{check, synth};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn load_and_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_compile");
    for scenes in common::SIZES {
        let disk = common::OnDisk::new(scenes);
        group.throughput(Throughput::Elements(scenes as u64));
        if scenes >= 100_000 {
            common::slow(&mut group);
        }
        // From disk, as `callister check DIR` and `play --scenes DIR` do.
        group.bench_with_input(BenchmarkId::new("load_dir", scenes), &disk, |b, disk| {
            b.iter_with_large_drop(|| compile::load_dir(disk.path()).expect("compiles"));
        });
        // From memory: parsing and compiling without the file system (the
        // 100k case would only repeat `load_dir`'s figure, at a minute's cost).
        if scenes >= 100_000 {
            continue;
        }
        let files = synth::generate(scenes, common::SEED);
        group.bench_with_input(BenchmarkId::new("compile", scenes), &files, |b, files| {
            b.iter_batched(
                || {
                    files
                        .iter()
                        .map(|(name, text)| compile::InputFile {
                            rel: name.clone(),
                            name: name.clone(),
                            text: text.clone(),
                        })
                        .collect::<Vec<_>>()
                },
                |input| compile::compile(input).expect("compiles"),
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// The shipped story, compiled from the files embedded in the binary: what
/// every start of the game pays before its first prompt.
fn shipped(c: &mut Criterion) {
    c.bench_function("load_compile/shipped_embedded", |b| {
        b.iter_with_large_drop(common::shipped);
    });
}

fn static_checks(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    for scenes in common::SIZES {
        let story = common::story(scenes);
        group.throughput(Throughput::Elements(scenes as u64));
        if scenes >= 100_000 {
            common::slow(&mut group);
        }
        group.bench_with_input(BenchmarkId::new("lint", scenes), &story, |b, story| {
            b.iter(|| {
                let lints = check::lint(black_box(story));
                assert!(lints.is_empty());
                lints
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = shipped, load_and_compile, static_checks
}
criterion_main!(benches);
