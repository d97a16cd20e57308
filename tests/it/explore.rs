//! The explorer's reductions are sound: on stories small enough to walk
//! without them, the explorer reaches exactly the scenes, choices, endings
//! and soft-locks that a naive walk over the whole state reaches.
//!
//! The naive walk keys a state by everything in it (scene, every variable,
//! flag, item, death, `once` choice, visit count and the tunnel stack)
//! except the RNG and the turn; visit counts saturate at one past the
//! largest constant any condition compares them with, which cannot change
//! what a condition says.

use std::collections::{HashSet, VecDeque};

use callister::engine::{RollMode, State};
use callister::story::compile::{self, InputFile};
use callister::story::{Action, Read, SceneId, Story};
use callister::tools::explore;

#[derive(Debug, PartialEq, Eq)]
struct Coverage {
    scenes: Vec<bool>,
    choices: Vec<bool>,
    endings: Vec<usize>,
    soft_locks: Vec<usize>,
}

fn naive(story: &Story) -> (Coverage, usize) {
    let mut cap = 1u32;
    story.sites(&mut |_, site| {
        site.reads(&mut |r| {
            if let Read::Bound(_, _, n) = r {
                cap = cap.max(u32::try_from(n.clamp(0, 1000)).unwrap_or(0) + 1);
            }
        });
    });
    let key = |s: &State| {
        let visits: Vec<(SceneId, u32)> = s.visits.iter().map(|(sc, v)| (sc, v.min(cap))).collect();
        (
            s.scene,
            s.vars.clone(),
            s.flags.clone(),
            s.items.clone(),
            s.dead.clone(),
            s.used.clone(),
            visits,
            s.stack.clone(),
        )
    };
    let start = State::new(story, 0);
    let mut seen = HashSet::new();
    seen.insert(key(&start));
    let mut queue = VecDeque::from([start]);
    let mut cov = Coverage {
        scenes: vec![false; story.scenes.len()],
        choices: vec![false; story.choices.len()],
        endings: Vec::new(),
        soft_locks: Vec::new(),
    };
    while let Some(state) = queue.pop_front() {
        assert!(
            seen.len() < 2_000_000,
            "the naive walk is too big for a test"
        );
        cov.scenes[state.scene.index()] = true;
        if let Some(e) = state.ending(story) {
            cov.endings.push(e.index());
            continue;
        }
        let choices: Vec<_> = state.choices(story).collect();
        if choices.is_empty() {
            cov.soft_locks.push(state.scene.index());
        }
        for c in choices {
            cov.choices[c.index()] = true;
            let outcomes: &[Option<bool>] = match &story.choice(c).action {
                Action::Goto(_) | Action::Tunnel { .. } | Action::Return(_) => &[None],
                Action::Check(check) => match state.chance(story, check) {
                    0 => &[Some(false)],
                    100 => &[Some(true)],
                    _ => &[Some(true), Some(false)],
                },
                // `Action` may grow (it is `#[non_exhaustive]`): the naive
                // walk must then learn the new action before it can judge.
                other => panic!("the naive walk does not know {other:?}"),
            };
            for &o in outcomes {
                let mut next = state.clone();
                next.advance(story, c, o.map_or(RollMode::Force(true), RollMode::Force))
                    .expect("a visible choice can be taken");
                if seen.insert(key(&next)) {
                    queue.push_back(next);
                }
            }
        }
    }
    cov.endings.sort_unstable();
    cov.endings.dedup();
    cov.soft_locks.sort_unstable();
    cov.soft_locks.dedup();
    (cov, seen.len())
}

fn reduced(story: &Story) -> (Coverage, usize) {
    let r = explore::explore(story, State::new(story, 0), 5_000_000, &|_, _| {});
    assert!(r.complete, "the explorer did not finish");
    let mut endings: Vec<usize> = r.endings.keys().copied().collect();
    endings.sort_unstable();
    let mut soft_locks: Vec<usize> = r.soft_locks.iter().map(|(s, _)| s.index()).collect();
    soft_locks.sort_unstable();
    (
        Coverage {
            scenes: r.scenes_reached,
            choices: r.choices_taken,
            endings,
            soft_locks,
        },
        r.states,
    )
}

fn assert_same(name: &str, story: &Story) {
    let (expected, _) = naive(story);
    let (actual, _) = reduced(story);
    assert_eq!(
        actual, expected,
        "{name}: the explorer and the naive walk disagree"
    );
}

fn story_from(dir: &str) -> Story {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    compile::load_dir(&root.join(dir)).unwrap_or_else(|f| panic!("{dir}: {:#?}", f.diagnostics))
}

#[test]
fn examples_agree_with_the_naive_walk() {
    for dir in ["examples/lighthouse", "examples/side-mission"] {
        assert_same(dir, &story_from(dir));
    }
}

/// A tiny random story: a handful of scenes, two variables with small
/// ranges, flags, an item, a crew member, `once` choices, checks with `Per`
/// and `When` adjustments, visit counts, loops, and sometimes a dead end.
/// With `tunnels`, some choices enter a tunnel of three scenes (which
/// return, move between themselves, enter a tunnel of their own and change
/// the state the scenes they come back to read), and the texts vary.
fn tiny_story(seed: u64) -> Vec<InputFile> {
    tiny_story_of(seed, false)
}

fn tiny_story_of(seed: u64, tunnels: bool) -> Vec<InputFile> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    // With tunnels, fewer scenes: the naive walk tells apart the visits of
    // every scene, the tunnels' too.
    let scenes = if tunnels { 3 } else { 4 } + next(if tunnels { 3 } else { 5 }) as usize;
    let conds = [
        "gold >= 3",
        "gold < 2",
        "mood >= 2",
        "mood == 0",
        "lit",
        "not lit",
        "has key",
        "alive pip",
        "visits(s0) >= 2",
        "gold > mood",
        "not has key and mood < 3",
    ];
    let effects = [
        "Add(\"gold\", 2)",
        "Add(\"gold\", -3)",
        "Add(\"mood\", 1)",
        "Add(\"mood\", -2)",
        "SetVar(\"gold\", 1)",
        "SetFlag(\"lit\")",
        "ClearFlag(\"lit\")",
        "Give(\"key\")",
        "Take(\"key\")",
        "Kill(\"pip\")",
    ];
    let mut out = String::from("Chapter(title: \"Tiny\", scenes: [\n");
    for i in 0..scenes {
        let text = if tunnels {
            "Scene {seq: one | two} {shuffle: a | b}."
        } else {
            "Scene."
        };
        if i == scenes - 1 {
            out += &format!(
                "(id: \"s{i}\", title: \"End\", text: \"The end.\", ending: (id: \"end\", title: \"End\", kind: Good)),\n"
            );
            continue;
        }
        out += &format!("(id: \"s{i}\", title: \"S{i}\", text: \"{text} {i}\", choices: [\n");
        for k in 0..1 + next(3) {
            let target = next(scenes as u64);
            let when = if next(2) == 0 {
                format!("when: \"{}\", ", conds[next(conds.len() as u64) as usize])
            } else {
                String::new()
            };
            let once = if next(4) == 0 { "once: true, " } else { "" };
            let fx: Vec<&str> = (0..next(3))
                .map(|_| effects[next(effects.len() as u64) as usize])
                .collect();
            let action = if tunnels && next(4) == 0 {
                // Into the tunnel, back here or to another scene.
                let back = if next(2) == 0 {
                    format!(", goto: \"s{target}\"")
                } else {
                    String::new()
                };
                format!("tunnel: \"t{}\"{back}", next(2))
            } else if next(4) == 0 {
                let other = next(scenes as u64);
                format!(
                    "check: (chance: {}, adjust: [Per(\"mood\", {}), When(\"{}\", {})], success: (goto: \"s{target}\"), failure: (effects: [{}], goto: \"s{other}\"))",
                    next(101),
                    next(61) as i64 - 30,
                    conds[next(conds.len() as u64) as usize],
                    next(81) as i64 - 40,
                    effects[next(effects.len() as u64) as usize],
                )
            } else {
                format!("goto: \"s{target}\"")
            };
            out += &format!(
                "(key: \"c{k}\", text: \"Go\", {when}{once}effects: [{}], {action}),\n",
                fx.join(", ")
            );
        }
        out += "]),\n";
    }
    if tunnels {
        // `t0` and `t1` are entered from the scenes above; `t2` only from
        // inside them. None of them is reached otherwise.
        for t in 0..3 {
            let text = ["T{cycle: a | b}", "T{first}new{else}again{end}", "T{seq: x | y}"][t];
            out += &format!("(id: \"t{t}\", title: \"T{t}\", text: \"{text}\", choices: [\n");
            let mut ways: Vec<String> = vec!["return: true".into()];
            if t < 2 {
                ways.push(format!("goto: \"t{}\"", 1 - t));
                ways.push(format!("tunnel: \"t2\", goto: \"t{}\"", next(2)));
            } else {
                ways.push("goto: \"t2\"".into());
            }
            for (k, way) in ways.iter().enumerate() {
                let when = if next(3) == 0 {
                    format!("when: \"{}\", ", conds[next(conds.len() as u64) as usize])
                } else {
                    String::new()
                };
                let once = if next(4) == 0 { "once: true, " } else { "" };
                let fx = effects[next(effects.len() as u64) as usize];
                out += &format!(
                    "(key: \"w{k}\", text: \"Go\", {when}{once}effects: [{fx}], {way}),\n"
                );
            }
            out += "]),\n";
        }
    }
    out += "])\n";
    let story = format!(
        "Story(title: \"Tiny {seed}\", start: \"s0\", variables: [(id: \"gold\", initial: {}, min: 0, max: 9), (id: \"mood\", initial: 1, min: 0, max: 4)], flags: [\"lit\"], items: [(id: \"key\", name: \"a key\")], crew: [(id: \"pip\", name: \"Pip\")])",
        next(10)
    );
    let file = |name: &str, text: String| InputFile {
        rel: name.to_string(),
        name: name.to_string(),
        text,
    };
    vec![file("story.ron", story), file("tiny.ron", out)]
}

#[test]
fn tiny_random_stories_agree_with_the_naive_walk() {
    let mut compiled = 0;
    for seed in 0..400 {
        // Some draws are not valid stories (a scene with only a `once`
        // choice back to itself is fine; an ending nobody reaches is fine;
        // a duplicate key is not): those are skipped, most compile.
        let Ok(story) = compile::compile(tiny_story(seed)) else {
            continue;
        };
        compiled += 1;
        assert_same(&format!("tiny story, seed {seed}"), &story);
    }
    assert!(
        compiled > 300,
        "only {compiled} of 400 tiny stories compiled"
    );
}

/// Tunnels: the stack is part of the state, a `return` goes where it says,
/// and the explorer's liveness and windows, which see a `return` lead to
/// every scene its tunnels come back to, lose nothing.
#[test]
fn tiny_random_stories_with_tunnels_agree_with_the_naive_walk() {
    let (mut compiled, mut returned) = (0, 0);
    for seed in 0..200 {
        let Ok(story) = compile::compile(tiny_story_of(seed, true)) else {
            continue;
        };
        compiled += 1;
        let (naive_coverage, _) = naive(&story);
        let taken = |key: &str| {
            story
                .choices
                .iter()
                .zip(&naive_coverage.choices)
                .any(|(c, &t)| t && matches!(c.action, Action::Return(_)) && c.key == key)
        };
        if taken("w0") {
            returned += 1;
        }
        assert_same(&format!("tiny story with tunnels, seed {seed}"), &story);
    }
    assert!(
        compiled > 150,
        "only {compiled} of 200 tiny stories with tunnels compiled"
    );
    assert!(
        returned > 50,
        "only {returned} stories ever returned from a tunnel"
    );
}

/// A story made to lean on every reduction at once: a shop of `once`
/// purchases in a loop, a `Per` adjustment, a counter with thresholds, a
/// chapter flag that dies, and a soft-lock that only some values reach.
const SHOP: &str = r#"
Story(
    title: "Shop",
    start: "market",
    variables: [
        (id: "coins", initial: 55, min: 0, max: 500),
        (id: "luck", initial: 0, min: 0, max: 6),
    ],
    flags: ["haggled"],
    items: [(id: "lamp", name: "a lamp")],
)
"#;

const SHOP_CHAPTER: &str = r#"
Chapter(
    title: "Market",
    scenes: [
        (
            id: "market",
            title: "Market",
            text: "Stalls. You have {coins} coins.",
            choices: [
                (key: "lamp", text: "Buy a lamp (30)", when: "coins >= 30", once: true, effects: [Add("coins", -30), Give("lamp")], goto: "market"),
                (key: "charm", text: "Buy a charm (20)", when: "coins >= 20", once: true, effects: [Add("coins", -20), Add("luck", 2)], goto: "market"),
                (key: "busk", text: "Busk", when: "visits(market) < 4", effects: [Add("coins", 5)], goto: "market"),
                (key: "haggle", text: "Haggle", when: "not haggled", effects: [SetFlag("haggled"), Add("luck", 1)], goto: "market"),
                (key: "leave", text: "Leave", goto: "gate"),
            ],
        ),
        (
            id: "gate",
            title: "Gate",
            text: "The gatekeeper wants ten coins, or a story.",
            choices: [
                (key: "pay", text: "Pay", when: "coins >= 10", effects: [Add("coins", -10)], goto: "road"),
                (
                    key: "talk",
                    text: "Talk your way past",
                    check: (
                        chance: 40,
                        adjust: [Per("luck", 15), When("has lamp", 10)],
                        success: (goto: "road"),
                        failure: (goto: "cell"),
                    ),
                ),
            ],
        ),
        (
            id: "cell",
            title: "Cell",
            text: "A cell. The lamp would help.",
            choices: [(key: "light", text: "Light the lamp", when: "has lamp", goto: "road")],
        ),
        (
            id: "road",
            title: "Road",
            text: "Home.",
            ending: (id: "home", title: "Home", kind: Good),
        ),
    ],
)
"#;

#[test]
fn a_story_that_leans_on_every_reduction_agrees_with_the_naive_walk() {
    let file = |name: &str, text: &str| InputFile {
        rel: name.to_string(),
        name: name.to_string(),
        text: text.to_string(),
    };
    let story = compile::compile(vec![
        file("story.ron", SHOP),
        file("market.ron", SHOP_CHAPTER),
    ])
    .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let (expected, naive_states) = naive(&story);
    assert_eq!(
        expected.soft_locks.len(),
        1,
        "the cell is a soft-lock without the lamp"
    );
    let (actual, states) = reduced(&story);
    assert_eq!(actual, expected);
    // And it did merge: the naive walk tells every coin value apart.
    assert!(
        states * 2 < naive_states,
        "{states} states against {naive_states} for the naive walk"
    );
}

/// The walk is the same on one thread as on several: the sharded
/// deduplication set and the split expansion decide exactly what one thread
/// would, down to every shortest path and the crowds of a cut-off walk.
#[test]
fn the_walk_is_the_same_on_any_number_of_threads() {
    let shipped =
        callister::story::embedded::story().unwrap_or_else(|_| panic!("the shipped story"));
    let synthetic = compile::compile(callister::tools::synth::input_files(1000, 4))
        .unwrap_or_else(|_| panic!("the synthetic story"));
    for (name, story, cap) in [
        ("shipped", &shipped, 12_000),
        ("synthetic", &synthetic, 5_000),
    ] {
        let walk = |threads| {
            let mut r = explore::explore_on(story, State::new(story, 0), cap, threads, &|_, _| {});
            let mut endings: Vec<_> = r.endings.drain().collect();
            endings.sort_by_key(|e| e.0);
            // The set's size in bytes depends on its shards, nothing else.
            r.dedup_bytes = 0;
            (format!("{r:?}"), format!("{endings:?}"))
        };
        let one = walk(1);
        assert!(
            one.0.contains("complete: false"),
            "{name}: the cap was not reached"
        );
        for threads in [2, 3] {
            let other = walk(threads);
            assert!(
                other.1 == one.1,
                "{name}: {threads} threads find other endings or paths"
            );
            if other.0 != one.0 {
                let (a, b) = (&one.0, &other.0);
                let at = a
                    .bytes()
                    .zip(b.bytes())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                panic!(
                    "{name}: {threads} threads walk otherwise than one, from: {} | {}",
                    &a[at.saturating_sub(80)..(at + 200).min(a.len())],
                    &b[at.saturating_sub(80)..(at + 200).min(b.len())]
                );
            }
        }
    }
}
