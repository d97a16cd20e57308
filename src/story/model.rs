//! The compiled story: every id an index, every reference resolved.
//!
//! A `SceneId` (or any other id here) that exists is a proof that the thing
//! exists: `compile` only builds a `Story` when every reference resolved.
//!
//! What the story reads and writes is said here once, next to the types:
//! `reads` on conditions, texts, adjustments and checks, `writes` on
//! effects, and one visitor (`Story::sites`) over every place in a story
//! where something is read, written or shown. Every analysis (the lints,
//! the statistics, the explorer) asks them instead of walking the story.

use std::hash::BuildHasher;

use serde::{Deserialize, Serialize};

use crate::story::source::{Sources, Span};

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
        )]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type!(
    SceneId, ChoiceId, VarId, FlagId, ItemId, CrewId, EndingId, ChapterId
);

#[derive(Debug, Clone)]
pub struct Story {
    pub title: String,
    pub author: Option<String>,
    pub start: SceneId,
    pub variables: Vec<Variable>,
    pub flags: Vec<Named>,
    pub items: Vec<Item>,
    pub crew: Vec<Crew>,
    pub inventory: Vec<ItemId>,
    pub chapters: Vec<Chapter>,
    pub scenes: Vec<Scene>,
    pub choices: Vec<Choice>,
    pub endings: Vec<Ending>,
    /// What must hold in every reachable state (`invariants` of
    /// `story.ron`), or in every state of a chapter (a chapter's), in the
    /// order written: the story's first, then each chapter's.
    pub invariants: Vec<Invariant>,
    /// How deep tunnels can nest, from any scene with none entered: at
    /// most `MAX_TUNNEL_DEPTH` (deeper is error E051), 0 without tunnels.
    pub tunnel_depth: usize,
    /// A hash of the story's source files, hex encoded: saves record it to
    /// notice that the story changed since they were written.
    pub fingerprint: String,
    pub sources: Sources,
    /// Each list's ids to their indices, built once when the story
    /// compiles: `scene_by_id` and the like cost a hash, not a scan.
    pub lookup: Lookup,
}

/// The ids of a story's lists (scenes, variables, flags, items, crew,
/// endings) hashed to their indices. The tables hold only 4-byte indices
/// (the ids stay in the lists), so the index costs about 5 bytes a name;
/// scenes, looked up most, also keep their ids packed end to end beside
/// it (their length again, and a word a scene). Where ids repeat, the
/// first wins.
#[derive(Clone, Default)]
pub struct Lookup {
    hasher: foldhash::fast::RandomState,
    scenes: hashbrown::HashTable<u32>,
    variables: hashbrown::HashTable<u32>,
    flags: hashbrown::HashTable<u32>,
    items: hashbrown::HashTable<u32>,
    crew: hashbrown::HashTable<u32>,
    endings: hashbrown::HashTable<u32>,
    /// The scenes' ids once more, end to end (the i-th ends at
    /// `scene_ends[i]`), so that looking a scene up compares bytes packed
    /// together instead of reaching into its `Scene`: restoring a snapshot
    /// looks up one name per scene visited, a thousand at 100,000 scenes.
    scene_ids: String,
    scene_ends: Vec<usize>,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup")
            .field("scenes", &self.scenes.len())
            .finish_non_exhaustive()
    }
}

impl Lookup {
    /// The index of every list of `story` (its own `lookup` aside).
    pub fn of(story: &Story) -> Lookup {
        let hasher = foldhash::fast::RandomState::default();
        let table = |ids: &mut dyn Iterator<Item = &str>| {
            let ids: Vec<&str> = ids.collect();
            let mut table = hashbrown::HashTable::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                let hash = hasher.hash_one(id);
                if table
                    .find(hash, |&j: &u32| ids[j as usize] == *id)
                    .is_none()
                {
                    table.insert_unique(hash, i as u32, |&j| hasher.hash_one(ids[j as usize]));
                }
            }
            table
        };
        let mut scene_ids = String::new();
        let mut scene_ends = Vec::with_capacity(story.scenes.len());
        for scene in &story.scenes {
            scene_ids.push_str(&scene.id);
            scene_ends.push(scene_ids.len());
        }
        Lookup {
            scene_ids,
            scene_ends,
            scenes: table(&mut story.scenes.iter().map(|x| x.id.as_str())),
            variables: table(&mut story.variables.iter().map(|x| x.id.as_str())),
            flags: table(&mut story.flags.iter().map(|x| x.id.as_str())),
            items: table(&mut story.items.iter().map(|x| x.id.as_str())),
            crew: table(&mut story.crew.iter().map(|x| x.id.as_str())),
            endings: table(&mut story.endings.iter().map(|x| x.id.as_str())),
            hasher,
        }
    }

    fn find<T>(
        &self,
        table: &hashbrown::HashTable<u32>,
        list: &[T],
        id_of: impl Fn(&T) -> &str,
        id: &str,
    ) -> Option<u32> {
        table
            .find(self.hasher.hash_one(id), |&i| {
                id_of(&list[i as usize]) == id
            })
            .copied()
    }

    /// The index of the scene `id`, compared in `scene_ids`.
    fn scene(&self, id: &str) -> Option<u32> {
        self.scenes
            .find(self.hasher.hash_one(id), |&i| {
                let i = i as usize;
                let start = if i == 0 { 0 } else { self.scene_ends[i - 1] };
                self.scene_ids.get(start..self.scene_ends[i]) == Some(id)
            })
            .copied()
    }
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub id: String,
    pub name: String,
    pub initial: i64,
    pub min: i64,
    pub max: i64,
    pub hidden: bool,
    pub span: Span,
}

/// A flag: only a name.
#[derive(Debug, Clone)]
pub struct Named {
    pub id: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub name: String,
    /// When the player knows of it (`met`): `status` and `inventory` list
    /// it only while it holds, and only while it is carried. `None`:
    /// known whenever carried.
    pub met: Option<Met>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Crew {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    /// When the player has met them (`met`): `status` lists them only while
    /// it holds. `None`: known from the start.
    pub met: Option<Met>,
    pub span: Span,
}

/// A declaration's `met`: the condition, and where it is written.
#[derive(Debug, Clone)]
pub struct Met {
    pub when: Condition,
    pub span: Span,
}

/// A condition an author states, with where it is written: an invariant,
/// a scene's `assume`, a paragraph's `{assume}`. The explorer checks it
/// and reports a violation at `span`, the condition's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumption {
    pub when: Condition,
    pub span: Span,
}

/// An invariant: a condition that holds in every reachable state of its
/// scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Invariant {
    pub rule: Assumption,
    pub scope: Scope,
}

/// Where an invariant must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In every reachable state (`story.ron`).
    Story,
    /// In every state whose scene is in this chapter (a chapter's file).
    Chapter(ChapterId),
}

impl Invariant {
    /// Whether the invariant must hold in a state at this scene.
    pub fn covers(&self, story: &Story, scene: SceneId) -> bool {
        match self.scope {
            Scope::Story => true,
            Scope::Chapter(c) => story.scene(scene).chapter == c,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Chapter {
    pub title: String,
    pub file: crate::story::source::FileId,
}

#[derive(Debug, Clone)]
pub struct Scene {
    pub id: String,
    pub title: String,
    pub chapter: ChapterId,
    pub text: Text,
    pub on_enter: Vec<Effect>,
    pub choices: Vec<ChoiceId>,
    pub ending: Option<EndingId>,
    /// Whether the status bar shows in this scene.
    pub status: bool,
    /// Free strings for the tools (`callister export`): never shown.
    pub tags: Vec<String>,
    /// What the scene's text assumes whenever it is shown (`assume`).
    pub assume: Option<Assumption>,
    pub span: Span,
}

impl Scene {
    /// Whether the scene assumes anything: an `assume`, or an `{assume}`
    /// in its text.
    pub fn assumes(&self) -> bool {
        self.assume.is_some() || self.text.assumes()
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub scene: SceneId,
    pub key: String,
    pub text: Text,
    pub when: Option<Condition>,
    pub effects: Vec<Effect>,
    pub once: bool,
    pub action: Action,
    /// Free strings for the tools (`callister export`): never shown.
    pub tags: Vec<String>,
    pub span: Span,
}

/// One way a choice leads: its branch's effects and the scene it enters.
type Lead<'s> = (&'s [Effect], SceneId);

/// How deep tunnels may nest: a tunnel entered inside this many others is
/// error E051, and at this depth the engine offers no tunnel.
pub const MAX_TUNNEL_DEPTH: usize = 16;

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Action {
    Goto(SceneId),
    Check(Box<Check>),
    /// `tunnel: "shop"`: enters `into` and remembers `back` (the choice's
    /// `goto`, else its own scene), where a `return` in the tunnel comes
    /// back to.
    Tunnel {
        into: SceneId,
        back: SceneId,
    },
    /// `return: true`: back to the scene the innermost tunnel remembered.
    /// Open only inside a tunnel.
    Return(Returns),
}

/// Where a `return` can lead, by the graph: the `back` of every tunnel
/// whose scenes reach the return's scene without returning first (sorted).
/// The engine does not read it (it returns where the state's stack says);
/// the analyses do, through `Story::outcomes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Returns {
    pub to: Vec<SceneId>,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub chance: i64,
    pub adjust: Vec<Adjust>,
    pub success: Branch,
    pub failure: Branch,
}

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Adjust {
    Per(VarId, i64),
    When(Condition, i64),
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub text: Option<Text>,
    pub effects: Vec<Effect>,
    pub goto: SceneId,
}

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Effect {
    SetFlag(FlagId),
    ClearFlag(FlagId),
    Add(VarId, i64),
    SetVar(VarId, i64),
    Give(ItemId),
    Take(ItemId),
    Kill(CrewId),
    Say(Text),
}

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Condition {
    True,
    False,
    Flag(FlagId),
    Has(ItemId),
    Alive(CrewId),
    Cmp(Operand, CmpOp, Operand),
    Not(Box<Condition>),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operand {
    Const(i64),
    Var(VarId),
    Visits(SceneId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn holds(self, a: i64, b: i64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }

    /// The operator with its sides swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

/// Text with markup, parsed once at compile time.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub segments: Vec<Segment>,
}

/// A piece of text. Kept small: a story holds a great many, and most are
/// literals.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Segment {
    Literal(Lit),
    Var(VarId),
    /// `{if c}then{else}otherwise{end}`; an `{elif}` is an `If` alone in
    /// the `otherwise` of the one before.
    If(Box<(Condition, Vec<Segment>, Vec<Segment>)>),
    /// `{seq: a | b}` and the other variations, `{first}..{end}`.
    Vary(Box<Variation>),
    /// `{#voice:x}`: a tag of the line it is written in; shows nothing.
    Tag(Box<str>),
    /// `{assume COND}` at the start of a paragraph: the paragraph assumes
    /// `COND` whenever it is rendered. Shows nothing. Only in a scene's
    /// text, never inside a `{cycle:}` or a `{shuffle:}`.
    Assume(Box<Assumption>),
}

/// A variation: one item shown, picked by how many times `scene` (the
/// scene whose text, choice or effect it is) has been entered, `n`: 1 on
/// the first visit.
#[derive(Debug, Clone)]
pub struct Variation {
    pub kind: VaryKind,
    pub scene: SceneId,
    /// Tells the shuffles of one scene apart: its order among them.
    pub salt: u32,
    pub items: Vec<Vec<Segment>>,
}

pub use crate::story::text::{Lit, VaryKind};

impl Variation {
    /// The item shown on visit `n` (0 is taken as 1) in a game of `seed`;
    /// `None` for a `once` past its items. `scene` is the scene's id, which
    /// a shuffle's draw hashes: a pure function of the seed, the scene, the
    /// visit and the salt (xxh3), so undo, replay and saves show the same.
    pub fn pick(&self, n: u32, seed: u64, scene: &str) -> Option<&[Segment]> {
        let len = self.items.len();
        let i = n.max(1) as usize - 1;
        let index = match self.kind {
            VaryKind::Sequence => i.min(len.saturating_sub(1)),
            VaryKind::Cycle => i % len.max(1),
            VaryKind::Once => i,
            VaryKind::Shuffle => {
                let mut h = xxhash_rust::xxh3::Xxh3::with_seed(seed);
                h.update(scene.as_bytes());
                h.update(&[0xFF]);
                h.update(&n.max(1).to_le_bytes());
                h.update(&self.salt.to_le_bytes());
                ((u128::from(h.digest()) * len as u128) >> 64) as usize
            }
        };
        self.items.get(index).map(Vec::as_slice)
    }
}

#[derive(Debug, Clone)]
pub struct Ending {
    pub id: String,
    pub title: String,
    pub kind: EndingKind,
    pub scene: SceneId,
    /// A nudge towards it, for `endings` while it is unfound.
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EndingKind {
    Good,
    Bittersweet,
    Bad,
}

impl EndingKind {
    pub fn label(self) -> &'static str {
        match self {
            EndingKind::Good => "good",
            EndingKind::Bittersweet => "bittersweet",
            EndingKind::Bad => "bad",
        }
    }
}

impl Story {
    /// The story with its `lookup` built.
    pub(crate) fn indexed(mut story: Story) -> Story {
        story.lookup = Lookup::of(&story);
        story
    }

    pub fn scene(&self, id: SceneId) -> &Scene {
        &self.scenes[id.index()]
    }

    pub fn choice(&self, id: ChoiceId) -> &Choice {
        &self.choices[id.index()]
    }

    pub fn ending(&self, id: EndingId) -> &Ending {
        &self.endings[id.index()]
    }

    pub fn scene_by_id(&self, id: &str) -> Option<SceneId> {
        self.lookup.scene(id).map(SceneId)
    }

    pub fn var_by_id(&self, id: &str) -> Option<VarId> {
        self.lookup
            .find(
                &self.lookup.variables,
                &self.variables,
                |x| x.id.as_str(),
                id,
            )
            .map(VarId)
    }

    pub fn flag_by_id(&self, id: &str) -> Option<FlagId> {
        self.lookup
            .find(&self.lookup.flags, &self.flags, |x| x.id.as_str(), id)
            .map(FlagId)
    }

    pub fn item_by_id(&self, id: &str) -> Option<ItemId> {
        self.lookup
            .find(&self.lookup.items, &self.items, |x| x.id.as_str(), id)
            .map(ItemId)
    }

    pub fn crew_by_id(&self, id: &str) -> Option<CrewId> {
        self.lookup
            .find(&self.lookup.crew, &self.crew, |x| x.id.as_str(), id)
            .map(CrewId)
    }

    pub fn ending_by_id(&self, id: &str) -> Option<EndingId> {
        self.lookup
            .find(&self.lookup.endings, &self.endings, |x| x.id.as_str(), id)
            .map(EndingId)
    }

    /// The choice of `scene` with this key, if any.
    pub fn choice_by_key(&self, scene: SceneId, key: &str) -> Option<ChoiceId> {
        self.scene(scene)
            .choices
            .iter()
            .copied()
            .find(|&c| self.choice(c).key == key)
    }

    /// Every target a choice can lead to (one, two for a check, the scenes
    /// a `return` can come back to).
    pub fn targets(&self, choice: ChoiceId) -> impl Iterator<Item = SceneId> + '_ {
        // The targets alone, as `outcomes` finds them, without reading the
        // scenes they lead to (a graph walk of a large story would miss the
        // cache on each).
        let (a, b, returns) = self.leads(choice);
        a.map(|(_, t)| t)
            .into_iter()
            .chain(b.map(|(_, t)| t))
            .chain(returns.iter().copied())
    }

    /// Where a choice can lead, as `outcomes` lists them: its first outcome
    /// and a check's failure, each with the effects of its branch, then the
    /// scenes a `return` can come back to.
    fn leads(&self, choice: ChoiceId) -> (Option<Lead<'_>>, Option<Lead<'_>>, &[SceneId]) {
        match &self.choice(choice).action {
            Action::Goto(t) => (Some((&[], *t)), None, &[]),
            Action::Tunnel { into, .. } => (Some((&[], *into)), None, &[]),
            Action::Check(check) => (
                Some((&check.success.effects, check.success.goto)),
                Some((&check.failure.effects, check.failure.goto)),
                &[],
            ),
            Action::Return(r) => (None, None, &r.to),
        }
    }

    /// The scene graph by index: for each scene, every scene its choices
    /// can lead to (`targets`), in order, repeats kept. What the graph
    /// analyses (the soft-lock lint, the explorer's liveness) walk.
    pub fn successors(&self) -> Vec<Vec<usize>> {
        self.scenes
            .iter()
            .map(|scene| {
                scene
                    .choices
                    .iter()
                    .flat_map(|&c| self.targets(c))
                    .map(SceneId::index)
                    .collect()
            })
            .collect()
    }

    /// What taking a choice can do: one outcome, two for a check (success
    /// first), one for each scene a `return` can come back to (see
    /// `Returns`: an over-approximation), each with the effects in the
    /// order the engine applies them and the scene it enters. A tunnel's
    /// outcome enters the tunnel; where it comes back to is the outcome of
    /// the tunnel's `return`s.
    pub fn outcomes<'s>(&'s self, choice: ChoiceId) -> impl Iterator<Item = Outcome<'s>> + 's {
        let c = self.choice(choice);
        let outcome = |branch: Option<bool>, effects: &'s [Effect], target: SceneId| Outcome {
            branch,
            effects: [
                c.effects.as_slice(),
                effects,
                self.scene(target).on_enter.as_slice(),
            ],
            target,
        };
        let (a, b, returns) = self.leads(choice);
        // A check's branches are its success, then its failure.
        let check = b.is_some();
        a.map(|(effects, t)| outcome(check.then_some(true), effects, t))
            .into_iter()
            .chain(b.map(|(effects, t)| outcome(Some(false), effects, t)))
            .chain(returns.iter().map(move |&t| outcome(None, &[], t)))
    }

    /// Calls `f` on every site of the story, scene by scene (see
    /// `scene_sites` for the order), then on the `met` of each crew member
    /// and item, in the order declared, then on each invariant. A `met` is
    /// read wherever the player types `status`, and changes nothing: it is
    /// visited once, at the start scene, with the span of its condition.
    /// An invariant is read in every state of its scope (`Invariant::covers`):
    /// it too is visited once, at the start scene, with its span, and an
    /// analysis that places reads by scene places its reads at every scene
    /// it covers.
    pub fn sites<'s>(&'s self, f: &mut dyn FnMut(Place, Site<'s>)) {
        for i in 0..self.scenes.len() {
            self.scene_sites(SceneId(i as u32), f);
        }
        let mets = self.crew.iter().filter_map(|c| c.met.as_ref());
        for met in mets.chain(self.items.iter().filter_map(|i| i.met.as_ref())) {
            let at = Place {
                scene: self.start,
                choice: None,
                branch: None,
                span: met.span,
            };
            f(at, Site::Met(&met.when));
        }
        for inv in &self.invariants {
            let at = Place {
                scene: self.start,
                choice: None,
                branch: None,
                span: inv.rule.span,
            };
            f(at, Site::Invariant(inv));
        }
    }

    /// Calls `f` on every site of one scene and of its choices, in the order
    /// a player meets them: the scene's text, its `on_enter` effects, its
    /// ending; then for each choice, its `once`, its `when`, its text, its
    /// effects, and where it leads (for a tunnel the scene it enters, for a
    /// `return` each scene it can come back to), or for a check the check,
    /// then each branch's text, effects and where it leads (success first).
    pub fn scene_sites<'s>(&'s self, id: SceneId, f: &mut dyn FnMut(Place, Site<'s>)) {
        let scene = self.scene(id);
        let at = Place {
            scene: id,
            choice: None,
            branch: None,
            span: scene.span,
        };
        f(at, Site::Text(&scene.text));
        if scene.assumes() {
            f(at, Site::Assume(scene));
        }
        for e in &scene.on_enter {
            f(at, Site::Effect(e));
        }
        if let Some(e) = scene.ending {
            f(at, Site::Ending(e));
        }
        for &c in &scene.choices {
            let choice = self.choice(c);
            let at = Place {
                choice: Some(c),
                span: choice.span,
                ..at
            };
            if choice.once {
                f(at, Site::Once(c));
            }
            if let Some(w) = &choice.when {
                f(at, Site::When(w));
            }
            f(at, Site::Text(&choice.text));
            for e in &choice.effects {
                f(at, Site::Effect(e));
            }
            match &choice.action {
                Action::Goto(t) | Action::Tunnel { into: t, .. } => f(at, Site::Goto(*t)),
                Action::Return(r) => {
                    for &t in &r.to {
                        f(at, Site::Goto(t));
                    }
                }
                Action::Check(check) => {
                    f(at, Site::Check(check));
                    for (success, branch) in [(true, &check.success), (false, &check.failure)] {
                        let at = Place {
                            branch: Some(success),
                            ..at
                        };
                        if let Some(t) = &branch.text {
                            f(at, Site::Text(t));
                        }
                        for e in &branch.effects {
                            f(at, Site::Effect(e));
                        }
                        f(at, Site::Goto(branch.goto));
                    }
                }
            }
        }
    }
}

/// One way a choice can go: the effects applied on the way, in order (the
/// choice's, its branch's, and the `on_enter` of the scene it enters), and
/// that scene.
#[derive(Debug, Clone, Copy)]
pub struct Outcome<'s> {
    /// For a check: whether this is its success.
    pub branch: Option<bool>,
    effects: [&'s [Effect]; 3],
    pub target: SceneId,
}

impl<'s> Outcome<'s> {
    /// The effects on the way, in the order the engine applies them.
    pub fn effects(&self) -> impl Iterator<Item = &'s Effect> + 's {
        self.effects.into_iter().flatten()
    }
}

/// Where a site is: its scene, its choice if any, the branch of the
/// choice's check if any, and the span a diagnostic about it points at
/// (the choice's key, else the scene).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub scene: SceneId,
    pub choice: Option<ChoiceId>,
    pub branch: Option<bool>,
    pub span: Span,
}

/// A place in a story where state is read, written or shown.
#[derive(Debug, Clone, Copy)]
pub enum Site<'s> {
    /// Prose: a scene's text, a choice's, a check branch's.
    Text(&'s Text),
    /// A choice's condition.
    When(&'s Condition),
    /// A `once` choice: it stays open until it is taken.
    Once(ChoiceId),
    /// A check's chance and its adjustments (its branches are sites of
    /// their own).
    Check(&'s Check),
    /// An effect: of a scene's `on_enter`, a choice, a branch. A `Say` is
    /// prose.
    Effect(&'s Effect),
    /// Where a choice or a branch leads: entering counts a visit.
    Goto(SceneId),
    /// The ending a scene is.
    Ending(EndingId),
    /// A crew member's or an item's `met`: when `status` shows them. Like
    /// prose, it changes what the player is told, never what they can do.
    Met(&'s Condition),
    /// What a scene's text assumes whenever it is shown: its `assume`,
    /// and each `{assume}` of its text with the `{if}` conditions and the
    /// visit counts of the variations it stands in (what decides whether
    /// its paragraph is rendered). Not prose: the explorer checks it in
    /// every state at the scene, so it keeps apart the states it tells
    /// apart.
    Assume(&'s Scene),
    /// An invariant: read in every state of its scope (see
    /// `Story::sites`). Not prose, for the same reason.
    Invariant(&'s Invariant),
}

impl Site<'_> {
    /// Calls `f` on everything the site reads, in order.
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        match self {
            Site::Text(t) => t.reads(f),
            Site::When(c) | Site::Met(c) => c.reads(f),
            Site::Once(c) => f(Read::Test(Part::Once(*c))),
            Site::Check(c) => c.reads(f),
            Site::Effect(e) => e.reads(f),
            Site::Assume(scene) => {
                if let Some(a) = &scene.assume {
                    a.when.reads(f);
                }
                scene.text.assumption_reads(f);
            }
            Site::Invariant(inv) => inv.rule.when.reads(f),
            Site::Goto(_) | Site::Ending(_) => {}
        }
    }

    /// Calls `f` on every condition the site holds, whole (not its parts):
    /// a choice's `when`, a check's `When` adjustments, each `{if}` of a
    /// text or a `Say`, nested ones included.
    pub fn conditions(&self, f: &mut dyn FnMut(&Condition)) {
        match self {
            Site::Text(t) => t.conditions(f),
            Site::When(c) | Site::Met(c) => f(c),
            Site::Assume(scene) => {
                if let Some(a) = &scene.assume {
                    f(&a.when);
                }
                scene.text.assumptions(&mut |a| f(&a.when));
            }
            Site::Invariant(inv) => f(&inv.rule.when),
            Site::Check(check) => {
                for a in &check.adjust {
                    match a {
                        Adjust::When(c, _) => f(c),
                        Adjust::Per(..) => {}
                    }
                }
            }
            Site::Effect(e) => {
                if let Some(t) = e.said() {
                    t.conditions(f);
                }
            }
            Site::Once(_) | Site::Goto(_) | Site::Ending(_) => {}
        }
    }

    /// What the site writes, if anything.
    pub fn writes(&self) -> Option<Write> {
        match self {
            Site::Once(c) => Some(Write {
                part: Part::Once(*c),
                change: Change::On,
            }),
            Site::Effect(e) => e.writes(),
            Site::Goto(s) => Some(Write {
                part: Part::Visits(*s),
                change: Change::Add(1),
            }),
            Site::Text(_)
            | Site::When(_)
            | Site::Check(_)
            | Site::Ending(_)
            | Site::Met(_)
            | Site::Assume(_)
            | Site::Invariant(_) => None,
        }
    }

    /// Whether what the site reads can change what the player can do: it
    /// is not prose, nor the adjustments of a check that no state makes
    /// certain (`Check::always_open`). What the explorer's reductions keep.
    pub fn decides(&self, story: &Story) -> bool {
        match self {
            Site::Check(check) => !check.always_open(story),
            Site::Text(_)
            | Site::Met(_)
            | Site::Effect(_)
            | Site::When(_)
            | Site::Once(_)
            | Site::Goto(_)
            | Site::Ending(_)
            | Site::Assume(_)
            | Site::Invariant(_) => !self.is_prose(),
        }
    }

    /// Whether the site is prose: what it reads changes what the player is
    /// told, never what they can do.
    pub fn is_prose(&self) -> bool {
        match self {
            Site::Text(_) | Site::Met(_) => true,
            Site::Effect(e) => e.said().is_some(),
            Site::When(_)
            | Site::Once(_)
            | Site::Check(_)
            | Site::Goto(_)
            | Site::Ending(_)
            | Site::Assume(_)
            | Site::Invariant(_) => false,
        }
    }
}

/// A part of the state: what a condition can read and an effect can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Var(VarId),
    Flag(FlagId),
    Item(ItemId),
    /// Whether a crew member is alive.
    Crew(CrewId),
    /// How many times a scene was entered.
    Visits(SceneId),
    /// Whether a `once` choice was taken.
    Once(ChoiceId),
}

/// How a part of the state is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Tested for truth: a flag set, an item held, a crew member alive, a
    /// `once` choice taken.
    Test(Part),
    /// Compared with a constant, the part on the left: `part op k`.
    Bound(Part, CmpOp, i64),
    /// Compared with another part, this one on the left: `part op other`.
    /// A comparison of two parts is two reads, one from each side.
    Against(Part, CmpOp, Part),
    /// Added to a check's chance, `k` points per unit (`Per`).
    Scaled(VarId, i64),
    /// Shown in text: a variable's value (`{var}`), or a scene's visit
    /// count picking a variation's item (`{seq: a | b}`, `{first}`).
    Shown(Part),
}

impl Read {
    /// The part read.
    pub fn part(self) -> Part {
        match self {
            Read::Test(p) | Read::Bound(p, ..) | Read::Against(p, ..) | Read::Shown(p) => p,
            Read::Scaled(v, _) => Part::Var(v),
        }
    }
}

/// What an effect (or entering a scene, or taking a `once` choice) does to
/// a part of the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    pub part: Part,
    pub change: Change,
}

/// How a write changes its part. Every write to a variable is monotone and
/// 1-Lipschitz in its old value (`clamp(v + n)`, or a constant): the
/// explorer's threshold windows rest on that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Adds `n`, clamped to the variable's bounds (a visit adds 1).
    Add(i64),
    /// Sets a variable to `n`, clamped to its bounds.
    To(i64),
    /// Sets a flag, gives an item, marks a `once` choice taken.
    On,
    /// Clears a flag, takes an item, kills a crew member.
    Off,
}

impl Operand {
    /// The part of the state the operand reads; `None` for a constant.
    pub fn part(self) -> Option<Part> {
        match self {
            Operand::Const(_) => None,
            Operand::Var(v) => Some(Part::Var(v)),
            Operand::Visits(s) => Some(Part::Visits(s)),
        }
    }
}

impl Condition {
    /// Calls `f` on every read of the condition, leaves left to right.
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        match self {
            Condition::True | Condition::False => {}
            Condition::Flag(x) => f(Read::Test(Part::Flag(*x))),
            Condition::Has(x) => f(Read::Test(Part::Item(*x))),
            Condition::Alive(x) => f(Read::Test(Part::Crew(*x))),
            Condition::Cmp(a, op, b) => match (Side::of(*a), Side::of(*b)) {
                (Side::Const(_), Side::Const(_)) => {}
                (Side::Part(x), Side::Const(k)) => f(Read::Bound(x, *op, k)),
                (Side::Const(k), Side::Part(y)) => f(Read::Bound(y, op.flipped(), k)),
                (Side::Part(x), Side::Part(y)) => {
                    f(Read::Against(x, *op, y));
                    f(Read::Against(y, op.flipped(), x));
                }
            },
            Condition::Not(c) => c.reads(f),
            Condition::All(cs) | Condition::Any(cs) => {
                for c in cs {
                    c.reads(f);
                }
            }
        }
    }
}

impl Condition {
    /// The condition as an author would write it, with the story's names:
    /// `has lamp and oil > 2`, `dead karl`, `visited hall`. Parentheses only
    /// where they are needed. Diagnostics and `export` both print with it.
    pub fn show(&self, story: &Story) -> String {
        fn operand(story: &Story, o: Operand) -> String {
            match o {
                Operand::Const(k) => k.to_string(),
                Operand::Var(v) => story.variables[v.index()].id.clone(),
                Operand::Visits(s) => format!("visits({})", story.scene(s).id),
            }
        }
        // Precedence: `or` 1, `and` 2, a comparison 3, `not` and the
        // other leaves 4 (`not` takes a comparison in parentheses).
        fn go(c: &Condition, story: &Story, outer: u8) -> String {
            let (text, own) = match c {
                Condition::True => ("true".to_string(), 4),
                Condition::False => ("false".to_string(), 4),
                Condition::Flag(f) => (story.flags[f.index()].id.clone(), 4),
                Condition::Has(i) => (format!("has {}", story.items[i.index()].id), 4),
                Condition::Alive(c) => (format!("alive {}", story.crew[c.index()].id), 4),
                Condition::Cmp(Operand::Visits(s), CmpOp::Ge, Operand::Const(1)) => {
                    (format!("visited {}", story.scene(*s).id), 4)
                }
                Condition::Cmp(a, op, b) => (
                    format!(
                        "{} {} {}",
                        operand(story, *a),
                        op.symbol(),
                        operand(story, *b)
                    ),
                    3,
                ),
                Condition::Not(inner) => match &**inner {
                    Condition::Alive(c) => (format!("dead {}", story.crew[c.index()].id), 4),
                    inner => (format!("not {}", go(inner, story, 4)), 4),
                },
                Condition::All(cs) if cs.is_empty() => ("true".to_string(), 4),
                Condition::Any(cs) if cs.is_empty() => ("false".to_string(), 4),
                Condition::All(cs) => (
                    cs.iter()
                        .map(|c| go(c, story, 2))
                        .collect::<Vec<_>>()
                        .join(" and "),
                    2,
                ),
                Condition::Any(cs) => (
                    cs.iter()
                        .map(|c| go(c, story, 1))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    1,
                ),
            };
            if own < outer {
                format!("({text})")
            } else {
                text
            }
        }
        go(self, story, 0)
    }
}

/// One side of a comparison: a constant, or a part of the state.
enum Side {
    Const(i64),
    Part(Part),
}

impl Side {
    fn of(o: Operand) -> Side {
        match o {
            Operand::Const(k) => Side::Const(k),
            Operand::Var(v) => Side::Part(Part::Var(v)),
            Operand::Visits(s) => Side::Part(Part::Visits(s)),
        }
    }
}

impl Text {
    /// Calls `f` on every read of the text: the variables it shows, the
    /// conditions of its `{if}`s and the visit counts its variations
    /// follow, in order.
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        for s in &self.segments {
            s.reads(f);
        }
    }
}

impl Text {
    /// Whether the text holds an `{assume}`.
    pub fn assumes(&self) -> bool {
        let mut any = false;
        self.assumptions(&mut |_| any = true);
        any
    }

    /// Calls `f` on every `{assume}` of the text, in order, wherever it
    /// stands.
    pub fn assumptions<'t>(&'t self, f: &mut dyn FnMut(&'t Assumption)) {
        fn visit<'t>(segments: &'t [Segment], f: &mut dyn FnMut(&'t Assumption)) {
            for s in segments {
                match s {
                    Segment::Literal(_) | Segment::Var(_) | Segment::Tag(_) => {}
                    Segment::Assume(a) => f(a),
                    Segment::If(b) => {
                        visit(&b.1, f);
                        visit(&b.2, f);
                    }
                    Segment::Vary(v) => {
                        for item in &v.items {
                            visit(item, f);
                        }
                    }
                }
            }
        }
        visit(&self.segments, f);
    }

    /// Calls `f` on what deciding the text's `{assume}`s reads: each
    /// assumption's condition, the condition of every `{if}` that holds
    /// one (whether its paragraph is rendered), and for every variation
    /// that holds one, its scene's visits compared with each item's
    /// number (which item is shown; the compiler refuses an `{assume}` in
    /// a `{cycle:}` or a `{shuffle:}`, whose pick no bounded count decides).
    pub fn assumption_reads(&self, f: &mut dyn FnMut(Read)) {
        fn holds(segments: &[Segment]) -> bool {
            segments.iter().any(|s| match s {
                Segment::Literal(_) | Segment::Var(_) | Segment::Tag(_) => false,
                Segment::Assume(_) => true,
                Segment::If(b) => holds(&b.1) || holds(&b.2),
                Segment::Vary(v) => v.items.iter().any(|i| holds(i)),
            })
        }
        fn visit(segments: &[Segment], f: &mut dyn FnMut(Read)) {
            for s in segments {
                match s {
                    Segment::Literal(_) | Segment::Var(_) | Segment::Tag(_) => {}
                    Segment::Assume(a) => a.when.reads(f),
                    Segment::If(b) => {
                        let (c, then, otherwise) = &**b;
                        if holds(then) || holds(otherwise) {
                            c.reads(f);
                            visit(then, f);
                            visit(otherwise, f);
                        }
                    }
                    Segment::Vary(v) => {
                        if v.items.iter().any(|i| holds(i)) {
                            for n in 1..=v.items.len() {
                                f(Read::Bound(Part::Visits(v.scene), CmpOp::Eq, n as i64));
                            }
                            for item in &v.items {
                                visit(item, f);
                            }
                        }
                    }
                }
            }
        }
        visit(&self.segments, f);
    }

    /// Calls `f` on the condition of every `{if}`, in order, nested ones
    /// after the one they are in.
    pub fn conditions(&self, f: &mut dyn FnMut(&Condition)) {
        fn visit(segments: &[Segment], f: &mut dyn FnMut(&Condition)) {
            for s in segments {
                match s {
                    Segment::Literal(_) | Segment::Var(_) | Segment::Tag(_) => {}
                    // An assumption's condition is its site's (`Site::Assume`).
                    Segment::Assume(_) => {}
                    Segment::If(b) => {
                        let (c, then, otherwise) = &**b;
                        f(c);
                        visit(then, f);
                        visit(otherwise, f);
                    }
                    Segment::Vary(v) => {
                        for item in &v.items {
                            visit(item, f);
                        }
                    }
                }
            }
        }
        visit(&self.segments, f);
    }
}

impl Segment {
    /// Calls `f` on every read of the segment, nested ones included.
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        match self {
            // What an assumption reads is its site's (`Site::Assume`):
            // text is prose, an assumption is not.
            Segment::Literal(_) | Segment::Tag(_) | Segment::Assume(_) => {}
            Segment::Var(v) => f(Read::Shown(Part::Var(*v))),
            Segment::If(b) => {
                let (c, then, otherwise) = &**b;
                c.reads(f);
                for s in then.iter().chain(otherwise) {
                    s.reads(f);
                }
            }
            Segment::Vary(v) => {
                f(Read::Shown(Part::Visits(v.scene)));
                for s in v.items.iter().flatten() {
                    s.reads(f);
                }
            }
        }
    }
}

impl Adjust {
    /// Calls `f` on every read of the adjustment.
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        match self {
            Adjust::Per(v, k) => f(Read::Scaled(*v, *k)),
            Adjust::When(c, _) => c.reads(f),
        }
    }
}

impl Check {
    /// Calls `f` on every read of the check's adjustments, in order (its
    /// branches are sites of their own).
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        for a in &self.adjust {
            a.reads(f);
        }
    }

    /// The lowest and the highest the chance can add up to before it is
    /// clamped, over every state: each `When` counted in or out, each
    /// `Per` at either bound of its variable (a variable never leaves its
    /// bounds).
    pub fn chance_range(&self, story: &Story) -> (i128, i128) {
        let (mut lo, mut hi) = (i128::from(self.chance), i128::from(self.chance));
        for a in &self.adjust {
            let (a_lo, a_hi) = match a {
                Adjust::When(_, n) => (i128::from(*n).min(0), i128::from(*n).max(0)),
                Adjust::Per(v, k) => {
                    let decl = &story.variables[v.index()];
                    let (x, y) = (
                        i128::from(decl.min) * i128::from(*k),
                        i128::from(decl.max) * i128::from(*k),
                    );
                    (x.min(y), x.max(y))
                }
            };
            lo += a_lo;
            hi += a_hi;
        }
        (lo, hi)
    }

    /// Whether no state can make the check certain: its chance stays
    /// between 1 and 99 whatever its adjustments read, so what they read
    /// changes the odds, never what can happen (both branches stay open).
    pub fn always_open(&self, story: &Story) -> bool {
        let (lo, hi) = self.chance_range(story);
        lo >= 1 && hi <= 99
    }
}

impl Effect {
    /// Calls `f` on every read of the effect: only a `Say` reads, what its
    /// text shows.
    pub fn reads(&self, f: &mut dyn FnMut(Read)) {
        if let Some(t) = self.said() {
            t.reads(f);
        }
    }

    /// What the effect writes; `None` for a `Say`.
    pub fn writes(&self) -> Option<Write> {
        let (part, change) = match self {
            Effect::SetFlag(x) => (Part::Flag(*x), Change::On),
            Effect::ClearFlag(x) => (Part::Flag(*x), Change::Off),
            Effect::Add(x, n) => (Part::Var(*x), Change::Add(*n)),
            Effect::SetVar(x, n) => (Part::Var(*x), Change::To(*n)),
            Effect::Give(x) => (Part::Item(*x), Change::On),
            Effect::Take(x) => (Part::Item(*x), Change::Off),
            Effect::Kill(x) => (Part::Crew(*x), Change::Off),
            Effect::Say(_) => return None,
        };
        Some(Write { part, change })
    }

    /// The text of a `Say`.
    pub fn said(&self) -> Option<&Text> {
        match self {
            Effect::Say(t) => Some(t),
            Effect::SetFlag(_)
            | Effect::ClearFlag(_)
            | Effect::Add(..)
            | Effect::SetVar(..)
            | Effect::Give(_)
            | Effect::Take(_)
            | Effect::Kill(_) => None,
        }
    }
}
