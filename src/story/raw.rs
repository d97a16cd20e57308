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
    /// Conditions that hold in every reachable state: `explore` proves them.
    #[serde(default)]
    pub invariants: Vec<String>,
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
    /// A condition: while it is false, `status` and `inventory` do not list
    /// the item (it is still carried). Absent: known whenever carried.
    #[serde(default)]
    pub met: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrew {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    /// A condition: while it is false, `status` does not list the crew
    /// member, whom the story has not introduced yet. Absent: always known.
    #[serde(default)]
    pub met: Option<String>,
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
    /// Conditions that hold in every state whose scene is in this chapter.
    #[serde(default)]
    pub invariants: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Scene")]
pub struct RawScene {
    pub id: Box<str>,
    pub title: Box<str>,
    /// Paragraphs separated by blank lines, with markup (`text.rs`).
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
    /// Free strings for the tools (`callister export`), never shown.
    #[serde(default)]
    pub tags: Box<[Box<str>]>,
    /// A condition the scene's text assumes whenever it is shown.
    #[serde(default)]
    pub assume: Option<Box<str>>,
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
    /// `tunnel: "shop"`: enter `shop`, to come back to `goto` (or this
    /// scene) when the tunnel returns.
    #[serde(default)]
    pub tunnel: Option<Box<str>>,
    /// `return: true`: back to where the innermost tunnel was entered from.
    #[serde(default, rename = "return")]
    pub returns: bool,
    /// Free strings for the tools (`callister export`), never shown.
    #[serde(default)]
    pub tags: Box<[Box<str>]>,
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
    /// A nudge towards the ending, shown by `endings` while it is unfound,
    /// once the player has found at least half of the endings.
    #[serde(default)]
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename = "EndingKind")]
pub enum RawEndingKind {
    Good,
    Bittersweet,
    Bad,
}

/// Every string the parser produced for a file, in no particular order:
/// what the control-character check (E038) reads, so that it sees what the
/// game would show, whatever the file's comments and escapes look like.
/// Each struct is destructured in full, so that a new field cannot be
/// forgotten here.
pub trait Strings {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str));
}

impl Strings for RawStory {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        let RawStory {
            title,
            author,
            start,
            variables,
            flags,
            items,
            crew,
            inventory,
            invariants,
        } = self;
        invariants.iter().for_each(|s| f(s));
        f(title);
        author.iter().for_each(|a| f(a));
        f(start);
        variables.iter().for_each(|v| v.strings(f));
        flags.iter().for_each(|s| f(s));
        items.iter().for_each(|i| i.strings(f));
        for RawCrew {
            id,
            name,
            role,
            met,
        } in crew
        {
            f(id);
            f(name);
            role.iter().for_each(|r| f(r));
            met.iter().for_each(|m| f(m));
        }
        inventory.iter().for_each(|s| f(s));
    }
}

impl Strings for RawChapter {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        let RawChapter {
            title,
            variables,
            flags,
            items,
            scenes,
            invariants,
        } = self;
        f(title);
        invariants.iter().for_each(|s| f(s));
        variables.iter().for_each(|v| v.strings(f));
        flags.iter().for_each(|s| f(s));
        items.iter().for_each(|i| i.strings(f));
        scenes.iter().for_each(|s| s.strings(f));
    }
}

impl Strings for RawVariable {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        let RawVariable {
            id,
            name,
            initial: _,
            min: _,
            max: _,
            hidden: _,
        } = self;
        f(id);
        name.iter().for_each(|n| f(n));
    }
}

impl Strings for RawItem {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        let RawItem { id, name, met } = self;
        f(id);
        f(name);
        met.iter().for_each(|m| f(m));
    }
}

impl Strings for RawScene {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        let RawScene {
            id,
            title,
            text,
            on_enter,
            choices,
            ending,
            status: _,
            tags,
            assume,
        } = self;
        f(id);
        f(title);
        f(text);
        assume.iter().for_each(|a| f(a));
        tags.iter().for_each(|t| f(t));
        on_enter.iter().for_each(|e| e.strings(f));
        for RawChoice {
            key,
            text,
            when,
            effects,
            goto,
            once: _,
            check,
            tunnel,
            returns: _,
            tags,
        } in choices
        {
            f(key);
            f(text);
            tunnel.iter().for_each(|t| f(t));
            tags.iter().for_each(|t| f(t));
            when.iter().for_each(|w| f(w));
            effects.iter().for_each(|e| e.strings(f));
            goto.iter().for_each(|g| f(g));
            if let Some(check) = check {
                let RawCheck {
                    chance: _,
                    adjust,
                    success,
                    failure,
                } = check.as_ref();
                for a in adjust {
                    match a {
                        RawAdjust::Per(s, _) | RawAdjust::When(s, _) => f(s),
                    }
                }
                for RawBranch {
                    text,
                    effects,
                    goto,
                } in success.iter().chain(failure)
                {
                    text.iter().for_each(|t| f(t));
                    effects.iter().for_each(|e| e.strings(f));
                    f(goto);
                }
            }
        }
        if let Some(RawEnding {
            id,
            title,
            kind: _,
            hint,
        }) = ending
        {
            f(id);
            f(title);
            hint.iter().for_each(|h| f(h));
        }
    }
}

impl Strings for RawEffect {
    fn strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        match self {
            RawEffect::SetFlag(s)
            | RawEffect::ClearFlag(s)
            | RawEffect::Add(s, _)
            | RawEffect::SetVar(s, _)
            | RawEffect::Give(s)
            | RawEffect::Take(s)
            | RawEffect::Kill(s)
            | RawEffect::Say(s) => f(s),
        }
    }
}
