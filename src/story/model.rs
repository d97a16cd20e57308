//! The compiled story: every id an index, every reference resolved.
//!
//! A `SceneId` (or any other id here) that exists is a proof that the thing
//! exists: `compile` only builds a `Story` when every reference resolved.

use serde::{Deserialize, Serialize};

use crate::story::source::{Sources, Span};

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// A hash of the story's source files, hex encoded: saves record it to
    /// notice that the story changed since they were written.
    pub fingerprint: String,
    pub sources: Sources,
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
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Crew {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub span: Span,
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
    pub span: Span,
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
    pub span: Span,
}

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Action {
    Goto(SceneId),
    Check(Box<Check>),
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

#[derive(Debug, Clone)]
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
    Literal(Box<str>),
    Var(VarId),
    /// `{if c}then{else}otherwise{end}`.
    If(Box<(Condition, Vec<Segment>, Vec<Segment>)>),
}

#[derive(Debug, Clone)]
pub struct Ending {
    pub id: String,
    pub title: String,
    pub kind: EndingKind,
    pub scene: SceneId,
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
        self.scenes
            .iter()
            .position(|s| s.id == id)
            .map(|i| SceneId(i as u32))
    }

    pub fn var_by_id(&self, id: &str) -> Option<VarId> {
        self.variables
            .iter()
            .position(|v| v.id == id)
            .map(|i| VarId(i as u32))
    }

    pub fn flag_by_id(&self, id: &str) -> Option<FlagId> {
        self.flags
            .iter()
            .position(|v| v.id == id)
            .map(|i| FlagId(i as u32))
    }

    pub fn item_by_id(&self, id: &str) -> Option<ItemId> {
        self.items
            .iter()
            .position(|v| v.id == id)
            .map(|i| ItemId(i as u32))
    }

    pub fn crew_by_id(&self, id: &str) -> Option<CrewId> {
        self.crew
            .iter()
            .position(|v| v.id == id)
            .map(|i| CrewId(i as u32))
    }

    pub fn ending_by_id(&self, id: &str) -> Option<EndingId> {
        self.endings
            .iter()
            .position(|v| v.id == id)
            .map(|i| EndingId(i as u32))
    }

    /// The choice of `scene` with this key, if any.
    pub fn choice_by_key(&self, scene: SceneId, key: &str) -> Option<ChoiceId> {
        self.scene(scene)
            .choices
            .iter()
            .copied()
            .find(|&c| self.choice(c).key == key)
    }

    /// Every target a choice can lead to (one, or two for a check).
    pub fn targets(&self, choice: ChoiceId) -> impl Iterator<Item = SceneId> + '_ {
        let (a, b) = match &self.choice(choice).action {
            Action::Goto(s) => (*s, None),
            Action::Check(c) => (c.success.goto, Some(c.failure.goto)),
        };
        std::iter::once(a).chain(b)
    }
}
