//! `--set NAME=VALUE`: presetting state to test a scene (authors).

use crate::engine::State;
use crate::story::Story;

/// Applies one `NAME=VALUE` to a state. NAME is a variable (VALUE an
/// integer, clamped to its bounds), a flag or an item (`true`/`false`), or a
/// crew member (`alive`/`dead`).
pub fn apply(story: &Story, state: &mut State, assignment: &str) -> Result<(), String> {
    let Some((name, value)) = assignment.split_once('=') else {
        return Err(format!("`{assignment}` is not NAME=VALUE"));
    };
    let (name, value) = (name.trim(), value.trim());
    let boolean = || match value {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(format!("`{name}` takes `true` or `false`, not `{value}`")),
    };
    if let Some(v) = story.var_by_id(name) {
        let n: i64 = value
            .parse()
            .map_err(|_| format!("`{name}` is a variable: `{value}` is not an integer"))?;
        state.set_var(story, v, n);
    } else if let Some(f) = story.flag_by_id(name) {
        state.flags.set(f.index(), boolean()?);
    } else if let Some(i) = story.item_by_id(name) {
        state.items.set(i.index(), boolean()?);
    } else if let Some(c) = story.crew_by_id(name) {
        let dead = match value {
            "dead" => true,
            "alive" => false,
            _ => {
                return Err(format!(
                    "`{name}` is a crew member: use `{name}=alive` or `{name}=dead`"
                ));
            }
        };
        state.dead.set(c.index(), dead);
    } else {
        let names = story
            .variables
            .iter()
            .map(|v| v.id.as_str())
            .chain(story.flags.iter().map(|f| f.id.as_str()))
            .chain(story.items.iter().map(|i| i.id.as_str()))
            .chain(story.crew.iter().map(|c| c.id.as_str()));
        let hint = crate::story::diagnostic::suggest(name, names)
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "unknown variable, flag, item or crew member `{name}`{hint}"
        ));
    }
    Ok(())
}
