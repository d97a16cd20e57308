//! Random playthroughs (choices per second) and exhaustive exploration
//! (states per second), on synthetic stories and the shipped one. Targets
//! (docs/performance.md): 2,000,000 choices per second on the 10k-scene
//! story, 1,000,000 states per second.

mod common;

use std::hint::black_box;

use callister::engine::State;
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

/// States visited by one exploration (the explorer is deterministic).
fn states(story: &Story, start: &State, cap: usize) -> u64 {
    explore::explore(story, start.clone(), cap, &|_, _| {}).states as u64
}

fn exploration(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    // Synthetic stories have far more states than any cap: these measure the
    // rate, with each state's size growing with the story.
    let cases = [(1_000, 20_000), (10_000, 5_000)];
    for (scenes, cap) in cases {
        let story = common::story(scenes);
        let start = State::new(&story, 0);
        group.throughput(Throughput::Elements(states(&story, &start, cap)));
        group.bench_with_input(
            BenchmarkId::new(format!("synth_{scenes}"), format!("{cap}_states")),
            &(story, start),
            |b, (story, start)| {
                b.iter(|| explore::explore(story, start.clone(), cap, &|_, _| {}));
            },
        );
    }
    // The shipped story: Act III to the end (complete), and the first
    // 100,000 states from the start.
    let story = common::shipped();
    let act3 = story
        .scene_by_id("act3_start")
        .expect("the shipped story has act3_start");
    for (name, start, cap) in [
        (
            "act3_start",
            State::at(&story, 0, act3),
            explore::DEFAULT_MAX_STATES,
        ),
        ("start_100k", State::new(&story, 0), 100_000),
    ] {
        group.throughput(Throughput::Elements(states(&story, &start, cap)));
        group.bench_with_input(BenchmarkId::new("shipped", name), &start, |b, start| {
            b.iter(|| explore::explore(&story, start.clone(), cap, &|_, _| {}));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = random_playthroughs, exploration
}
criterion_main!(benches);
