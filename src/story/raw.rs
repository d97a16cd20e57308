//! The serde mirror of the RON files: what an author writes, field for field.
//!
//! Nothing here is checked beyond what serde checks (types, unknown fields).
//! `compile` turns these into a `Story` whose every reference is resolved.

use serde::Deserialize;

/// `story.ron`: the one file that declares the story's title, start and state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Story")]
pub struct RawStory {
    pub title: String,
    #[serde(default)]
    pub author: Option<String>,
    pub start: String,
    #[serde(default)]
    pub variables: Vec<RawVariable>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub items: Vec<RawItem>,
    #[serde(default)]
    pub crew: Vec<RawCrew>,
    /// Items held when the story starts.
    #[serde(default)]
    pub inventory: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariable {
    pub id: String,
    /// The label shown in `status`; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub initial: i64,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    /// Hidden variables are not shown to the player in `status`.
    #[serde(default)]
    pub hidden: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItem {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrew {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
}

/// Any other `.ron` file of the story directory: a chapter of scenes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Chapter")]
pub struct RawChapter {
    pub title: String,
    /// State that only this chapter uses may be declared beside its scenes.
    #[serde(default)]
    pub variables: Vec<RawVariable>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub items: Vec<RawItem>,
    #[serde(default)]
    pub scenes: Vec<RawScene>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Scene")]
pub struct RawScene {
    pub id: Box<str>,
    pub title: Box<str>,
    /// Paragraphs separated by blank lines, with `{var}` and
    /// `{if COND}..{else}..{end}` segments.
    #[serde(default)]
    pub text: Box<str>,
    #[serde(default)]
    pub on_enter: Box<[RawEffect]>,
    #[serde(default)]
    pub choices: Vec<RawChoice>,
    #[serde(default)]
    pub ending: Option<RawEnding>,
    /// Whether the status bar (the visible variables) shows above the text;
    /// `false` for scenes where the player is someone else.
    #[serde(default = "yes")]
    pub status: bool,
}

fn yes() -> bool {
    true
}

/// Strings are boxed here (no spare capacity, 8 bytes less each): every
/// scene and choice of a large story is held raw until it compiles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Choice")]
pub struct RawChoice {
    pub key: Box<str>,
    pub text: Box<str>,
    /// A condition (see `condition.rs`) that must hold for the choice to show.
    #[serde(default)]
    pub when: Option<Box<str>>,
    #[serde(default)]
    pub effects: Box<[RawEffect]>,
    #[serde(default)]
    pub goto: Option<Box<str>>,
    #[serde(default)]
    pub once: bool,
    /// Boxed: most choices have none, and a check inline would triple the
    /// size of every raw choice while a large story is parsed.
    #[serde(default)]
    pub check: Option<Box<RawCheck>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Check")]
pub struct RawCheck {
    /// The base chance of success, in percent.
    pub chance: i64,
    #[serde(default)]
    pub adjust: Vec<RawAdjust>,
    #[serde(default)]
    pub success: Option<RawBranch>,
    #[serde(default)]
    pub failure: Option<RawBranch>,
}

/// A change to a check's chance, applied in order before the roll.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Adjust")]
pub enum RawAdjust {
    /// `Per("heat", -2)`: add the variable's value times the factor.
    Per(String, i64),
    /// `When("alive nate", 15)`: add the amount while the condition holds.
    When(String, i64),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Branch")]
pub struct RawBranch {
    /// Narration shown when this branch is taken.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub effects: Vec<RawEffect>,
    pub goto: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Effect")]
pub enum RawEffect {
    SetFlag(Box<str>),
    ClearFlag(Box<str>),
    Add(Box<str>, i64),
    SetVar(Box<str>, i64),
    Give(Box<str>),
    Take(Box<str>),
    Kill(Box<str>),
    Say(Box<str>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Ending")]
pub struct RawEnding {
    pub id: String,
    pub title: String,
    pub kind: RawEndingKind,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename = "EndingKind")]
pub enum RawEndingKind {
    Good,
    Bittersweet,
    Bad,
}
