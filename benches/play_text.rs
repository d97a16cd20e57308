//! Random playthroughs that render what the prompt shows: every paragraph
//! of each scene's text (interpolation, conditional text) and every open
//! choice's label, into buffers reused from scene to scene
//! (`State::show`). Target (docs/performance.md): 2,000,000 choices per
//! second on one thread at 1k, 10k and 100k scenes, with no allocation per
//! choice once the buffers have grown: a counting allocator proves it
//! before the timing starts.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use callister::engine::{RollMode, Screen, State};
use callister::story::{ChoiceId, Story, paragraphs};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// The system allocator, counting the allocations (and reallocations) made.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Playthroughs per iteration.
const RUNS: usize = 2000;
/// A run is cut off after this many choices (the synthetic stories loop).
const STEP_CAP: usize = 1000;

/// What the playthroughs reuse: the game and the screen's buffers.
struct Player {
    game: State,
    screen: Screen,
}

impl Player {
    fn new(story: &Story) -> Player {
        Player {
            game: State::new(story, 0),
            screen: Screen::default(),
        }
    }

    /// `RUNS` random playthroughs from `seed`, each scene shown before its
    /// choice is taken; returns the choices taken and the bytes shown.
    fn play(&mut self, story: &Story, seed: u64) -> (u64, u64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut choices, mut bytes) = (0u64, 0u64);
        for _ in 0..RUNS {
            self.game.restart(story, rng.random());
            for _ in 0..STEP_CAP {
                self.game.show(story, &mut self.screen);
                bytes += (self.screen.text().len()
                    + self
                        .screen
                        .choices()
                        .map(|(_, l, _)| l.len())
                        .sum::<usize>()) as u64;
                let open = self.screen.choices().len();
                if self.game.ending(story).is_some() || open == 0 {
                    break;
                }
                let Some(c) = self.screen.choice(rng.random_range(0..open)) else {
                    break;
                };
                self.game
                    .advance(story, c, RollMode::Random)
                    .expect("an open choice");
                choices += 1;
            }
        }
        (choices, bytes)
    }

    /// The same playthroughs with nothing shown: the choices only.
    fn play_blind(&mut self, story: &Story, seed: u64, open: &mut Vec<ChoiceId>) -> u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut choices = 0u64;
        for _ in 0..RUNS {
            self.game.restart(story, rng.random());
            for _ in 0..STEP_CAP {
                open.clear();
                open.extend(self.game.choices(story));
                if self.game.ending(story).is_some() || open.is_empty() {
                    break;
                }
                let c = open[rng.random_range(0..open.len())];
                self.game
                    .advance(story, c, RollMode::Random)
                    .expect("an open choice");
                choices += 1;
            }
        }
        choices
    }

    /// The same playthroughs, shown as `State::view` showed a scene before
    /// `show`: each text rendered into a new string and split into new
    /// paragraphs, title and keys cloned. For comparison.
    fn play_allocating(&mut self, story: &Story, seed: u64) -> (u64, u64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut choices, mut bytes) = (0u64, 0u64);
        for _ in 0..RUNS {
            self.game.restart(story, rng.random());
            for _ in 0..STEP_CAP {
                let scene = story.scene(self.game.scene);
                let title = scene.title.clone();
                let shown = paragraphs(&self.game.render(story, &scene.text));
                let open: Vec<(String, String)> = self
                    .game
                    .choices(story)
                    .map(|c| {
                        let choice = story.choice(c);
                        let label = paragraphs(&self.game.render(story, &choice.text)).join(" ");
                        (choice.key.clone(), label)
                    })
                    .collect();
                bytes += (title.len()
                    + shown.iter().map(String::len).sum::<usize>()
                    + open.iter().map(|(k, l)| k.len() + l.len()).sum::<usize>())
                    as u64;
                let ids: Vec<_> = self.game.choices(story).collect();
                if self.game.ending(story).is_some() || ids.is_empty() {
                    break;
                }
                let c = ids[rng.random_range(0..ids.len())];
                self.game
                    .advance(story, c, RollMode::Random)
                    .expect("an open choice");
                choices += 1;
            }
        }
        (choices, bytes)
    }
}

/// Millions of choices per second of this thread's CPU time: the best of
/// five runs of `pass`, which takes `choices` choices.
fn cpu_rate(choices: u64, mut pass: impl FnMut()) -> f64 {
    let cpu = || {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid timespec for the call to write.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    };
    let best = (0..5)
        .map(|_| {
            let start = cpu();
            pass();
            cpu() - start
        })
        .fold(f64::INFINITY, f64::min);
    choices as f64 / best / 1e6
}

fn play_with_text(c: &mut Criterion) {
    let mut group = c.benchmark_group("random_text");
    for scenes in common::SIZES {
        let story = common::story(scenes);
        let mut player = Player::new(&story);
        // The first pass grows the buffers; the same runs again must not
        // allocate at all.
        let (choices, bytes) = player.play(&story, 0);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        assert_eq!(player.play(&story, 0), (choices, bytes));
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        eprintln!(
            "random_text/{scenes}: {choices} choices, {} bytes shown per choice, {allocations} allocations in the steady state",
            bytes / choices.max(1)
        );
        assert_eq!(allocations, 0, "showing a scene allocated");
        // CPU time of this thread, steadier than wall time on a shared
        // machine: with text, without, and the allocating view.
        let mut open = Vec::new();
        let shown = cpu_rate(choices, || {
            black_box(player.play(&story, 0));
        });
        let blind = cpu_rate(choices, || {
            black_box(player.play_blind(&story, 0, &mut open));
        });
        let allocating = cpu_rate(choices, || {
            black_box(player.play_allocating(&story, 0));
        });
        eprintln!(
            "random_text/{scenes}: per CPU-second: {shown:.2} M choices shown, {blind:.2} M with nothing shown, {allocating:.2} M shown by the allocating view"
        );
        group.throughput(Throughput::Elements(choices));
        group.bench_function(BenchmarkId::new("synth", scenes), |b| {
            b.iter(|| black_box(player.play(black_box(&story), 0)));
        });
        group.bench_function(BenchmarkId::new("allocating", scenes), |b| {
            b.iter(|| black_box(player.play_allocating(black_box(&story), 0)));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = play_with_text
}
criterion_main!(benches);
