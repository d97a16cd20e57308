//! The explorer's reductions are sound: on stories small enough to walk
//! without them, the explorer reaches exactly the scenes, choices, endings,
//! dead ends and soft-locks (scenes where some reachable state can reach
//! no ending) that a naive walk over the whole state reaches.
//!
//! The naive walk keys a state by everything in it (scene, every variable,
//! flag, item, death, `once` choice, visit count and the tunnel stack)
//! except the RNG and the turn; visit counts saturate at one past the
//! largest constant any condition compares them with, which cannot change
//! what a condition says.

use std::collections::{HashMap, VecDeque};

use callister::engine::{BitSet, RollMode, State, Taken};
use callister::story::compile::{self, InputFile};
use callister::story::{Action, Read, SceneId, Story};
use callister::tools::explore;

#[derive(Debug, PartialEq, Eq)]
struct Coverage {
    scenes: Vec<bool>,
    choices: Vec<bool>,
    endings: Vec<usize>,
    /// Scenes where a reachable state has no open choice.
    dead_ends: Vec<usize>,
    /// Scenes where a reachable state can reach no ending.
    trapped: Vec<usize>,
}

/// What the naive walks tell states apart by: the whole state, less the
/// RNG, the turn and the seed, with visit counts saturated past the largest
/// number any condition compares with.
type WholeKey = (
    SceneId,
    Vec<i64>,
    BitSet,
    BitSet,
    BitSet,
    Taken,
    Vec<(SceneId, u32)>,
    Vec<SceneId>,
);

fn whole_key(story: &Story) -> impl Fn(&State) -> WholeKey {
    let mut cap = 1u32;
    story.sites(&mut |_, site| {
        site.reads(&mut |r| {
            if let Read::Bound(_, _, n) = r {
                cap = cap.max(u32::try_from(n.clamp(0, 1000)).unwrap_or(0) + 1);
            }
        });
    });
    move |s: &State| {
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
    }
}

fn naive(story: &Story) -> (Coverage, usize) {
    let key = whole_key(story);
    let start = State::new(story, 0);
    // Every state by its key, with its index; the edges between them, and
    // which are endings: the true soft-locks are the states from which no
    // ending can be reached, found backwards.
    let mut seen = HashMap::new();
    seen.insert(key(&start), 0usize);
    let mut scene_of = vec![start.scene.index()];
    let mut before: Vec<Vec<usize>> = vec![Vec::new()];
    let mut endings_at: Vec<usize> = Vec::new();
    let mut queue = VecDeque::from([(start, 0usize)]);
    let mut cov = Coverage {
        scenes: vec![false; story.scenes.len()],
        choices: vec![false; story.choices.len()],
        endings: Vec::new(),
        dead_ends: Vec::new(),
        trapped: Vec::new(),
    };
    while let Some((state, at)) = queue.pop_front() {
        assert!(
            seen.len() < 2_000_000,
            "the naive walk is too big for a test"
        );
        cov.scenes[state.scene.index()] = true;
        if let Some(e) = state.ending(story) {
            cov.endings.push(e.index());
            endings_at.push(at);
            continue;
        }
        let choices: Vec<_> = state.choices(story).collect();
        if choices.is_empty() {
            cov.dead_ends.push(state.scene.index());
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
                let fresh = seen.len();
                let to = *seen.entry(key(&next)).or_insert(fresh);
                if to == fresh {
                    scene_of.push(next.scene.index());
                    before.push(Vec::new());
                    queue.push_back((next, to));
                }
                before[to].push(at);
            }
        }
    }
    let mut good = vec![false; seen.len()];
    let mut back: Vec<usize> = endings_at;
    for &e in &back {
        good[e] = true;
    }
    while let Some(v) = back.pop() {
        for &u in &before[v] {
            if !good[u] {
                good[u] = true;
                back.push(u);
            }
        }
    }
    cov.trapped = (0..seen.len())
        .filter(|&i| !good[i])
        .map(|i| scene_of[i])
        .collect();
    for list in [&mut cov.endings, &mut cov.dead_ends, &mut cov.trapped] {
        list.sort_unstable();
        list.dedup();
    }
    (cov, seen.len())
}

fn reduced(story: &Story) -> (Coverage, usize) {
    let r = explore::explore(story, State::new(story, 0), 5_000_000, &|_, _| {});
    assert!(r.complete, "the explorer did not finish");
    let mut endings: Vec<usize> = r.endings.keys().copied().collect();
    endings.sort_unstable();
    let scenes = |v: &[bool]| -> Vec<usize> { (0..v.len()).filter(|&i| v[i]).collect() };
    // Every region's scenes are trapped, and every trapped scene leads to
    // some region.
    for lock in &r.soft_locks {
        for s in &lock.scenes {
            assert!(
                r.trapped[s.index()],
                "a soft-lock outside the trapped scenes"
            );
        }
    }
    assert_eq!(r.soft_locks.is_empty(), !r.trapped.contains(&true));
    (
        Coverage {
            scenes: r.scenes_reached,
            choices: r.choices_taken,
            endings,
            dead_ends: scenes(&r.dead_ends),
            trapped: scenes(&r.trapped),
        },
        r.states,
    )
}

fn assert_same(name: &str, story: &Story) -> Coverage {
    let (expected, _) = naive(story);
    let (actual, _) = reduced(story);
    assert_eq!(
        actual, expected,
        "{name}: the explorer and the naive walk disagree"
    );
    expected
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
            let text = [
                "T{cycle: a | b}",
                "T{first}new{else}again{end}",
                "T{seq: x | y}",
            ][t];
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
    let (mut compiled, mut trapped, mut looping) = (0, 0, 0);
    for seed in 0..400 {
        // Some draws are not valid stories (a scene with only a `once`
        // choice back to itself is fine; an ending nobody reaches is fine;
        // a duplicate key is not): those are skipped, most compile.
        let Ok(story) = compile::compile(tiny_story(seed)) else {
            continue;
        };
        compiled += 1;
        let cov = assert_same(&format!("tiny story, seed {seed}"), &story);
        trapped += usize::from(!cov.trapped.is_empty());
        // Trapped somewhere that is not a dead end: caught in a loop.
        looping += usize::from(cov.trapped.iter().any(|s| !cov.dead_ends.contains(s)));
    }
    assert!(
        compiled > 300,
        "only {compiled} of 400 tiny stories compiled"
    );
    // The draws hold enough soft-locks of both kinds for the comparison to
    // mean something.
    assert!(trapped > 50, "only {trapped} tiny stories have a soft-lock");
    assert!(looping > 20, "only {looping} tiny stories have a loop trap");
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
        expected.dead_ends.len(),
        1,
        "the cell is a dead end without the lamp"
    );
    assert_eq!(expected.trapped, expected.dead_ends);
    let (actual, states) = reduced(&story);
    assert_eq!(actual, expected);
    // And it did merge: the naive walk tells every coin value apart.
    assert!(
        states * 2 < naive_states,
        "{states} states against {naive_states} for the naive walk"
    );
}

/// Three ways into the wings, each setting a flag that only the check
/// there reads, in its adjustments; `chance` and `per` are the check's
/// base chance and its `Per` factor.
fn rehearsal(chance: i64, per: i64) -> Story {
    let file = |name: &str, text: String| InputFile {
        rel: name.to_string(),
        name: name.to_string(),
        text,
    };
    let story = r#"Story(title: "Rehearsal", start: "dressing", variables: [(id: "nerve", initial: 0, min: 0, max: 2)], flags: ["lines", "shoes", "tea"])"#;
    let chapter = format!(
        r#"Chapter(title: "Opening night", scenes: [
            (id: "dressing", title: "Dressing room", text: "Five minutes.", choices: [
                (key: "lines", text: "Run your lines", effects: [SetFlag("lines"), Add("nerve", 2)], goto: "wings"),
                (key: "shoes", text: "Polish your shoes", effects: [SetFlag("shoes")], goto: "wings"),
                (key: "tea", text: "Drink the tea", effects: [SetFlag("tea")], goto: "wings"),
            ]),
            (id: "wings", title: "Wings", text: "The bell.", choices: [
                (key: "on", text: "Go on", check: (chance: {chance}, adjust: [When("lines", 10), When("shoes", 5), When("tea", -10), Per("nerve", {per})], success: (goto: "bows"), failure: (goto: "boos"))),
            ]),
            (id: "bows", title: "Bows", text: "Flowers.", ending: (id: "bows", title: "Bows", kind: Good)),
            (id: "boos", title: "Boos", text: "Tomatoes.", ending: (id: "boos", title: "Boos", kind: Bad)),
        ])"#
    );
    compile::compile(vec![
        file("story.ron", story.to_string()),
        file("night.ron", chapter),
    ])
    .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics))
}

/// What a check that no state makes certain reads changes the odds and
/// never what can happen: the explorer lets the flags it reads go (both
/// branches are open whatever they say), and agrees with the naive walk.
/// A check whose adjustments can make it certain keeps them apart.
#[test]
fn an_uncertain_checks_adjustments_do_not_keep_states_apart() {
    // 50 - 10 .. 50 + 10 + 5 + 2 * 10: always between 1 and 99.
    let open = rehearsal(50, 10);
    let check = |story: &Story| match &story.choice(story.scene(SceneId(1)).choices[0]).action {
        Action::Check(c) => c.clone(),
        _ => panic!("the wings' choice is the check"),
    };
    assert!(check(&open).always_open(&open));
    let (expected, naive_states) = naive(&open);
    let (actual, states) = reduced(&open);
    assert_eq!(actual, expected);
    // The three ways into the wings are one state there.
    assert!(
        states < naive_states,
        "{states} states against {naive_states} for the naive walk"
    );
    // 80 + 10 + 5 + 2 * 10 reaches 100: the flags decide whether failing
    // can happen at all, so they stay.
    let certain = rehearsal(80, 10);
    assert!(!check(&certain).always_open(&certain));
    let (expected, naive_certain) = naive(&certain);
    let (actual, states_certain) = reduced(&certain);
    assert_eq!(actual, expected);
    assert!(
        states < states_certain,
        "the uncertain check kept {states} states, the one that can be certain {states_certain}"
    );
    assert!(states_certain <= naive_certain);
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
            // The table's size in bytes depends on its shards, nothing else.
            r.dedup_bytes = 0;
            r.peak_bytes = 0;
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

/// One region per soft-lock shape, with the shortest path into it, the step
/// after which no ending can be reached, and the loop it is caught in: a
/// scene whose only choice loops back, two scenes that send the player to
/// each other, and a loop whose only way out needs what nothing gives.
#[test]
fn every_shape_of_soft_lock_is_found_with_its_path_and_loop() {
    for (dir, scenes, lp) in [
        (
            "tests/fixtures/softlock_trap_loop",
            &["yard"][..],
            &[("yard", "wait")][..],
        ),
        (
            "tests/fixtures/softlock_two_scenes",
            &["left", "right"][..],
            &[("left", "right"), ("right", "left")][..],
        ),
        (
            "tests/fixtures/softlock_false_exit",
            &["cellar", "stair"][..],
            &[("cellar", "up"), ("stair", "back")][..],
        ),
    ] {
        let story = story_from(dir);
        let r = explore::explore(&story, State::new(&story, 0), 1000, &|_, _| {});
        assert!(r.complete, "{dir}");
        assert_eq!(r.soft_locks.len(), 1, "{dir}: {:?}", r.soft_locks);
        let lock = &r.soft_locks[0];
        let ids: Vec<&str> = lock
            .scenes
            .iter()
            .map(|&s| story.scene(s).id.as_str())
            .collect();
        assert_eq!(ids, scenes, "{dir}");
        let path = explore::plan_for(&story, &lock.path, None, None).choices;
        assert_eq!(
            path,
            [story.choice(lock.path[0].choice).key.clone()],
            "{dir}"
        );
        assert_eq!(lock.no_return, 1, "{dir}");
        let cycle: Vec<(&str, &str)> = lock
            .cycle
            .iter()
            .map(|(s, step)| {
                (
                    story.scene(*s).id.as_str(),
                    story.choice(step.choice).key.as_str(),
                )
            })
            .collect();
        assert_eq!(cycle, lp, "{dir}");
        // The ending is still reachable from the start: the rest is sound.
        assert_eq!(r.endings.len(), 1, "{dir}");
        assert_same(dir, &story);
    }
}

/// The same, as `callister explore` prints it, in text and JSON, and as
/// random playthroughs name where they got stuck.
#[test]
fn the_command_line_names_each_soft_lock() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("callister"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .expect("callister runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(&["explore", "tests/fixtures/softlock_two_scenes"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "soft-locks: 1 (regions where no ending can be reached)\n  `left` and `right` at tests/fixtures/softlock_two_scenes/a.ron:8:11: 2 states, no ending reachable\n    reached by: in\n    no ending can be reached after step 1 (`in` in `hall`)\n    caught in: `left` --right--> `right` --left--> `left`\n"
        ),
        "{text}"
    );
    let (_, json) = run(&[
        "explore",
        "tests/fixtures/softlock_trap_loop",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        v["soft_locks"],
        serde_json::json!([{
            "scenes": ["yard"], "states": 1, "path": ["yard"], "no_return": 1,
            "dead_end": false, "loop": [{"scene": "yard", "choice": "wait"}],
        }])
    );
    assert_eq!(v["trapped_scenes"], serde_json::json!(["yard"]));
    let (code, text) = run(&[
        "explore",
        "tests/fixtures/softlock_two_scenes",
        "--random",
        "20",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("runs still going round at the step cap: `left`, `right`"),
        "{text}"
    );
}

/// A walk cut off by its memory budget says so first, and calls what it
/// did not see "not reached before the cut-off"; `--max-states` the same.
#[test]
fn a_cut_off_walk_says_so_first() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("callister"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .expect("callister runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(&["explore", "scenes", "--max-memory", "3M"]);
    assert_eq!(code, Some(1), "{text}");
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "cut off at the memory budget of 3 MiB (raise it with --max-memory) after "
        ),
        "{text}"
    );
    assert!(
        text.contains("  not reached before the cut-off: scene `"),
        "{text}"
    );
    assert!(!text.contains("unreached"), "{text}");
    assert!(
        text.contains("soft-locks: none"),
        "a cut-off is no soft-lock: {text}"
    );
    let (code, text) = run(&["explore", "scenes", "--max-states", "2000"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.starts_with("cut off at --max-states 2000 after 2000 states;"),
        "{text}"
    );
    let (code, _) = run(&["explore", "scenes", "--max-memory", "lots"]);
    assert_eq!(code, Some(2));
}

/// A tiny random story with invariants, scene `assume`s and `{assume}`s in
/// text (under an `{if}`, in a `{seq:}` item, in a `{first}`), for the
/// probes' differential test below.
fn ruled_story(seed: u64) -> Vec<InputFile> {
    let mut files = tiny_story(seed);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let conds = [
        "gold <= 6",
        "gold != 4",
        "mood < 3",
        "not (lit and has key)",
        "alive pip or not lit",
        "visits(s0) <= 2",
        "not has key",
        "gold > mood or mood == 0",
        "visited s1",
        "ending end and gold > 2",
    ];
    let pick = |next: &mut dyn FnMut(u64) -> u64| conds[next(conds.len() as u64) as usize];
    let rules: Vec<String> = (0..1 + next(2))
        .map(|_| format!("\"{}\"", pick(&mut next)))
        .collect();
    let story = &mut files[0].text;
    story.truncate(story.trim_end().len() - 1);
    story.push_str(&format!(", invariants: [{}])", rules.join(", ")));
    let chapter = &mut files[1].text;
    for i in 0..12 {
        let from = format!("text: \"Scene. {i}\"");
        if !chapter.contains(&from) {
            continue;
        }
        let assume = if next(2) == 0 {
            format!("assume: \"{}\", ", pick(&mut next))
        } else {
            String::new()
        };
        let text = format!(
            "{{if {}}}{{assume {}}}Scene.{{end}}\\n\\n{{seq: a | {{assume {}}}b}}\\n\\n{{first}}{{else}}{{assume {}}}Again.{{end}} {i}",
            pick(&mut next),
            pick(&mut next),
            pick(&mut next),
            pick(&mut next)
        );
        *chapter = chapter.replace(&from, &format!("{assume}text: \"{text}\""));
    }
    let chapter_rule = pick(&mut next);
    *chapter = chapter.replacen(
        "Chapter(title: \"Tiny\", ",
        &format!("Chapter(title: \"Tiny\", invariants: [\"{chapter_rule}\"], "),
        1,
    );
    files
}

/// A broken rule: its condition's file and offset, and the length of the
/// shortest path to a state that breaks it.
type Broken = ((u32, usize), usize);

/// For each probe the naive walk finds broken (by the start of its
/// condition's file and span), the length of the shortest path to a state that
/// breaks it; and the same for a witness.
fn naive_probes(
    story: &Story,
    witness: &callister::story::Condition,
) -> (Vec<Broken>, Option<usize>) {
    let key = whole_key(story);
    let start = State::new(story, 0);
    let mut seen = std::collections::HashSet::new();
    seen.insert(key(&start));
    let mut queue = VecDeque::from([(start, 0usize)]);
    let mut broken: HashMap<(u32, usize), usize> = HashMap::new();
    let mut found: Option<usize> = None;
    while let Some((state, depth)) = queue.pop_front() {
        assert!(
            seen.len() < 2_000_000,
            "the naive walk is too big for a test"
        );
        let scene = story.scene(state.scene);
        let mut hit = |span: callister::story::source::Span, holds: bool| {
            if !holds {
                broken.entry((span.file.0, span.start)).or_insert(depth);
            }
        };
        for inv in &story.invariants {
            if inv.covers(story, state.scene) {
                hit(inv.rule.span, state.holds(story, &inv.rule.when));
            }
        }
        if let Some(a) = &scene.assume {
            hit(a.span, state.holds(story, &a.when));
        }
        state.rendered_assumptions(story, &scene.text, &mut |a| {
            hit(a.span, state.holds(story, &a.when));
        });
        if found.is_none() && state.holds(story, witness) {
            found = Some(depth);
        }
        if state.ending(story).is_some() {
            continue;
        }
        let choices: Vec<_> = state.choices(story).collect();
        for c in choices {
            let outcomes: &[Option<bool>] = match &story.choice(c).action {
                Action::Goto(_) | Action::Tunnel { .. } | Action::Return(_) => &[None],
                Action::Check(check) => match state.chance(story, check) {
                    0 => &[Some(false)],
                    100 => &[Some(true)],
                    _ => &[Some(true), Some(false)],
                },
                other => panic!("the naive walk does not know {other:?}"),
            };
            for &o in outcomes {
                let mut next = state.clone();
                next.advance(story, c, o.map_or(RollMode::Force(true), RollMode::Force))
                    .expect("a visible choice can be taken");
                if seen.insert(key(&next)) {
                    queue.push_back((next, depth + 1));
                }
            }
        }
    }
    let mut broken: Vec<Broken> = broken.into_iter().collect();
    broken.sort_unstable();
    (broken, found)
}

/// Invariants, assumptions and witnesses are sound under the reductions:
/// on hundreds of tiny random stories, the explorer finds broken exactly
/// the invariants and assumptions the naive walk over the whole state
/// finds broken, each with a shortest path of the same length, and each
/// path replayed from the start does reach a state that breaks it; and a
/// witness is found, at the same distance, exactly when the naive walk
/// finds one.
#[test]
fn tiny_random_stories_with_invariants_and_assumptions_agree_with_the_naive_walk() {
    let (mut compiled, mut broken, mut held, mut witnessed) = (0, 0, 0, 0);
    let witnesses = [
        "ending end and lit",
        "has key and mood >= 2",
        "visits(s0) >= 3 and not lit",
        "gold == 9",
    ];
    for seed in 0..120 {
        let Ok(story) = compile::compile(ruled_story(seed)) else {
            continue;
        };
        compiled += 1;
        let src = witnesses[seed as usize % witnesses.len()];
        let witness = compile::condition_in(&story, src).expect("the witness compiles");
        let (expected, expected_witness) = naive_probes(&story, &witness);
        let r = explore::explore_with(
            &story,
            State::new(&story, 0),
            explore::Limits::states(5_000_000),
            None,
            Some(&witness),
            &|_| {},
        );
        assert!(r.complete, "seed {seed}: the explorer did not finish");
        let mut actual: Vec<Broken> = r
            .violations
            .iter()
            .map(|v| ((v.span.file.0, v.span.start), v.path.len()))
            .collect();
        actual.sort_unstable();
        assert_eq!(actual, expected, "seed {seed}: the broken rules differ");
        assert_eq!(
            r.witness.as_ref().map(|w| w.as_ref().map(Vec::len)),
            Some(expected_witness),
            "seed {seed}: the witness `{src}` differs"
        );
        for v in &r.violations {
            let mut state = State::new(&story, 0);
            for step in &v.path {
                state
                    .advance(
                        &story,
                        step.choice,
                        step.outcome.map_or(RollMode::Force(true), RollMode::Force),
                    )
                    .expect("the path can be played");
            }
            let scene = story.scene(state.scene);
            let mut breaks = story
                .invariants
                .iter()
                .any(|i| i.rule.span == v.span && !state.holds(&story, &i.rule.when));
            breaks |= scene
                .assume
                .as_ref()
                .is_some_and(|a| a.span == v.span && !state.holds(&story, &a.when));
            state.rendered_assumptions(&story, &scene.text, &mut |a| {
                breaks |= a.span == v.span && !state.holds(&story, &a.when);
            });
            assert!(
                breaks,
                "seed {seed}: the path to a broken rule does not break it"
            );
        }
        broken += expected.len();
        held += r.rules - r.violations.len();
        witnessed += usize::from(expected_witness.is_some());
    }
    assert!(
        compiled > 80,
        "only {compiled} of 120 ruled stories compiled"
    );
    // Enough of each outcome for the comparison to mean something.
    assert!(broken > 80, "only {broken} broken rules");
    assert!(held > 80, "only {held} rules held");
    assert!(
        witnessed > 12 && witnessed < compiled - 12,
        "{witnessed} of {compiled} witnesses found"
    );
}
