//! Diagnostic codes: one enum value per kind of problem, each with its
//! severity, a title and an explanation for `callister explain` and
//! docs/diagnostics.md.
//!
//! Control flow matches on these values, never on their text; the text
//! (`E011`) is what JSON output and the rendered heading show.

use std::fmt;

use serde::Serialize;

use crate::story::diagnostic::Severity;

/// Defines `Code` and its table from one list: code, severity, title,
/// explanation.
macro_rules! codes {
    ($($code:ident $severity:ident $title:literal $explanation:literal)*) => {
        /// A diagnostic's code: `E0xx` errors, `W0xx` warnings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($code,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code as written: `E011`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code),)*
                }
            }

            /// Whether a problem of this code stops the story from loading.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$code => Severity::$severity,)*
                }
            }

            /// One line saying what is wrong, in lowercase.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$code => $title,)*
                }
            }

            /// What the problem is and how to fix it, with an example, in
            /// Markdown.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$code => $explanation,)*
                }
            }
        }
    };
}

codes! {
E001 Error "a file is not valid RON"
r#"A story file could not be read as RON: a comma or a bracket is missing
or out of place, a string or a comment is not closed, a field's name has
no `:`, a number does not fit in 64 bits, or the values are nested more
than 128 levels deep. The caret is on the mistake (for a missing comma,
just after the value that needs one), and the help says what to write.
After an error in a chapter, each of its later scenes is still read on its
own, so that their errors are reported too; the chapter's names are not
declared until it reads, and unknown names that it would declare are not
reported meanwhile.

```ron
(id: "hall", title: "Hall" text: "x")   // no comma after "Hall"
```

Add the comma:

```ron
(id: "hall", title: "Hall", text: "x")
```"#

E002 Error "an unknown field or variant"
r#"A struct has a field it does not know, or an enum value (an effect, a
check adjustment, an ending's kind) is not one of its variants. The help
line names the nearest one, or lists them all.

```ron
(id: "hall", titel: "Hall")     // `titel`
on_enter: [SetFlg("lit")]       // `SetFlg`
```

Fix the spelling:

```ron
(id: "hall", title: "Hall")
on_enter: [SetFlag("lit")]
```"#

E003 Error "a required field is missing"
r#"A struct lacks a field it must have: a scene needs an `id` and a `title`,
a choice a `key` and a `text`, an ending an `id`, a `title` and a `kind`.

```ron
(id: "hall", text: "A bare hall.")
```

Add the field:

```ron
(id: "hall", title: "The Hall", text: "A bare hall.")
```"#

E004 Error "no story file, or the directory cannot be read"
r#"A story directory needs a `story.ron` that declares the title, the start
scene and the state; every other `.ron` file in it is a chapter. This is
also reported when the directory itself cannot be read.

```text
my-story/
  hall.ron          # a chapter, but no story.ron
```

Add `story.ron` beside the chapters:

```ron
Story(title: "My Story", start: "hall")
```"#

E005 Error "the story has no scenes"
r#"The story file names a start scene, but no chapter declares any scene.
Scenes live in chapter files: any `.ron` file beside `story.ron` other than
`story.ron` itself.

```ron
// story.ron, alone in its directory
Story(title: "T", start: "hall")
```

Add a chapter, `hall.ron`:

```ron
Chapter(title: "One", scenes: [
    (id: "hall", title: "Hall", text: "x", ending: (id: "done", title: "Done", kind: Good)),
])
```"#

E006 Error "a value is not of the kind its field takes"
r#"A field holds a value of the wrong kind: a number in quotes where a
whole number goes (`chance: "40"`), a decimal (`chance: 45.5`: stories
count in whole numbers), a name in quotes where a bare name goes
(`kind: "Good"`), a name without quotes where a string goes
(`goto: hall`), a single value where a list goes, or an effect with the
wrong number of arguments. The help writes the value as it should be.

```ron
check: (chance: "40", ..)
on_enter: [Add("credits")]
ending: (id: "won", title: "Won", kind: "Good")
```

Write each value as its field takes it:

```ron
check: (chance: 40, ..)
on_enter: [Add("credits", 10)]
ending: (id: "won", title: "Won", kind: Good)
```"#

E007 Error "a string runs on into the file's structure"
r##"A text holds what looks like the story's own structure (`goto: "..."`,
`choices: [`, `id: "..."`, `text: r#"`), so it most likely did not end
where it was meant to, and swallowed the fields or scenes after it: the
player would read them as prose, and the scenes swallowed do not exist. A
raw string opened with `r#"` ends only at `"#`; one closed with a plain
`"` runs on to the next `"#` in the file. The caret is where the string
begins.

```ron
text: r#"
    A bare hall.
",
choices: [(key: "go", text: "Go", goto: "cellar")],
```

Close the string as it was opened:

```ron
text: r#"
    A bare hall.
"#,
choices: [(key: "go", text: "Go", goto: "cellar")],
```

Words such as `text: read me` in honest prose are not taken for
structure: only a field's name and `:` followed by a quote or a bracket
are."##

E008 Error "`Some(..)` or `None` in a story file"
r#"An optional field is written as its value, or left out: RON's
`implicit_some` is always on, so `Some(..)` and `None` are never needed,
and a story is written one way only.

```ron
(key: "go", text: "Go", when: Some("lit"), goto: "hall", check: None)
```

Write the value itself, and leave out a field that has none:

```ron
(key: "go", text: "Go", when: "lit", goto: "hall")
```"#

E010 Error "a name is declared twice"
r#"Two scenes, endings, variables, flags, items or crew members have the same
id. Ids of one kind are unique across the whole story, in every chapter.
The diagnostic shows both places.

```ron
(id: "hall", title: "Hall", ..),
(id: "hall", title: "Upper hall", ..),
```

Rename one, and the `goto`s that meant it:

```ron
(id: "hall", title: "Hall", ..),
(id: "upper_hall", title: "Upper hall", ..),
```"#

E011 Error "an unknown scene"
r#"A `goto`, the story's `start`, or a condition's `visited`/`visits` names a
scene that no chapter declares. The help line names a near id when there
is one.

```ron
(key: "up", text: "Climb", goto: "atic")
```

Name a scene that exists:

```ron
(key: "up", text: "Climb", goto: "attic")
```"#

E012 Error "an unknown variable"
r#"A condition, a `{var}` in text, an `Add`/`SetVar` effect or a `Per`
adjustment names a variable that is not declared, in `story.ron` or in a
chapter's `variables`.

```ron
(key: "a", text: "Burn", when: "feul > 1", goto: "hall")
```

Fix the name, or declare the variable:

```ron
variables: [(id: "fuel", initial: 3, min: 0, max: 5)],
(key: "a", text: "Burn", when: "fuel > 1", goto: "hall")
```"#

E013 Error "an unknown flag"
r#"A condition or a `SetFlag`/`ClearFlag` effect names a flag that is not
declared in a `flags` list.

```ron
on_enter: [SetFlag("lamp_lit")]    // but flags: ["lit"]
```

Use the declared name, or declare it:

```ron
flags: ["lit", "lamp_lit"],
```"#

E014 Error "an unknown item"
r#"A `has` condition, a `Give`/`Take` effect or the starting `inventory`
names an item that is not declared in an `items` list.

```ron
(key: "open", text: "Unlock it", when: "has key", goto: "vault")
// but items: [(id: "brass_key", name: "a brass key")]
```

Use the item's id:

```ron
(key: "open", text: "Unlock it", when: "has brass_key", goto: "vault")
```"#

E015 Error "an unknown crew member"
r#"An `alive`/`dead` condition or a `Kill` effect names someone who is not in
the story's `crew`.

```ron
on_enter: [Kill("nat")]    // but crew: [(id: "nate", name: "Nate")]
```

Use the crew member's id:

```ron
on_enter: [Kill("nate")]
```"#

E016 Error "an unknown ending"
r#"A condition says `ending x` (the state is at ending `x`), but no scene
declares an ending with that id. A choice goes to an ending's scene; a
condition names the ending by the id in the scene's `ending: (id: ..)`,
which may differ from the scene's own id.

```ron
invariants: ["not (ending drownd and alive gull)"]
```

Name an ending that a scene declares (the did-you-mean offers the nearest):

```ron
invariants: ["not (ending drowned and alive gull)"]
```"#

E020 Error "a condition cannot be read"
r#"A `when`, a `When` adjustment or an `{if ...}` holds a condition that is
not in the condition language: a word out of place, a missing operand, a
number too large, or nesting deeper than 64. Conditions are names joined by
`and`, `or`, `not` and parentheses, and comparisons such as `oil > 2`.

```ron
when: "has key and"
```

Complete it:

```ron
when: "has key and oil > 2"
```"#

E021 Error "text markup cannot be read"
r#"A scene's, a choice's or a branch's text, or a `Say`, has markup that
does not read: an `{if}` or a `{first}` without its `{end}`, an `{elif}`,
`{else}` or `{end}` with no block to belong to, an `{elif}` after the
`{else}`, a variation (`{seq: a | b}`) left open or with no text, a block
opened inside a variation's item and not closed there, an empty tag or one
with a space (`{# mood dread}`), a `{` left open, or blocks and variations
nested deeper than 64.

```ron
text: "{if lit}The lamp burns."
```

Close it:

```ron
text: "{if lit}The lamp burns.{end}"
```"#

E030 Error "a scene with no choices is not an ending"
r#"A scene that is not an ending needs at least one choice, or the player
would be stuck in it.

```ron
(id: "cellar", title: "Cellar", text: "Dark.")
```

Add a choice, or make it an ending:

```ron
(id: "cellar", title: "Cellar", text: "Dark.",
 choices: [(key: "up", text: "Go back up", goto: "hall")])
```"#

E031 Error "an ending scene has choices"
r#"The game stops at an ending, so the choices of an ending scene could never
be taken.

```ron
(id: "cliff", title: "Cliff", text: "x",
 choices: [(key: "jump", text: "Jump", goto: "sea")],
 ending: (id: "fell", title: "Fell", kind: Bad))
```

Remove the choices, or the ending."#

E032 Error "a choice must lead exactly one way"
r#"A choice goes to a scene (`goto`), rolls a random check whose branches
each have their own `goto`, enters a tunnel (`tunnel`, with an optional
`goto` for where the tunnel comes back to), or returns from one
(`return: true`, alone). It cannot do two of these, nor none.

```ron
(key: "jump", text: "Jump", goto: "sea", check: (chance: 50, ..))
(key: "leave", text: "Leave", goto: "street", return: true)
```

Keep one:

```ron
(key: "jump", text: "Jump", check: (chance: 50,
    success: (goto: "ledge"), failure: (goto: "sea")))
(key: "leave", text: "Leave", return: true)
```"#

E033 Error "a check lacks a branch"
r#"A random check needs both a `success` and a `failure` branch, each with
its `goto`.

```ron
check: (chance: 50, success: (goto: "ledge"))
```

Add the other branch:

```ron
check: (chance: 50, success: (goto: "ledge"), failure: (goto: "sea"))
```"#

E034 Error "a variable's bounds do not hold"
r#"A variable's `min` is above its `max`, or its `initial` value lies outside
them.

```ron
(id: "oil", initial: 7, min: 0, max: 5)
```

Make the start fit the bounds:

```ron
(id: "oil", initial: 5, min: 0, max: 5)
```"#

E035 Error "an id or a choice key is not valid"
r#"Ids are 1 to 200 ASCII letters, digits and `_`, not starting with a digit.
Choice keys are 1 to 32 letters, digits, `-` and `_`, and not a number
(numbers pick a choice by its position at the prompt).

```ron
(id: "the hall", ..)
(key: "2", ..)
```

Use a plain name:

```ron
(id: "the_hall", ..)
(key: "second", ..)
```"#

E036 Error "a check's chance is not a percentage"
r#"A check's `chance` is the chance of success in percent: 0 to 100.

```ron
check: (chance: 150, ..)
```

```ron
check: (chance: 100, ..)
```"#

E037 Error "a file cannot be read"
r#"A `.ron` file of the story directory is not valid UTF-8, is larger than
16 MiB, is not a regular file (a FIFO, a device, a socket), was replaced by
another file while the story was being read, or could not be opened. Save the file as UTF-8 text, split a large chapter into several,
and keep only story files in the directory. While a file cannot be read,
what it declares is unknown: an unknown name is still reported, with a
help that says the file may declare it.

```text
hall.ron: saved as Latin-1 (café is the byte 0xE9)
```

Save it as UTF-8."#

E038 Error "a control character in a story file"
r#"A story's text reaches the player's terminal, and control characters there
are commands: they can recolour the screen, retitle the window, write to
the clipboard or clear the screen. A story may hold newlines and tabs, and
no other control character, whether typed as it is or written as an
escape (`\u{1b}`, `\x07`, `\0`) in a string. Comments are never shown
and may hold anything.

```ron
text: "\u{1b}[31mRed alert\u{1b}[0m"
```

Write the words without the escapes:

```ron
text: "Red alert"
```"#

E039 Error "an id, title or name is too long"
r#"Titles and names are shown on one line (the status bar, `stats`, the
saves tables): a title or name (a story's, a chapter's, a scene's, an
ending's, a variable's, an item's, a crew member's name or role) is at
most 500 characters; ids are at most 200 and get E035.

```ron
(id: "hall", title: "The hall, where the long afternoon ... (600 characters)")
```

Keep the title short and put the rest in the scene's text."#

E040 Error "an invisible or reordering character in an id, title or name"
r#"Titles and names are printed on one line, where a carriage return (`\r`)
moves back over what was shown, the bidirectional controls (U+202A to
U+202E, U+2066 to U+2069) reorder what follows, and the zero-width
characters (U+200B to U+200D, U+FEFF) make two names that look the same
differ. None of them may appear in an id, a title or a name.

```ron
(id: "vault", title: "Vault\u{202e}tluaV")
```

Write the title as it should read:

```ron
(id: "vault", title: "Vault")
```"#

E041 Error "a chapter is nested too deep"
r#"Chapters may live in subdirectories of the story directory, at most 16
levels below it. The files of a directory deeper than that are not read,
and this names the directory.

```text
scenes/a/b/c/.../q/chapter.ron    # 17 directories down
```

Move the chapters nearer the story directory."#

E042 Error "two choices of a scene share a key"
r#"Typing a key at the prompt could only pick one of two choices with the
same key, and a save or a plan, which name choices by key, could not tell
them apart: the story does not load. (Before, this was the warning W006.)

```ron
(key: "go", text: "Go north", goto: "north"),
(key: "go", text: "Go south", goto: "south"),
```

Give each its own key:

```ron
(key: "north", text: "Go north", goto: "north"),
(key: "south", text: "Go south", goto: "south"),
```"#

E050 Error "a `return` can be reached outside any tunnel"
r#"A `return: true` choice goes back to the scene its tunnel was entered
from. Here a player can reach the choice's scene from the start without
entering a tunnel (by `goto`s and checks, or after a tunnel has returned),
and there would be nowhere to go back to. Reach the tunnel's scenes only
through a `tunnel` choice, or leave this scene by `goto`.

```ron
(id: "hall", .., choices: [(key: "shop", text: "Shop", goto: "shop")]),
(id: "shop", .., choices: [(key: "out", text: "Leave", return: true)]),
```

Enter the shop as a tunnel:

```ron
(key: "shop", text: "Shop", tunnel: "shop"),   // comes back to `hall`
```"#

E051 Error "tunnels can nest too deep"
r#"Each tunnel entered inside another nests one level deeper, and a
`return` unwinds one. A tunnel that a path from inside it enters again
(before it returns) nests without bound, and no chain of tunnels may nest
more than 16 deep. Inside a tunnel, move between its scenes with `goto`
and leave it with `return: true`; the graph is read without conditions.

```ron
(id: "codex", .., choices: [
    (key: "more", text: "See also", tunnel: "codex_more"),
    (key: "done", text: "Close it", return: true),
]),
(id: "codex_more", .., choices: [(key: "back", text: "Back", tunnel: "codex")]),
```

Go back with `goto` (or `return`):

```ron
(id: "codex_more", .., choices: [(key: "back", text: "Back", goto: "codex")]),
```"#

E052 Error "a line id is used twice"
r#"`{#line:ID}` in a text gives its line (a paragraph, a choice's text, a
`Say`) the id that `callister export` writes, for translations and voice
recordings; two lines cannot share one.

```ron
text: "The hall is cold.{#line:hall_cold}",
.. text: "Pull your coat tighter{#line:hall_cold}",
```

Give each its own:

```ron
.. text: "Pull your coat tighter{#line:hall_coat}",
```"#

E053 Error "a tag is not valid"
r#"A scene's or a choice's `tags` are one word each, of at most 200 bytes,
with no spaces or braces (`voice:kabir_12`, `mood:dread`). A line id is not
a field tag: write `{#line:ID}` in the text whose id it is.

```ron
tags: ["mood: dread", "line:hall_1"],
```

```ron
tags: ["mood:dread"],
text: "The hall is cold.{#line:hall_1}",
```"#

W001 Warning "a scene is unreachable"
r#"No path of choices from the start scene leads to this scene, so no player
will ever see it.

```ron
(id: "attic", title: "Attic", ..)    // no `goto: "attic"` anywhere
```

Add a choice that goes there, or remove the scene:

```ron
(key: "up", text: "Climb to the attic", goto: "attic")
```"#

W002 Warning "an ending can never be reached"
r#"No path of choices from the start scene leads to the scene of this ending,
so it can never be won (or lost).

```ron
(id: "vault", .., ending: (id: "secret", title: "Secret", kind: Good))
```

Add a choice with `goto: "vault"`, or remove the scene."#

W003 Warning "state is never read"
r#"A flag is set, or a hidden variable changed, but no condition or text ever
reads it, so it changes nothing; or a variable, flag, item or crew member is
declared and never used at all.

```ron
flags: ["lit"],
on_enter: [SetFlag("lit")]      // no `when: "lit"` anywhere
```

Read it where it should matter, or remove it:

```ron
(key: "read", text: "Read by the lamp", when: "lit", goto: "study")
```"#

W004 Warning "state is read but never written"
r#"A condition reads a flag that nothing sets, a variable that nothing
changes, or an item that nothing gives, so the condition always gives the
same answer.

```ron
when: "gate_open"      // but no SetFlag("gate_open") anywhere
```

Set it somewhere, or drop the condition:

```ron
effects: [SetFlag("gate_open")]
```"#

W005 Warning "a comparison always or never holds"
r#"A comparison of a variable with a number cannot change its answer within
the variable's bounds.

```ron
variables: [(id: "oil", min: 0, max: 5)],
when: "oil > 9"         // oil is never above 5
```

Compare with a value inside the bounds, or widen them:

```ron
when: "oil > 4"
```"#

W007 Warning "a condition always or never holds"
r#"A condition, or a part of one, gives the same answer whatever the state:
`false`, `lit and not lit`, `oil > 5 and oil < 3`, `visits(hall) < 0`. It is
reported where it is written: a choice's `when`, a check's `When`, an `{if}`
in any text. (A lone comparison of a variable with a number is W005.)

```ron
(key: "pour", text: "Pour", when: "oil > 5 and oil < 3", goto: "end")
```

Say what it should test, or remove it:

```ron
(key: "pour", text: "Pour", when: "oil > 3", goto: "end")
```"#

W008 Warning "scenes lead only to each other"
r#"A group of scenes whose every choice, open or not, leads back into the
group: a player who gets there can never reach an ending. The explorer finds
such traps through the state too (`explore` reports soft-locks); this is the
same finding from the scene graph alone.

```ron
(id: "cell", choices: [(key: "pace", text: "Pace", goto: "corridor")]),
(id: "corridor", choices: [(key: "back", text: "Go back", goto: "cell")]),
```

Give one of them a choice that leads on toward an ending, whatever the state:

```ron
(key: "door", text: "Try the door", goto: "yard"),
```"#
}

impl Code {
    /// A file with this problem could not be read at all, so it declared
    /// nothing: its names would come back as unknown.
    pub fn hides_declarations(self) -> bool {
        matches!(
            self,
            Code::E001 | Code::E002 | Code::E003 | Code::E006 | Code::E037 | Code::E041
        )
    }

    /// An unknown name of some kind (E011 to E016).
    pub fn is_unknown_name(self) -> bool {
        matches!(
            self,
            Code::E011 | Code::E012 | Code::E013 | Code::E014 | Code::E015 | Code::E016
        )
    }

    /// The code written `text` (any case), if there is one.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The code written `text`, or what to tell the author who typed it:
    /// that there is no such code, and the nearest one.
    pub fn lookup(text: &str) -> Result<Code, String> {
        if let Some(code) = Code::parse(text) {
            return Ok(code);
        }
        let typed = text.trim().to_ascii_uppercase();
        let near = crate::story::diagnostic::suggest(&typed, Code::ALL.iter().map(|c| c.as_str()));
        let shown = crate::story::diagnostic::visible(text.trim());
        Err(match near {
            Some(near) => format!("no diagnostic has the code `{shown}`: did you mean `{near}`?"),
            None => format!(
                "no diagnostic has the code `{shown}`: codes are `E001` to `{}` and `W001` to `{}`",
                Code::ALL
                    .iter()
                    .rev()
                    .find(|c| c.severity() == Severity::Error)
                    .map_or("", |c| c.as_str()),
                Code::ALL
                    .iter()
                    .rev()
                    .find(|c| c.severity() == Severity::Warning)
                    .map_or("", |c| c.as_str()),
            ),
        })
    }

    /// What `callister explain CODE` prints: the heading, then the
    /// explanation.
    pub fn explain(self) -> String {
        format!(
            "{} ({}): {}\n\n{}\n",
            self.as_str(),
            match self.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            self.title(),
            self.explanation()
        )
    }

    /// docs/diagnostics.md: the index of every code and its explanation.
    pub fn index_markdown() -> String {
        let mut out = String::from(
            "# Diagnostics\n\n\
             Every problem `callister check` reports has a code: `E0xx` errors \
             stop the story from loading, `W0xx` warnings (the lints) do not. \
             `callister explain CODE` prints one of these explanations. This \
             file is generated from `src/story/code.rs` \
             (`CALLISTER_BLESS=1 cargo test code_index`), and \
             `tests/it/diagnostics.rs` holds it, and a fixture per code, to \
             that list.\n\n\
             | code | severity | what |\n|---|---|---|\n",
        );
        for code in Code::ALL {
            out.push_str(&format!(
                "| [{0}](#{1}) | {2} | {3} |\n",
                code.as_str(),
                code.as_str().to_ascii_lowercase(),
                match code.severity() {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                code.title()
            ));
        }
        for code in Code::ALL {
            out.push_str(&format!(
                "\n## {}\n\n**{}.** {}\n",
                code.as_str(),
                upper_first(code.title()),
                code.explanation()
            ));
        }
        out
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// `text` with its first letter in upper case.
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
