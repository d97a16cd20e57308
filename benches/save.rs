//! Writing and loading a save that holds 1,000 steps of history. Targets
//! (docs/performance.md): written in at most 2 ms, loaded in at most 2 ms,
//! at most 100 KB. Restoring a state snapshot (what a format 1 save and an
//! autosave on an edited story map) in at most 20 µs at 100,000 scenes.

mod common;

use std::hint::black_box;
use std::path::Path;

use callister::engine::history::{Step, Tree};
use callister::engine::{RollMode, State};
use callister::play::save::{SaveDir, SaveFile, Snapshot};
use callister::story::{Action, Story};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Steps of history in the save.
const STEPS: usize = 1000;

/// A playthrough of `STEPS` choices that never reaches an ending: at each
/// scene, a random open choice that cannot lead to one. A walk that gets
/// cornered starts again from another seed.
fn history(story: &Story) -> Tree {
    let leads_on = |c| match &story.choice(c).action {
        Action::Goto(t) => story.scene(*t).ending.is_none(),
        Action::Check(check) => [check.success.goto, check.failure.goto]
            .iter()
            .all(|t| story.scene(*t).ending.is_none()),
        other => panic!("the bench does not know {other:?}"),
    };
    'seed: for seed in 0.. {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut tree = Tree::new(State::new(story, seed));
        while tree.depth() < STEPS {
            let mut state = tree.state().clone();
            let open: Vec<_> = state.choices(story).filter(|&c| leads_on(c)).collect();
            if open.is_empty() {
                continue 'seed;
            }
            let choice = open[rng.random_range(0..open.len())];
            let step = Step {
                scene: story.scene(state.scene).id.clone(),
                key: story.choice(choice).key.clone(),
                roll: None,
                success: None,
            };
            let roll = state
                .advance(story, choice, RollMode::Random)
                .expect("an open choice");
            let step = Step {
                roll: roll.as_ref().and_then(|r| r.roll),
                success: roll.as_ref().map(|r| r.success),
                ..step
            };
            tree.push(step, choice, state);
        }
        return tree;
    }
    unreachable!("some seed gives a long enough walk")
}

fn capture(story: &Story, tree: &Tree) -> SaveFile {
    SaveFile::capture(story, tree, story.start, 0, 0)
}

fn load(story: &Story, saves: &SaveDir) -> Tree {
    let file = saves.read("bench").expect("the save reads");
    let (tree, _, report) = file
        .restore(story, Path::new("bench.ron"))
        .expect("the save restores");
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    tree
}

fn save_and_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("save_1000_steps");
    for scenes in common::SIZES {
        let story = common::story(scenes);
        let tree = history(&story);
        // The state after 1,000 steps, named: its cost is the state's, not
        // the story's.
        let snapshot = Snapshot::of(&story, tree.state());
        eprintln!(
            "save_1000_steps/{scenes}: the snapshot names {} visited scenes, {} `once` choices taken",
            snapshot.visits.len(),
            snapshot.used.len()
        );
        group.bench_function(BenchmarkId::new("snapshot_restore", scenes), |b| {
            b.iter(|| black_box(&snapshot).restore(&story).expect("restores"));
        });
        let dir = tempfile::tempdir().expect("a temporary directory");
        let saves = SaveDir {
            dir: dir.path().to_path_buf(),
        };
        let path = saves
            .write("bench", &capture(&story, &tree))
            .expect("saved");
        let bytes = std::fs::metadata(&path).expect("the save exists").len();
        eprintln!(
            "save_1000_steps/{scenes}: {bytes} bytes ({:.1} KB) for {STEPS} steps",
            bytes as f64 / 1000.0
        );
        assert_eq!(load(&story, &saves).depth(), STEPS);

        // What `save` does at the prompt: capture, RON, atomic write (fsync).
        group.bench_function(BenchmarkId::new("write", scenes), |b| {
            b.iter(|| saves.write("bench", &capture(&story, black_box(&tree))));
        });
        // The same without the disk.
        group.bench_function(BenchmarkId::new("serialise", scenes), |b| {
            b.iter(|| capture(&story, black_box(&tree)).to_ron().unwrap());
        });
        // What `load` does: read, parse, replay the log into a tree.
        group.bench_function(BenchmarkId::new("load", scenes), |b| {
            b.iter_with_large_drop(|| load(&story, &saves));
        });
        let text = std::fs::read_to_string(&path).expect("the save reads");
        group.bench_function(BenchmarkId::new("parse", scenes), |b| {
            b.iter(|| SaveFile::parse(black_box(&text), &path).expect("parses"));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = save_and_load
}
criterion_main!(benches);
