//! Exhaustive exploration (states per second), on synthetic stories, on
//! the shipped one, and on the two shapes that once defeated the state
//! keys (issue 13, item 12): a chain of 100,000 scenes, whose states differ
//! only in their scene, and 40 flags, whose states differ only in their
//! first bytes. Targets (docs/performance.md): 1,000,000 states per second;
//! the chain well under a second.

mod common;

use callister::engine::State;
use callister::story::Story;
use callister::story::compile::{self, InputFile};
use callister::tools::explore;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

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

/// A chain of `n` scenes, each with one choice to the next, the last an
/// ending: `n` states, each told apart from the others by its scene alone.
fn chain(n: usize) -> Story {
    let mut scenes = String::new();
    for i in 0..n - 1 {
        scenes.push_str(&format!(
            "(id: \"s{i}\", title: \"S\", text: \"On.\", choices: [(key: \"on\", text: \"On\", goto: \"s{}\")]),\n",
            i + 1
        ));
    }
    scenes.push_str(&format!(
        "(id: \"s{}\", title: \"End\", text: \"Done.\", ending: (id: \"done\", title: \"Done\", kind: Good)),\n",
        n - 1
    ));
    compiled(
        r#"Story(title: "Chain", start: "s0")"#.to_string(),
        format!("Chapter(title: \"One\", scenes: [\n{scenes}])"),
    )
}

/// One scene of `n` switches, each set once, and a way out when all are
/// set: 2^n states that differ only in the flags' bits.
fn switches(n: usize) -> Story {
    let flags: Vec<String> = (0..n).map(|i| format!("\"f{i}\"")).collect();
    let choices: String = (0..n)
        .map(|i| {
            format!(
                "(key: \"s{i}\", text: \"Set {i}\", when: \"not f{i}\", effects: [SetFlag(\"f{i}\")], goto: \"hub\"),\n"
            )
        })
        .collect();
    let all: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    compiled(
        format!(
            "Story(title: \"Switches\", start: \"hub\", flags: [{}])",
            flags.join(", ")
        ),
        format!(
            "Chapter(title: \"One\", scenes: [
                (id: \"hub\", title: \"Hub\", text: \"Switches.\", choices: [{choices}
                    (key: \"go\", text: \"Go\", when: \"{}\", goto: \"end\")]),
                (id: \"end\", title: \"End\", text: \"Done.\", ending: (id: \"done\", title: \"Done\", kind: Good)),
            ])",
            all.join(" and ")
        ),
    )
}

fn compiled(story: String, chapter: String) -> Story {
    let file = |name: &str, text: String| InputFile {
        rel: name.into(),
        name: name.into(),
        text,
    };
    compile::compile(vec![file("story.ron", story), file("a.ron", chapter)])
        .unwrap_or_else(|f| panic!("the story does not compile: {:?}", f.diagnostics))
}

/// The shapes where every state differs from the others only in a few
/// bytes at the start of its packing.
fn narrow_states(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    let chain = chain(100_000);
    let start = State::new(&chain, 0);
    let visited = states(&chain, &start, 200_000);
    assert_eq!(visited, 100_000, "the chain is explored completely");
    group.throughput(Throughput::Elements(visited));
    group.bench_function("chain_100k", |b| {
        b.iter(|| explore::explore(&chain, start.clone(), 200_000, &|_, _| {}));
    });
    let switches = switches(40);
    let start = State::new(&switches, 0);
    let cap = 50_000;
    group.throughput(Throughput::Elements(states(&switches, &start, cap)));
    group.bench_function("switches_40/50000_states", |b| {
        b.iter(|| explore::explore(&switches, start.clone(), cap, &|_, _| {}));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = exploration, narrow_states
}
criterion_main!(benches);
