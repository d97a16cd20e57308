//! Random playthroughs (choices per second), on synthetic stories. Target
//! (docs/performance.md): 2,000,000 choices per second on the 10k-scene
//! story. Exhaustive exploration is `benches/explore.rs`.

mod common;

use std::hint::black_box;

use callister::story::Story;
use callister::tools::explore;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Random playthroughs per iteration.
const RUNS: usize = 2000;

/// Choices taken by `explore::random(story, RUNS, 0)`: every scene hit but
/// each run's first.
fn choices_taken(story: &Story) -> u64 {
    let r = explore::random(story, RUNS, 0);
    assert_eq!(r.stuck, 0);
    r.scene_hits.iter().sum::<u64>() - RUNS as u64
}

fn random_playthroughs(c: &mut Criterion) {
    let mut group = c.benchmark_group("random");
    for scenes in common::SIZES {
        let story = common::story(scenes);
        let choices = choices_taken(&story);
        group.throughput(Throughput::Elements(choices));
        group.bench_with_input(BenchmarkId::new("synth", scenes), &story, |b, story| {
            b.iter(|| explore::random(black_box(story), RUNS, 0));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = random_playthroughs
}
criterion_main!(benches);
