//! The pure engine: a game state, what it shows, and what a choice does.
//!
//! No I/O and no terminal here. The prompt, replay, the explorer and the
//! tests all drive the same two functions: `view` and `choose`.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::story::{
    Action, Adjust, ChoiceId, Condition, CrewId, Effect, EndingId, FlagId, ItemId, Operand,
    SceneId, Segment, Story, Text,
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

/// Everything that changes as the game is played.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub scene: SceneId,
    pub vars: Vec<i64>,
    pub flags: BitSet,
    pub items: BitSet,
    pub dead: BitSet,
    pub visits: Vec<u32>,
    /// `once` choices already taken.
    pub used: BitSet,
    /// Choices taken so far.
    pub turn: u32,
    /// The seed the game started from (kept for saves and replays).
    pub seed: u64,
    pub rng: Xoshiro256PlusPlus,
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
    /// Draw from the game's RNG.
    Random,
    /// Force the outcome (plans, the explorer); no number is drawn.
    Force(bool),
    /// Draw a number as usual, but take the recorded outcome: replaying a
    /// saved log keeps the RNG in step even if the story's chances changed.
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
            visits: vec![0; story.scenes.len()],
            used: BitSet::with_len(story.choices.len()),
            turn: 0,
            seed,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        };
        let mut sink = Sink::default();
        state.enter(story, scene, &mut sink);
        state
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
            Operand::Visits(s) => i64::from(self.visits[s.index()]),
        }
    }

    /// Whether a choice of the current scene is shown now.
    pub fn is_visible(&self, story: &Story, id: ChoiceId) -> bool {
        story.choice(id).scene == self.scene && self.is_open(story, id)
    }

    /// Whether a choice, known to be one of the current scene's, is shown
    /// now: not a `once` choice already taken, and its condition holds.
    fn is_open(&self, story: &Story, id: ChoiceId) -> bool {
        let choice = story.choice(id);
        !(choice.once && self.used.get(id.index()))
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

    pub fn render(&self, story: &Story, text: &Text) -> String {
        let mut out = String::new();
        self.render_into(story, &text.segments, &mut out);
        out
    }

    fn render_into(&self, story: &Story, segments: &[Segment], out: &mut String) {
        for s in segments {
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::Var(v) => out.push_str(&self.var(*v).to_string()),
                Segment::If(c, then, otherwise) => {
                    let part = if self.holds(story, c) {
                        then
                    } else {
                        otherwise
                    };
                    self.render_into(story, part, out);
                }
            }
        }
    }

    /// The current scene as the player sees it.
    pub fn view(&self, story: &Story) -> View {
        let scene = story.scene(self.scene);
        let choices = self
            .choices(story)
            .map(|id| {
                let c = story.choice(id);
                ChoiceView {
                    id,
                    key: c.key.clone(),
                    text: crate::text::paragraphs(&self.render(story, &c.text)).join(" "),
                    chance: match &c.action {
                        Action::Check(check) => Some(self.chance(story, check)),
                        Action::Goto(_) => None,
                    },
                }
            })
            .collect();
        View {
            scene: self.scene,
            title: scene.title.clone(),
            chapter: story.chapters[scene.chapter.index()].title.clone(),
            paragraphs: crate::text::paragraphs(&self.render(story, &scene.text)),
            choices,
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
            self.used.set(id.index(), true);
        }
        self.apply(story, &choice.effects, sink);
        let (target, roll) = match &choice.action {
            Action::Goto(target) => (*target, None),
            Action::Check(check) => {
                let chance = self.chance(story, check);
                let (roll, success) = match mode {
                    RollMode::Random => {
                        let r = self.rng.random_range(1..=100i64);
                        (Some(r), r <= chance)
                    }
                    RollMode::Force(success) => (None, success),
                    RollMode::Recorded(success) => {
                        (Some(self.rng.random_range(1..=100i64)), success)
                    }
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

    fn enter(&mut self, story: &Story, scene: SceneId, sink: &mut Sink) {
        self.scene = scene;
        let v = &mut self.visits[scene.index()];
        *v = v.saturating_add(1);
        self.apply(story, &story.scene(scene).on_enter, sink);
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

/// One state played game after game, as random playthroughs play:
/// `reset` starts a new game equal to `State::new`, but zeroes only the visit
/// counts and `once` choices that the last game touched, so that a new game
/// costs what the last one did, not the size of the story.
///
/// The state is lent out only to read (`Deref`); it changes only through
/// `advance`, which notes what it touches: that keeps the bookkeeping sound.
#[derive(Debug, Clone)]
pub struct Playthrough {
    state: State,
    /// The scenes with a visit count above zero.
    entered: Vec<SceneId>,
    /// The `once` choices taken.
    taken: Vec<ChoiceId>,
}

impl Playthrough {
    /// A game at the story's start, as `State::new`.
    pub fn new(story: &Story, seed: u64) -> Playthrough {
        let state = State::new(story, seed);
        Playthrough {
            entered: vec![state.scene],
            taken: Vec::new(),
            state,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Starts a new game at the story's start: the state becomes equal to
    /// `State::new(story, seed)`, reusing its allocations.
    pub fn reset(&mut self, story: &Story, seed: u64) {
        let s = &mut self.state;
        if s.visits.len() == story.scenes.len() {
            for scene in self.entered.drain(..) {
                s.visits[scene.index()] = 0;
            }
        } else {
            s.visits.clear();
            s.visits.resize(story.scenes.len(), 0);
            self.entered.clear();
        }
        if s.used.0.len() == story.choices.len().div_ceil(64) {
            for choice in self.taken.drain(..) {
                s.used.set(choice.index(), false);
            }
        } else {
            s.used.clear(story.choices.len());
            self.taken.clear();
        }
        s.vars.clear();
        s.vars.extend(story.variables.iter().map(|v| v.initial));
        s.flags.clear(story.flags.len());
        s.items.clear(story.items.len());
        for i in &story.inventory {
            s.items.set(i.index(), true);
        }
        s.dead.clear(story.crew.len());
        s.turn = 0;
        s.seed = seed;
        s.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        s.enter(story, story.start, &mut Sink::default());
        self.entered.push(story.start);
    }

    /// `State::advance`, noting the scene entered and the `once` choice
    /// taken.
    pub fn advance(
        &mut self,
        story: &Story,
        id: ChoiceId,
        mode: RollMode,
    ) -> Result<Option<Roll>, ChooseError> {
        let roll = self.state.advance(story, id, mode)?;
        // A choice that was refused changed nothing; one that was taken
        // entered exactly one scene.
        if story.choice(id).once {
            self.taken.push(id);
        }
        let scene = self.state.scene;
        if self.state.visits[scene.index()] == 1 {
            self.entered.push(scene);
        }
        Ok(roll)
    }
}

impl std::ops::Deref for Playthrough {
    type Target = State;

    fn deref(&self) -> &State {
        &self.state
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
            said.extend(crate::text::paragraphs(&state.render(story, text)));
        }
    }
}
