//! The pure engine: a game state, what it shows, and what a choice does.
//!
//! No I/O and no terminal here. The prompt, replay, the explorer and the
//! tests all drive the same two functions: `view` and `choose`.
//!
//! The dice: a check's roll is a pure function of the game's seed and the
//! position (the step number, the scene, the choice's key), [`position_roll`],
//! so the same choice at the same point always rolls the same, and seeing
//! one option's roll tells nothing of another's. Games saved in format 1
//! drew each roll from one stream ([`Dice::Stream`]) and keep that rule.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::story::text::{Layout, Lit};
use crate::story::{
    Action, Adjust, Assumption, ChoiceId, Condition, CrewId, Effect, EndingId, FlagId, ItemId,
    MAX_TUNNEL_DEPTH, Operand, SceneId, Segment, Story, Text,
};

/// A fixed-size set of small indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BitSet(pub Vec<u64>);

impl BitSet {
    pub fn with_len(len: usize) -> BitSet {
        BitSet(vec![0; len.div_ceil(64)])
    }

    /// Clears every bit and makes room for `len`, keeping the allocation.
    pub fn clear(&mut self, len: usize) {
        self.0.clear();
        self.0.resize(len.div_ceil(64), 0);
    }

    pub fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn set(&mut self, i: usize, on: bool) {
        if let Some(w) = self.0.get_mut(i / 64) {
            if on {
                *w |= 1 << (i % 64);
            } else {
                *w &= !(1 << (i % 64));
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(wi, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| wi * 64 + b)
        })
    }
}

/// How many times each scene has been entered, kept for the scenes entered
/// at least once, sorted by scene (so equal counts are equal values). A
/// game enters few of a large story's scenes, and the undo tree keeps a state
/// per step: a count for every scene would cost the size of the story at each
/// step, and at every new game.
#[derive(Debug, PartialEq, Eq, Hash, Default)]
pub struct Visits(Vec<(SceneId, u32)>);

/// A copy keeps room for one more scene: the undo tree clones the state
/// before each step, and the step's `bump` of a scene not yet entered
/// would otherwise grow (and copy) the list again at once.
impl Clone for Visits {
    fn clone(&self) -> Visits {
        let mut v = Vec::with_capacity(self.0.len() + 1);
        v.extend_from_slice(&self.0);
        Visits(v)
    }

    fn clone_from(&mut self, source: &Visits) {
        self.0.clone_from(&source.0);
    }
}

impl Visits {
    pub fn get(&self, scene: SceneId) -> u32 {
        self.0
            .binary_search_by_key(&scene, |e| e.0)
            .map_or(0, |i| self.0[i].1)
    }

    /// Sets a count; zero forgets the scene.
    pub fn set(&mut self, scene: SceneId, n: u32) {
        match (self.0.binary_search_by_key(&scene, |e| e.0), n) {
            (Ok(i), 0) => {
                self.0.remove(i);
            }
            (Ok(i), n) => self.0[i].1 = n,
            (Err(_), 0) => {}
            (Err(i), n) => self.0.insert(i, (scene, n)),
        }
    }

    /// Counts one more entry into `scene`.
    pub fn bump(&mut self, scene: SceneId) {
        match self.0.binary_search_by_key(&scene, |e| e.0) {
            Ok(i) => self.0[i].1 = self.0[i].1.saturating_add(1),
            Err(i) => self.0.insert(i, (scene, 1)),
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Adds a count for a scene after every scene held (a list rebuilt in
    /// order); zero adds nothing.
    pub fn push_last(&mut self, scene: SceneId, n: u32) {
        debug_assert!(self.0.last().is_none_or(|l| l.0 < scene));
        if n > 0 {
            self.0.push((scene, n));
        }
    }

    /// Counts in any order, as a list of them, each scene once (a scene
    /// given twice keeps one of its counts); zeros are left out.
    pub fn from_counts(mut counts: Vec<(SceneId, u32)>) -> Visits {
        counts.retain(|&(_, n)| n > 0);
        // In place, with no buffer: callers give each scene once (a
        // snapshot's names are distinct), so stability buys nothing.
        counts.sort_unstable_by_key(|&(s, _)| s);
        counts.dedup_by_key(|&mut (s, _)| s);
        Visits(counts)
    }

    /// The scenes entered, in order, with their counts.
    pub fn iter(&self) -> impl Iterator<Item = (SceneId, u32)> + '_ {
        self.0.iter().copied()
    }
}

/// The `once` choices taken, sorted: few of a story's choices are `once`,
/// and fewer are taken in one game.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Taken(Vec<ChoiceId>);

impl Taken {
    pub fn get(&self, choice: ChoiceId) -> bool {
        self.0.binary_search(&choice).is_ok()
    }

    pub fn set(&mut self, choice: ChoiceId, on: bool) {
        match (self.0.binary_search(&choice), on) {
            (Ok(i), false) => {
                self.0.remove(i);
            }
            (Err(i), true) => self.0.insert(i, choice),
            _ => {}
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Adds a choice after every choice held (a list rebuilt in order).
    pub fn push_last(&mut self, choice: ChoiceId) {
        debug_assert!(self.0.last().is_none_or(|&l| l < choice));
        self.0.push(choice);
    }

    pub fn iter(&self) -> impl Iterator<Item = ChoiceId> + '_ {
        self.0.iter().copied()
    }
}

/// Everything that changes as the game is played.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub scene: SceneId,
    pub vars: Vec<i64>,
    pub flags: BitSet,
    pub items: BitSet,
    pub dead: BitSet,
    pub visits: Visits,
    /// `once` choices already taken.
    pub used: Taken,
    /// The tunnels entered and not yet returned from: the scene each comes
    /// back to, innermost last, at most `MAX_TUNNEL_DEPTH` long.
    pub stack: Vec<SceneId>,
    /// Choices taken so far.
    pub turn: u32,
    /// The seed the game started from (kept for saves and replays).
    pub seed: u64,
    /// How checks roll: by position (every new game), or from `rng` (games
    /// saved in format 1).
    pub dice: Dice,
    /// The roll stream of [`Dice::Stream`]; unused by [`Dice::Position`].
    pub rng: Xoshiro256PlusPlus,
}

/// The rule a game's checks roll by. It is part of the game: a save records
/// it, and a game keeps the rule it began with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Dice {
    /// Each roll is [`position_roll`] of the seed, the step, the scene and
    /// the choice: what one option rolls says nothing of another.
    #[default]
    Position,
    /// Each roll is the next number of one stream seeded by the game's seed,
    /// whatever is chosen (save format 1). A roll seen, undone and chosen
    /// around told the player the next number: kept only so that old saves
    /// replay exactly.
    Stream,
}

/// The roll of a check under [`Dice::Position`], 1 to 100: the xxh3-64 hash,
/// keyed by the game's `seed`, of the step number (`u32`, little-endian; a
/// game's first choice is step 1), the scene's id, a `0xFF` byte (which
/// UTF-8 never holds, so the two names cannot run together) and the
/// choice's key, mapped onto 1..=100 as `1 + ⌊hash · 100 / 2⁶⁴⌋`. The same
/// choice at the same point rolls the same; another choice, scene or step
/// rolls independently (as far as xxh3 is a random function; the mapping's
/// bias is below 10⁻¹⁷).
pub fn position_roll(seed: u64, step: u32, scene: &str, key: &str) -> i64 {
    let mut hash = xxhash_rust::xxh3::Xxh3::with_seed(seed);
    hash.update(&step.to_le_bytes());
    hash.update(scene.as_bytes());
    hash.update(&[0xFF]);
    hash.update(key.as_bytes());
    let wide = u128::from(hash.digest()) * 100;
    1 + (wide >> 64) as i64
}

/// What the player sees of the current scene.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub scene: SceneId,
    pub title: String,
    pub chapter: String,
    pub paragraphs: Vec<String>,
    pub choices: Vec<ChoiceView>,
    pub ending: Option<EndingId>,
}

/// What the prompt shows of a scene, in buffers reused from one scene to
/// the next (`State::show`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Screen {
    scene: SceneId,
    /// The paragraphs, separated by `story::PARAGRAPH_BREAK`.
    text: String,
    /// Every open choice's label, one after another.
    labels: String,
    choices: Vec<Shown>,
}

#[derive(Debug, Clone, PartialEq)]
struct Shown {
    id: ChoiceId,
    /// Where its label is in `Screen::labels`.
    label: (usize, usize),
    chance: Option<i64>,
}

impl Screen {
    pub fn scene(&self) -> SceneId {
        self.scene
    }

    /// The scene's text, its paragraphs separated by
    /// `story::PARAGRAPH_BREAK`.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn paragraphs(&self) -> impl Iterator<Item = &str> {
        crate::story::split_paragraphs(&self.text)
    }

    /// The open choices: each one's id, label and chance of success (a
    /// random check's), in the order shown.
    pub fn choices(&self) -> impl ExactSizeIterator<Item = (ChoiceId, &str, Option<i64>)> {
        self.choices
            .iter()
            .map(|c| (c.id, &self.labels[c.label.0..c.label.1], c.chance))
    }

    /// The `n`th open choice, as `choices` lists them.
    pub fn choice(&self, n: usize) -> Option<ChoiceId> {
        self.choices.get(n).map(|c| c.id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceView {
    pub id: ChoiceId,
    pub key: String,
    pub text: String,
    /// The chance of success in percent, for a random check.
    pub chance: Option<i64>,
}

/// How a random check is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollMode {
    /// Roll by the game's dice rule.
    Random,
    /// Force the outcome (plans, the explorer); no number is drawn.
    Force(bool),
    /// Roll as usual, but take the recorded outcome: replaying a saved log
    /// keeps a [`Dice::Stream`] game's stream in step even if the story's
    /// chances changed.
    Recorded(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roll {
    pub chance: i64,
    /// 1 to 100, or `None` when the outcome was forced.
    pub roll: Option<i64>,
    pub success: bool,
}

/// What a choice did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub choice: ChoiceId,
    /// Narration, in the order it happened (branch text, `Say` effects).
    pub said: Vec<String>,
    pub roll: Option<Roll>,
    pub deaths: Vec<CrewId>,
    pub scene: SceneId,
    pub ending: Option<EndingId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChooseError {
    /// The game is at an ending: nothing more to choose.
    Ended,
    /// The choice is not one of the current scene's visible choices.
    NotAvailable,
}

impl std::fmt::Display for ChooseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChooseError::Ended => f.write_str("the story has ended"),
            ChooseError::NotAvailable => f.write_str("that choice is not available here"),
        }
    }
}

impl State {
    /// A new game at the story's start, with the start scene entered.
    pub fn new(story: &Story, seed: u64) -> State {
        State::at(story, seed, story.start)
    }

    /// A new game entering `scene` (authors test from any scene).
    pub fn at(story: &Story, seed: u64, scene: SceneId) -> State {
        let mut items = BitSet::with_len(story.items.len());
        for i in &story.inventory {
            items.set(i.index(), true);
        }
        let mut state = State {
            scene,
            vars: story.variables.iter().map(|v| v.initial).collect(),
            flags: BitSet::with_len(story.flags.len()),
            items,
            dead: BitSet::with_len(story.crew.len()),
            visits: Visits::default(),
            used: Taken::default(),
            stack: Vec::new(),
            turn: 0,
            seed,
            dice: Dice::Position,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        };
        let mut sink = Sink::default();
        state.enter(story, scene, &mut sink);
        state
    }

    /// Starts a new game at the story's start in this state, as
    /// `State::new` would, keeping its allocations: random playthroughs play
    /// game after game.
    pub fn restart(&mut self, story: &Story, seed: u64) {
        self.vars.clear();
        self.vars.extend(story.variables.iter().map(|v| v.initial));
        self.flags.clear(story.flags.len());
        self.items.clear(story.items.len());
        for i in &story.inventory {
            self.items.set(i.index(), true);
        }
        self.dead.clear(story.crew.len());
        self.visits.clear();
        self.used.clear();
        self.stack.clear();
        self.turn = 0;
        self.seed = seed;
        self.dice = Dice::Position;
        self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        self.enter(story, story.start, &mut Sink::default());
    }

    pub fn ending(&self, story: &Story) -> Option<EndingId> {
        story.scene(self.scene).ending
    }

    pub fn var(&self, v: crate::story::VarId) -> i64 {
        self.vars[v.index()]
    }

    pub fn flag(&self, f: FlagId) -> bool {
        self.flags.get(f.index())
    }

    pub fn has(&self, i: ItemId) -> bool {
        self.items.get(i.index())
    }

    pub fn alive(&self, c: CrewId) -> bool {
        !self.dead.get(c.index())
    }

    /// Sets a variable, clamped to its bounds.
    pub fn set_var(&mut self, story: &Story, v: crate::story::VarId, value: i64) {
        let decl = &story.variables[v.index()];
        self.vars[v.index()] = value.clamp(decl.min, decl.max);
    }

    // The story is part of the signature so that conditions may come to
    // need it (named constants, say) without changing every caller.
    #[allow(clippy::only_used_in_recursion)]
    pub fn holds(&self, story: &Story, cond: &Condition) -> bool {
        match cond {
            Condition::True => true,
            Condition::False => false,
            Condition::Flag(f) => self.flag(*f),
            Condition::Has(i) => self.has(*i),
            Condition::Alive(c) => self.alive(*c),
            Condition::Cmp(a, op, b) => op.holds(self.operand(*a), self.operand(*b)),
            Condition::Not(c) => !self.holds(story, c),
            Condition::All(cs) => cs.iter().all(|c| self.holds(story, c)),
            Condition::Any(cs) => cs.iter().any(|c| self.holds(story, c)),
        }
    }

    fn operand(&self, o: Operand) -> i64 {
        match o {
            Operand::Const(n) => n,
            Operand::Var(v) => self.var(v),
            Operand::Visits(s) => i64::from(self.visits.get(s)),
        }
    }

    /// Whether a choice of the current scene is shown now.
    pub fn is_visible(&self, story: &Story, id: ChoiceId) -> bool {
        story.choice(id).scene == self.scene && self.is_open(story, id)
    }

    /// Whether a choice, known to be one of the current scene's, is shown
    /// now: not a `once` choice already taken, its condition holds, and
    /// for a `return` a tunnel was entered (for a tunnel, the stack has
    /// room: it has none only in a game carried over from an edited story).
    pub(crate) fn is_open(&self, story: &Story, id: ChoiceId) -> bool {
        let choice = story.choice(id);
        let way = match &choice.action {
            Action::Return(_) => !self.stack.is_empty(),
            Action::Tunnel { .. } => self.stack.len() < MAX_TUNNEL_DEPTH,
            Action::Goto(_) | Action::Check(_) => true,
        };
        way && !(choice.once && self.used.get(id))
            && choice.when.as_ref().is_none_or(|c| self.holds(story, c))
    }

    /// The visible choices of the current scene, in order.
    pub fn choices<'s>(&'s self, story: &'s Story) -> impl Iterator<Item = ChoiceId> + 's {
        // The scene's own choices: only whether each is open is in question.
        story
            .scene(self.scene)
            .choices
            .iter()
            .copied()
            .filter(move |&c| self.is_open(story, c))
    }

    /// The chance of a check's success now, clamped to 0..=100.
    pub fn chance(&self, story: &Story, check: &crate::story::Check) -> i64 {
        let mut chance = check.chance;
        for a in &check.adjust {
            chance = chance.saturating_add(match a {
                Adjust::Per(v, n) => self.var(*v).saturating_mul(*n),
                Adjust::When(c, n) => {
                    if self.holds(story, c) {
                        *n
                    } else {
                        0
                    }
                }
            });
        }
        chance.clamp(0, 100)
    }

    /// A text rendered raw (a `Say`, an export): its literals as written
    /// and its numbers, with no layout.
    pub fn render(&self, story: &Story, text: &Text) -> String {
        let mut out = String::new();
        self.rendered(story, &text.segments, &mut |piece| match piece {
            Piece::Literal(l) => out.push_str(l),
            Piece::Number(n) => out.push_str(&n.to_string()),
            Piece::Assume(_) => {}
        });
        out
    }

    /// Calls `f` on each `{assume}` of `text` that rendering it in this
    /// state passes through: inside the `{if}` parts that hold and the
    /// variation items picked, as `render` would show them.
    pub fn rendered_assumptions<'t>(
        &self,
        story: &Story,
        text: &'t Text,
        f: &mut dyn FnMut(&'t Assumption),
    ) {
        self.rendered(story, &text.segments, &mut |piece| {
            if let Piece::Assume(a) = piece {
                f(a);
            }
        });
    }

    /// Lays out a text as the prompt shows it, into `layout`: nothing is
    /// allocated but what the buffer behind it grows by.
    pub fn lay_out(&self, story: &Story, segments: &[Segment], layout: &mut Layout<'_>) {
        self.rendered(story, segments, &mut |piece| match piece {
            Piece::Literal(l) => layout.literal(l),
            Piece::Number(n) => layout.number(n),
            Piece::Assume(_) => {}
        });
    }

    /// The one walk of a text in this state, which `render`, `lay_out` and
    /// `rendered_assumptions` share: each piece it shows, in order, through
    /// the `{if}` parts that hold and the variation items picked (tags
    /// show nothing and are skipped).
    fn rendered<'t>(&self, story: &Story, segments: &'t [Segment], f: &mut impl FnMut(Piece<'t>)) {
        for s in segments {
            match s {
                Segment::Literal(l) => f(Piece::Literal(l)),
                Segment::Var(v) => f(Piece::Number(self.var(*v))),
                Segment::Assume(a) => f(Piece::Assume(a)),
                Segment::If(b) => {
                    let (c, then, otherwise) = &**b;
                    let part = if self.holds(story, c) {
                        then
                    } else {
                        otherwise
                    };
                    self.rendered(story, part, f);
                }
                Segment::Vary(v) => {
                    let n = self.visits.get(v.scene);
                    if let Some(item) = v.pick(n, self.seed, &story.scene(v.scene).id) {
                        self.rendered(story, item, f);
                    }
                }
                Segment::Tag(_) => {}
            }
        }
    }

    /// What the prompt shows of the current scene (its paragraphs, and the
    /// label and chance of every open choice), written into `screen`'s
    /// buffers: once they have grown to a scene's size, showing the next
    /// allocates nothing. Titles and keys are the story's own
    /// (`story.scene(screen.scene())`).
    pub fn show(&self, story: &Story, screen: &mut Screen) {
        screen.scene = self.scene;
        screen.text.clear();
        screen.labels.clear();
        screen.choices.clear();
        let scene = story.scene(self.scene);
        // Every literal of the text and every choice asked of memory at
        // once: on a story larger than the caches each is a miss, and
        // these let them overlap rather than wait one after another.
        for s in &scene.text.segments {
            if let Segment::Literal(l) = s {
                prefetch(l.as_ptr());
            }
        }
        for &c in &scene.choices {
            prefetch(story.choice(c));
        }
        self.lay_out(
            story,
            &scene.text.segments,
            &mut Layout::paragraphs(&mut screen.text),
        );
        for id in self.choices(story) {
            let c = story.choice(id);
            let start = screen.labels.len();
            self.lay_out(
                story,
                &c.text.segments,
                &mut Layout::line(&mut screen.labels),
            );
            screen.choices.push(Shown {
                id,
                label: (start, screen.labels.len()),
                chance: match &c.action {
                    Action::Check(check) => Some(self.chance(story, check)),
                    Action::Goto(_) | Action::Tunnel { .. } | Action::Return(_) => None,
                },
            });
        }
    }

    /// The current scene as the player sees it, owned: what `show` writes.
    pub fn view(&self, story: &Story) -> View {
        let mut screen = Screen::default();
        self.show(story, &mut screen);
        let scene = story.scene(self.scene);
        View {
            scene: self.scene,
            title: scene.title.clone(),
            chapter: story.chapters[scene.chapter.index()].title.clone(),
            paragraphs: screen.paragraphs().map(String::from).collect(),
            choices: screen
                .choices()
                .map(|(id, label, chance)| ChoiceView {
                    id,
                    key: story.choice(id).key.clone(),
                    text: label.to_string(),
                    chance,
                })
                .collect(),
            ending: scene.ending,
        }
    }

    /// Takes a visible choice of the current scene.
    pub fn choose(
        &mut self,
        story: &Story,
        id: ChoiceId,
        mode: RollMode,
    ) -> Result<Outcome, ChooseError> {
        let mut sink = Sink {
            said: Some(Vec::new()),
            deaths: Vec::new(),
        };
        let roll = self.step(story, id, mode, &mut sink)?;
        Ok(Outcome {
            choice: id,
            said: sink.said.unwrap_or_default(),
            roll,
            deaths: sink.deaths,
            scene: self.scene,
            ending: self.ending(story),
        })
    }

    /// `choose` without rendering narration: the explorer's fast path.
    pub fn advance(
        &mut self,
        story: &Story,
        id: ChoiceId,
        mode: RollMode,
    ) -> Result<Option<Roll>, ChooseError> {
        self.step(story, id, mode, &mut Sink::default())
    }

    fn step(
        &mut self,
        story: &Story,
        id: ChoiceId,
        mode: RollMode,
        sink: &mut Sink,
    ) -> Result<Option<Roll>, ChooseError> {
        if self.ending(story).is_some() {
            return Err(ChooseError::Ended);
        }
        if id.index() >= story.choices.len() || !self.is_visible(story, id) {
            return Err(ChooseError::NotAvailable);
        }
        let choice = story.choice(id);
        self.turn = self.turn.saturating_add(1);
        if choice.once {
            self.used.set(id, true);
        }
        self.apply(story, &choice.effects, sink);
        let (target, roll) = match &choice.action {
            Action::Goto(target) => (*target, None),
            Action::Tunnel { into, back } => {
                self.stack.push(*back);
                (*into, None)
            }
            // Open only with a tunnel entered (`is_open`).
            Action::Return(_) => (self.stack.pop().unwrap_or(self.scene), None),
            Action::Check(check) => {
                let chance = self.chance(story, check);
                let (roll, success) = match mode {
                    RollMode::Random => {
                        let r = self.roll(story, id);
                        (Some(r), r <= chance)
                    }
                    RollMode::Force(success) => (None, success),
                    RollMode::Recorded(success) => (Some(self.roll(story, id)), success),
                };
                let branch = if success {
                    &check.success
                } else {
                    &check.failure
                };
                if let Some(text) = &branch.text {
                    sink.say(self, story, text);
                }
                self.apply(story, &branch.effects, sink);
                (
                    branch.goto,
                    Some(Roll {
                        chance,
                        roll,
                        success,
                    }),
                )
            }
        };
        self.enter(story, target, sink);
        Ok(roll)
    }

    /// The roll of choice `id`'s check, by the game's dice rule. Called once
    /// the turn has counted this step.
    fn roll(&mut self, story: &Story, id: ChoiceId) -> i64 {
        match self.dice {
            Dice::Position => {
                let choice = story.choice(id);
                position_roll(
                    self.seed,
                    self.turn,
                    &story.scene(choice.scene).id,
                    &choice.key,
                )
            }
            Dice::Stream => self.rng.random_range(1..=100i64),
        }
    }

    fn enter(&mut self, story: &Story, scene: SceneId, sink: &mut Sink) {
        self.scene = scene;
        let entered = story.scene(scene);
        // What the next look at the scene reads (its choices, its text),
        // asked for while the visit is counted and the effects applied.
        prefetch(entered.text.segments.as_ptr());
        for &c in &entered.choices {
            prefetch(story.choice(c));
        }
        self.visits.bump(scene);
        self.apply(story, &entered.on_enter, sink);
    }

    fn apply(&mut self, story: &Story, effects: &[Effect], sink: &mut Sink) {
        for e in effects {
            match e {
                Effect::SetFlag(f) => self.flags.set(f.index(), true),
                Effect::ClearFlag(f) => self.flags.set(f.index(), false),
                Effect::Add(v, n) => self.set_var(story, *v, self.var(*v).saturating_add(*n)),
                Effect::SetVar(v, n) => self.set_var(story, *v, *n),
                Effect::Give(i) => self.items.set(i.index(), true),
                Effect::Take(i) => self.items.set(i.index(), false),
                Effect::Kill(c) => {
                    if self.alive(*c) {
                        self.dead.set(c.index(), true);
                        sink.deaths.push(*c);
                    }
                }
                Effect::Say(text) => sink.say(self, story, text),
            }
        }
    }
}

/// Where narration goes while a choice is applied; `said: None` skips rendering.
#[derive(Default)]
struct Sink {
    said: Option<Vec<String>>,
    deaths: Vec<CrewId>,
}

impl Sink {
    fn say(&mut self, state: &State, story: &Story, text: &Text) {
        if let Some(said) = &mut self.said {
            said.extend(crate::story::text::paragraphs(&state.render(story, text)));
        }
    }
}

/// Asks for the cache line at `p` ahead of its use. Only a hint: nothing is
/// read, and on other machines it does nothing. (The explorer's table uses
/// it too.)
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and may name any address; SSE, which
    // it needs, is part of every x86-64.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// One piece of a text as a state renders it.
enum Piece<'t> {
    Literal(&'t Lit),
    Number(i64),
    Assume(&'t Assumption),
}
