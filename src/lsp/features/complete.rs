//! Completion: scene ids where a scene is expected (`goto`, `start`,
//! `visits(`); variables, flags, items, crew and the condition language's
//! words inside conditions and `{…}` markup; the names an effect takes; the
//! effects and adjustments themselves; the field names of the struct the
//! cursor is in. What may come where is read off the text around the cursor
//! (it is often half typed); the names come from the last analysis, and the
//! field and variant names from the raw structs' own serde definitions.

use std::collections::HashMap;

use lsp_server::ResponseError;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
    CompletionTextEdit, Documentation, InsertTextFormat, TextEdit,
};
use serde::de::{Deserialize, Deserializer, Visitor};

use crate::lsp::features::context::{Context, Struct, word_start};
use crate::lsp::positions::LineIndex;
use crate::lsp::server::Server;
use crate::story::Story;
use crate::story::compile::{Kind, STORY_FILE, Symbols};
use crate::story::raw;

/// At most this many items are sent; the list is then marked incomplete,
/// so the editor asks again as more is typed.
pub const MAX_ITEMS: usize = 100;

/// The words of the condition language that start a condition of their
/// own or join two, with what each does.
pub const CONDITION_WORDS: &[(&str, &str)] = &[
    ("has", "`has ITEM`: the item is held"),
    ("alive", "`alive CREW`: the crew member is alive"),
    ("dead", "`dead CREW`: the crew member is dead"),
    (
        "visited",
        "`visited SCENE`: the scene was entered at least once",
    ),
    ("ending", "`ending ENDING`: the game is at this ending"),
    (
        "visits",
        "`visits(SCENE)`: how many times the scene was entered, to compare: `visits(hall) >= 2`",
    ),
    ("not", "`not COND`: the condition does not hold"),
    ("and", "`A and B`: both hold"),
    ("or", "`A or B`: either holds"),
    ("true", "always holds"),
    ("false", "never holds"),
];

/// The markup words inside `{…}`.
pub const MARKUP_WORDS: &[(&str, &str)] = &[
    (
        "if",
        "`{if COND}…{else}…{end}`: text shown only while the condition holds",
    ),
    (
        "else",
        "`{else}`: the text shown when the `{if}` does not hold",
    ),
    ("end", "`{end}`: closes an `{if}`"),
];

pub fn completion(
    server: &mut Server,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>, ResponseError> {
    let p = params.text_document_position;
    let snippets = server.snippets;
    let Some((i, rel)) = server.find(&p.text_document.uri) else {
        return Ok(None);
    };
    let project = &mut server.projects[i];
    if project.analysis.is_none() {
        project.analyse();
    }
    let project = &server.projects[i];
    let (Some(text), Some(analysis)) = (project.text(&rel), project.analysis.as_ref()) else {
        return Ok(None);
    };
    let lines = LineIndex::new(text);
    let Some(offset) = lines.offset(text, p.position) else {
        return Ok(None);
    };
    let start = word_start(text, offset);
    let typed = &text[start..offset];
    let cx = Context::at(text, offset);
    let offer = offer(&cx, text, start, rel == STORY_FILE);
    let story = analysis
        .story()
        .or(project.last_good.as_ref())
        .map(|s| &**s);
    let names = Names {
        symbols: &analysis.symbols,
        story,
    };
    let mut items = Vec::new();
    match offer {
        Offer::Names(kinds) => {
            for kind in kinds {
                names.add(kind, typed, &mut items);
            }
        }
        Offer::Condition { words } => {
            names.add(Kind::Variable, typed, &mut items);
            names.add(Kind::Flag, typed, &mut items);
            if words {
                words_of(
                    CONDITION_WORDS,
                    CompletionItemKind::KEYWORD,
                    typed,
                    &mut items,
                );
            }
        }
        Offer::Markup => {
            names.add(Kind::Variable, typed, &mut items);
            words_of(MARKUP_WORDS, CompletionItemKind::KEYWORD, typed, &mut items);
        }
        Offer::Fields(owner, present) => {
            for field in fields_of(owner) {
                if !present.iter().any(|p| p == field) && matches(field, typed) {
                    items.push(CompletionItem {
                        label: (*field).to_string(),
                        kind: Some(CompletionItemKind::FIELD),
                        insert_text: Some(format!("{field}: ")),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        Offer::Effects => {
            for &variant in variants::<raw::RawEffect>() {
                let (plain, snippet) = match variant {
                    "Add" | "SetVar" => (format!("{variant}(\""), format!("{variant}(\"$1\", $2)")),
                    _ => (format!("{variant}(\""), format!("{variant}(\"$1\")")),
                };
                variant_item(variant, plain, snippet, snippets, typed, &mut items);
            }
        }
        Offer::Adjustments => {
            for &variant in variants::<raw::RawAdjust>() {
                let plain = format!("{variant}(\"");
                let snippet = format!("{variant}(\"$1\", $2)");
                variant_item(variant, plain, snippet, snippets, typed, &mut items);
            }
        }
        Offer::EndingKinds => {
            for &variant in variants::<raw::RawEndingKind>() {
                if matches(variant, typed) {
                    items.push(CompletionItem {
                        label: variant.to_string(),
                        kind: Some(CompletionItemKind::ENUM_MEMBER),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        Offer::Nothing => {}
    }
    let incomplete = items.len() > MAX_ITEMS;
    items.truncate(MAX_ITEMS);
    // Each item replaces the word typed so far.
    let range = lines.range(text, start, offset);
    for item in &mut items {
        let new_text = item
            .insert_text
            .take()
            .unwrap_or_else(|| item.label.clone());
        item.text_edit = Some(CompletionTextEdit::Edit(TextEdit { range, new_text }));
    }
    Ok(Some(CompletionResponse::List(CompletionList {
        is_incomplete: incomplete,
        items,
    })))
}

/// What may be written at the cursor.
#[derive(Debug, PartialEq, Eq)]
enum Offer {
    /// Names of these kinds.
    Names(Vec<Kind>),
    /// A condition's next name: variables and flags, and the words too
    /// unless the one before asked for a name (`has `, `visited `).
    Condition {
        words: bool,
    },
    /// Inside `{…}` of text: a variable to show, or a markup word.
    Markup,
    Fields(Struct, Vec<String>),
    Effects,
    Adjustments,
    EndingKinds,
    Nothing,
}

fn offer(cx: &Context, text: &str, word: usize, is_story: bool) -> Offer {
    if let Some(s) = &cx.string {
        let before = &text[s.content..word];
        let call = cx
            .innermost()
            .filter(|_| cx.frames.last().is_some_and(|f| f.bracket == b'(') && s.key.is_none());
        return match (s.key.as_deref(), call) {
            (Some("goto" | "start" | "tunnel"), _) => Offer::Names(vec![Kind::Scene]),
            (Some("when" | "met"), _) | (None, Some("When")) => condition(before),
            (Some("text"), _) | (None, Some("Say")) => markup(before),
            (None, Some("SetFlag" | "ClearFlag")) => Offer::Names(vec![Kind::Flag]),
            (None, Some("Add" | "SetVar" | "Per")) => Offer::Names(vec![Kind::Variable]),
            (None, Some("Give" | "Take")) => Offer::Names(vec![Kind::Item]),
            (None, Some("Kill")) => Offer::Names(vec![Kind::Crew]),
            (None, None) if cx.innermost() == Some("inventory") => Offer::Names(vec![Kind::Item]),
            _ => Offer::Nothing,
        };
    }
    if cx.after_key.as_deref() == Some("kind") {
        return Offer::EndingKinds;
    }
    if cx.after_key.is_some() {
        return Offer::Nothing;
    }
    match cx.frames.last() {
        Some(f) if f.bracket == b'[' => match f.label.as_deref() {
            Some("effects" | "on_enter") => Offer::Effects,
            Some("adjust") => Offer::Adjustments,
            _ => Offer::Nothing,
        },
        Some(f) => match cx.owner(is_story) {
            Some(owner) => Offer::Fields(owner, f.keys.clone()),
            None => Offer::Nothing,
        },
        None => Offer::Nothing,
    }
}

/// What comes next in a condition, from what is written before the word
/// being typed.
fn condition(before: &str) -> Offer {
    let trimmed = before.trim_end();
    if let Some(rest) = trimmed.strip_suffix('(')
        && rest.trim_end().ends_with("visits")
    {
        return Offer::Names(vec![Kind::Scene]);
    }
    let last = trimmed
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let spaced = trimmed.len() < before.len();
    match last {
        "has" if spaced => Offer::Names(vec![Kind::Item]),
        "alive" | "dead" if spaced => Offer::Names(vec![Kind::Crew]),
        "visited" if spaced => Offer::Names(vec![Kind::Scene]),
        "ending" if spaced => Offer::Names(vec![Kind::Ending]),
        _ => Offer::Condition { words: true },
    }
}

/// Inside text: after an open `{`, a variable or markup word, or inside
/// `{if `, a condition; elsewhere, prose.
fn markup(before: &str) -> Offer {
    let bytes = before.as_bytes();
    let mut open = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 1,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 1,
            b'{' => open = Some(i),
            b'}' => open = None,
            _ => {}
        }
        i += 1;
    }
    let Some(open) = open else {
        return Offer::Nothing;
    };
    let inner = before[open + 1..].trim_start();
    match inner.strip_prefix("if") {
        Some(cond) if cond.starts_with(char::is_whitespace) => condition(cond),
        _ => Offer::Markup,
    }
}

/// The names of the last analysis, with what the story says of them.
struct Names<'a> {
    symbols: &'a Symbols,
    story: Option<&'a Story>,
}

impl Names<'_> {
    fn add(&self, kind: Kind, typed: &str, items: &mut Vec<CompletionItem>) {
        let titles: HashMap<&str, &str> = match (kind, self.story) {
            (Kind::Scene, Some(story)) => story
                .scenes
                .iter()
                .map(|s| (s.id.as_str(), s.title.as_str()))
                .collect(),
            _ => HashMap::new(),
        };
        for symbol in self.symbols.declared(kind) {
            if items.len() > MAX_ITEMS {
                return;
            }
            if !matches(&symbol.name, typed) {
                continue;
            }
            let detail = match kind {
                Kind::Scene => titles.get(symbol.name.as_str()).map(|t| (*t).to_string()),
                _ => self.story.and_then(|s| detail(s, kind, &symbol.name)),
            };
            items.push(CompletionItem {
                label: symbol.name.clone(),
                kind: Some(item_kind(kind)),
                detail: Some(match detail {
                    Some(d) => format!("{}: {d}", kind.word()),
                    None => kind.word().to_string(),
                }),
                ..CompletionItem::default()
            });
        }
    }
}

/// A line about a variable, item or crew member.
fn detail(story: &Story, kind: Kind, name: &str) -> Option<String> {
    match kind {
        Kind::Variable => story.var_by_id(name).map(|v| {
            let v = &story.variables[v.index()];
            format!("{}, {}..={}, starts at {}", v.name, v.min, v.max, v.initial)
        }),
        Kind::Item => story
            .item_by_id(name)
            .map(|i| story.items[i.index()].name.clone()),
        Kind::Crew => story.crew_by_id(name).map(|c| {
            let c = &story.crew[c.index()];
            match &c.role {
                Some(role) => format!("{} ({role})", c.name),
                None => c.name.clone(),
            }
        }),
        Kind::Scene | Kind::Flag | Kind::Ending => None,
    }
}

fn item_kind(kind: Kind) -> CompletionItemKind {
    match kind {
        Kind::Scene => CompletionItemKind::MODULE,
        Kind::Variable => CompletionItemKind::VARIABLE,
        Kind::Flag => CompletionItemKind::CONSTANT,
        Kind::Item => CompletionItemKind::VALUE,
        Kind::Crew => CompletionItemKind::STRUCT,
        Kind::Ending => CompletionItemKind::ENUM_MEMBER,
    }
}

fn words_of(
    words: &[(&str, &str)],
    kind: CompletionItemKind,
    typed: &str,
    items: &mut Vec<CompletionItem>,
) {
    for (word, doc) in words {
        if matches(word, typed) {
            items.push(CompletionItem {
                label: (*word).to_string(),
                kind: Some(kind),
                documentation: Some(Documentation::String((*doc).to_string())),
                ..CompletionItem::default()
            });
        }
    }
}

fn variant_item(
    variant: &str,
    plain: String,
    snippet: String,
    snippets: bool,
    typed: &str,
    items: &mut Vec<CompletionItem>,
) {
    if !matches(variant, typed) {
        return;
    }
    items.push(CompletionItem {
        label: variant.to_string(),
        kind: Some(CompletionItemKind::ENUM_MEMBER),
        insert_text: Some(if snippets { snippet } else { plain }),
        insert_text_format: Some(if snippets {
            InsertTextFormat::SNIPPET
        } else {
            InsertTextFormat::PLAIN_TEXT
        }),
        ..CompletionItem::default()
    });
}

/// Whether `name` holds the letters typed, in order (case aside): `flt`
/// finds `flats`, as editors filter.
fn matches(name: &str, typed: &str) -> bool {
    let mut chars = name.chars().map(|c| c.to_ascii_lowercase());
    typed
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .all(|t| chars.any(|c| c == t))
}

/// The fields of a raw struct, as its serde derive declares them.
pub fn fields_of(owner: Struct) -> &'static [&'static str] {
    match owner {
        Struct::Story => names::<raw::RawStory>(),
        Struct::Chapter => names::<raw::RawChapter>(),
        Struct::Scene => names::<raw::RawScene>(),
        Struct::Choice => names::<raw::RawChoice>(),
        Struct::Check => names::<raw::RawCheck>(),
        Struct::Branch => names::<raw::RawBranch>(),
        Struct::Ending => names::<raw::RawEnding>(),
        Struct::Variable => names::<raw::RawVariable>(),
        Struct::Item => names::<raw::RawItem>(),
        Struct::Crew => names::<raw::RawCrew>(),
    }
}

/// The variants of a raw enum, as its serde derive declares them.
pub fn variants<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    names::<T>()
}

/// The field or variant names serde's derive gives `T`: it hands them to
/// the deserializer, which here keeps them and stops.
fn names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut probe = Probe { names: &[] };
    let _ = T::deserialize(&mut probe);
    probe.names
}

struct Probe {
    names: &'static [&'static str],
}

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("names read")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de> Deserializer<'de> for &mut Probe {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.names = fields;
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.names = variants;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::condition::{self, Expr};

    #[test]
    fn the_raw_structs_name_their_fields() {
        assert!(fields_of(Struct::Choice).contains(&"goto"));
        assert!(fields_of(Struct::Scene).contains(&"on_enter"));
        assert_eq!(variants::<raw::RawAdjust>(), ["Per", "When"]);
        assert!(variants::<raw::RawEffect>().contains(&"SetFlag"));
    }

    /// The words offered are the words the condition parser reads: each
    /// parses as the condition it says it is.
    #[test]
    fn condition_words_are_the_parser_s() {
        let parsed = |s: &str| condition::parse(s).map(|e| format!("{e:?}"));
        for (word, _) in CONDITION_WORDS {
            let example = match *word {
                "has" | "alive" | "dead" | "visited" | "ending" | "not" => format!("{word} x"),
                "visits" => "visits(x) > 1".to_string(),
                "and" | "or" => format!("a {word} b"),
                _ => word.to_string(),
            };
            let e =
                condition::parse(&example).unwrap_or_else(|e| panic!("{example}: {}", e.message));
            let fits = matches!(
                (*word, &e),
                ("has", Expr::Has(_))
                    | ("alive", Expr::Alive(_))
                    | ("dead", Expr::Dead(_))
                    | ("visited", Expr::Visited(_))
                    | ("ending", Expr::Ending(_))
                    | ("visits", Expr::Cmp(..))
                    | ("not", Expr::Not(_))
                    | ("and", Expr::And(_))
                    | ("or", Expr::Or(_))
                    | ("true", Expr::True)
                    | ("false", Expr::False)
            );
            assert!(fits, "`{example}` parses as {:?}", parsed(&example));
        }
    }

    #[test]
    fn what_comes_where() {
        let offer_at = |text: &str| {
            let offset = text.find('|').expect("a cursor");
            let text = text.replacen('|', "", 1);
            let cx = Context::at(&text, offset);
            offer(&cx, &text, word_start(&text, offset), false)
        };
        let scene = "Chapter(title: \"A\", scenes: [(id: \"a\", ";
        assert_eq!(
            offer_at(&format!("{scene}choices: [(key: \"k\", goto: \"fl|")),
            Offer::Names(vec![Kind::Scene])
        );
        assert_eq!(
            offer_at(&format!("{scene}choices: [(key: \"k\", tunnel: \"sh|")),
            Offer::Names(vec![Kind::Scene])
        );
        assert_eq!(
            offer_at(&format!("{scene}choices: [(key: \"k\", when: \"has |")),
            Offer::Names(vec![Kind::Item])
        );
        assert_eq!(
            offer_at(&format!("{scene}choices: [(key: \"k\", when: \"visits(|")),
            Offer::Names(vec![Kind::Scene])
        );
        assert_eq!(
            offer_at(&format!(
                "{scene}choices: [(key: \"k\", when: \"oil > 1 and |"
            )),
            Offer::Condition { words: true }
        );
        assert_eq!(offer_at(&format!("{scene}text: \"A {{o|")), Offer::Markup);
        assert_eq!(
            offer_at(&format!("{scene}text: \"A {{if alive |")),
            Offer::Names(vec![Kind::Crew])
        );
        assert_eq!(offer_at(&format!("{scene}text: \"A lamp|")), Offer::Nothing);
        assert_eq!(offer_at(&format!("{scene}on_enter: [|")), Offer::Effects);
        assert_eq!(
            offer_at(&format!("{scene}on_enter: [Kill(\"|")),
            Offer::Names(vec![Kind::Crew])
        );
        assert_eq!(
            offer_at(&format!("{scene}ti|")),
            Offer::Fields(Struct::Scene, vec!["id".into()])
        );
        assert_eq!(
            offer_at(&format!("{scene}ending: (kind: B|")),
            Offer::EndingKinds
        );
    }
}
