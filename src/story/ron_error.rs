//! RON syntax and shape errors as diagnostics, at their place in the file.

use crate::story::code::Code;
use crate::story::compile::RECURSION_LIMIT;
use crate::story::diagnostic::{Diagnostic, suggest};
use crate::story::source::{FileId, Sources, Span};

/// Turns a ron error into a diagnostic at its position.
pub(crate) fn ron_error(
    sources: &Sources,
    file: FileId,
    e: &ron::error::SpannedError,
) -> Diagnostic {
    use ron::error::Error as E;
    let source = sources.get(file);
    let start = source.offset(e.span.start.line, e.span.start.col);
    let mut end = source.offset(e.span.end.line, e.span.end.col);
    if end <= start {
        end = start
            + source.text[start..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
    }
    let (code, message, help) = match &e.code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let help = match suggest(found, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "expected one of {}",
                    expected
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let within = outer
                .as_ref()
                .map(|o| format!(" in `{o}`"))
                .unwrap_or_default();
            (
                Code::E002,
                format!("unknown field `{found}`{within}"),
                Some(help),
            )
        }
        E::MissingStructField { field, outer } => {
            let within = outer
                .as_ref()
                .map(|o| format!(" in `{o}`"))
                .unwrap_or_default();
            (Code::E003, format!("missing field `{field}`{within}"), None)
        }
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => {
            let help = match suggest(found, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "expected one of {}",
                    expected
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let message = match outer.as_deref() {
                Some("Effect") => format!("unknown effect `{found}`"),
                Some("Adjust") => format!("unknown check adjustment `{found}`"),
                Some("EndingKind") => format!("unknown ending kind `{found}`"),
                Some(o) => format!("unknown variant `{found}` of `{o}`"),
                None => format!("unknown variant `{found}`"),
            };
            (Code::E002, message, Some(help))
        }
        E::ExceededRecursionLimit => (
            Code::E001,
            format!("nested more than {RECURSION_LIMIT} levels deep"),
            None,
        ),
        other => (Code::E001, lowercase_first(&other.to_string()), None),
    };
    let mut d = Diagnostic::error(code, message).at(Span { file, start, end }, "");
    if let Some(help) = help {
        d = d.help(help);
    }
    d
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !c.clone().next().is_some_and(char::is_uppercase) => {
            f.to_lowercase().chain(c).collect()
        }
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}
