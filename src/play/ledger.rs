//! The endings ledger: across every playthrough, the endings reached, the
//! choices ever taken, the outcomes of checks seen and the scene texts
//! read; and the player's `skip` setting. One file, `profile.ron`, in the
//! saves directory.
//!
//! Two games may share a saves directory: each change is made to the file
//! as it is on disk, read again under a lock (`Profile::update`), so what
//! the other game recorded in between is kept, never written over.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::play::save::{SaveDir, SaveError, write_serialised};
use crate::story::{ChoiceId, SceneId, Story};

pub const PROFILE_FILE: &str = "profile.ron";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Profile")]
pub struct Profile {
    #[serde(default)]
    pub version: u32,
    /// By story title, so that a story's ledger survives its edits.
    #[serde(default)]
    pub stories: BTreeMap<String, Ledger>,
    /// `skip on`: a scene whose text was read before shows as its title
    /// and one line. For every story.
    #[serde(default)]
    pub skip_seen: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    #[serde(default)]
    pub endings: BTreeMap<String, EndingRecord>,
    /// Every choice ever taken, as `scene/key`.
    #[serde(default)]
    pub choices: BTreeSet<String>,
    /// For each check ever taken (`scene/key`), which outcomes were seen.
    #[serde(default)]
    pub outcomes: BTreeMap<String, Outcomes>,
    /// For each scene by id, the texts of it read in full: the short hash
    /// of each (`text_hash`), the newest last, at most
    /// [`READ_PER_SCENE`]; at most [`READ_SCENES`] scenes.
    #[serde(default)]
    pub read: BTreeMap<String, Vec<String>>,
}

/// The outcomes of one check seen in any playthrough.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub failure: bool,
}

/// What the session is told of the profile: this story's ledger and the
/// player's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    pub ledger: Ledger,
    pub skip_seen: bool,
}

/// How many texts of one scene are remembered (a scene's `{if}`s and
/// `{var}`s give it several); past this the oldest is forgotten, and
/// reads as new again.
pub const READ_PER_SCENE: usize = 8;

/// How many scenes of one story are remembered as read. Past this, the
/// scenes the story no longer has are forgotten first, then the first by
/// id: the profile stays a few megabytes at most whatever is played.
pub const READ_SCENES: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndingRecord {
    /// When it was first reached (Unix seconds).
    pub first: u64,
    /// Turns taken the first time, and the fewest ever.
    pub turns: u32,
    pub fewest_turns: u32,
    pub times: u32,
}

impl Profile {
    /// Reads the profile; a missing file is an empty profile. A corrupt one
    /// is reported and left untouched (the caller decides not to overwrite it).
    pub fn load(dir: &SaveDir) -> Result<Profile, SaveError> {
        let path = dir.dir.join(PROFILE_FILE);
        match crate::play::save::read_bounded(&path, crate::play::save::MAX_SAVE_BYTES) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| SaveError::Corrupt(path.clone(), "it is not UTF-8 text".into()))?;
                ron::Options::default()
                    .with_recursion_limit(64)
                    .from_str(&text)
                    .map_err(|e| SaveError::Corrupt(path, e.to_string()))
            }
            Err(SaveError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Profile::default())
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the profile atomically; one that does not serialise is an
    /// error, and the profile on disk stays as it was.
    pub fn store(&self, dir: &SaveDir) -> Result<(), SaveError> {
        write_serialised(&dir.dir, &dir.dir.join(PROFILE_FILE), || {
            ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::new().struct_names(true))
        })
    }

    /// Makes a change to the profile on disk: under the profile's lock, the
    /// file is read again, changed by `change` and written back, so that
    /// what another game recorded since this one last read it is kept.
    /// Returns the profile as written and what `change` returned. A file
    /// that does not read is an error, and is not written over.
    pub fn update<T>(
        dir: &SaveDir,
        change: impl FnOnce(&mut Profile) -> T,
    ) -> Result<(Profile, T), SaveError> {
        dir.with_lock(crate::play::save::PROFILE_LOCK_FILE, || {
            let mut profile = Profile::load(dir)?;
            let out = change(&mut profile);
            profile.store(dir)?;
            Ok((profile, out))
        })
    }

    pub fn ledger(&self, story: &Story) -> Option<&Ledger> {
        self.stories.get(&story.title)
    }

    pub fn ledger_mut(&mut self, story: &Story) -> &mut Ledger {
        self.stories.entry(story.title.clone()).or_default()
    }

    pub fn record_choice(&mut self, story: &Story, choice: ChoiceId) -> bool {
        let key = choice_key(story, choice);
        self.ledger_mut(story).choices.insert(key)
    }

    pub fn record_ending(&mut self, story: &Story, ending: &str, turns: u32, now: u64) -> bool {
        let ledger = self.ledger_mut(story);
        match ledger.endings.get_mut(ending) {
            Some(r) => {
                r.times += 1;
                r.fewest_turns = r.fewest_turns.min(turns);
                false
            }
            None => {
                ledger.endings.insert(
                    ending.to_string(),
                    EndingRecord {
                        first: now,
                        turns,
                        fewest_turns: turns,
                        times: 1,
                    },
                );
                true
            }
        }
    }

    /// Notes the outcome of a check seen: `success` is whether it
    /// succeeded. Returns whether it was new.
    pub fn record_outcome(&mut self, story: &Story, choice: ChoiceId, success: bool) -> bool {
        let key = choice_key(story, choice);
        let seen = self.ledger_mut(story).outcomes.entry(key).or_default();
        let slot = if success {
            &mut seen.success
        } else {
            &mut seen.failure
        };
        !std::mem::replace(slot, true)
    }

    /// Notes that a scene's text was read in full, by its hash
    /// (`text_hash`). Returns whether it was new. Bounded: see
    /// [`READ_PER_SCENE`] and [`READ_SCENES`].
    pub fn record_read(&mut self, story: &Story, scene: SceneId, hash: &str) -> bool {
        let id = &story.scene(scene).id;
        let read = &mut self.ledger_mut(story).read;
        note_read(read, id, hash, |scene| story.scene_by_id(scene).is_some())
    }

    /// Whether this outcome of a choice's check was seen before.
    pub fn outcome_seen(&self, story: &Story, choice: ChoiceId, success: bool) -> bool {
        self.ledger(story)
            .and_then(|l| l.outcomes.get(&choice_key(story, choice)))
            .is_some_and(|o| if success { o.success } else { o.failure })
    }

    /// Whether this text of a scene was read before.
    pub fn read_before(&self, story: &Story, scene: SceneId, hash: &str) -> bool {
        self.ledger(story)
            .and_then(|l| l.read.get(&story.scene(scene).id))
            .is_some_and(|texts| texts.iter().any(|t| t == hash))
    }

    pub fn taken(&self, story: &Story, choice: ChoiceId) -> bool {
        self.ledger(story)
            .is_some_and(|l| l.choices.contains(&choice_key(story, choice)))
    }
}

/// The short hash that stands for a scene's text as the player read it
/// (its paragraphs, as rendered): 64 bits of BLAKE3, in hex. A different
/// `{if}` branch or value is a different text.
pub fn text_hash(paragraphs: &[String]) -> String {
    let mut hasher = blake3::Hasher::new();
    for p in paragraphs {
        hasher.update(p.as_bytes());
        hasher.update(b"\n\n");
    }
    let hash = hasher.finalize();
    hash.as_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Adds a hash to a scene's list of texts read, newest last, forgetting
/// the oldest past [`READ_PER_SCENE`]. Returns whether it was new.
pub fn remember(texts: &mut Vec<String>, hash: &str) -> bool {
    if texts.iter().any(|t| t == hash) {
        return false;
    }
    if texts.len() >= READ_PER_SCENE {
        texts.drain(..=texts.len() - READ_PER_SCENE);
    }
    texts.push(hash.to_string());
    true
}

/// Notes a text of scene `id` as read in `read`, keeping to
/// [`READ_SCENES`] scenes: when full, the scenes for which `exists` is
/// false are forgotten first, then the first by id. Returns whether the
/// text was new.
fn note_read(
    read: &mut BTreeMap<String, Vec<String>>,
    id: &str,
    hash: &str,
    exists: impl Fn(&str) -> bool,
) -> bool {
    if !read.contains_key(id) && read.len() >= READ_SCENES {
        read.retain(|scene, _| exists(scene));
        while read.len() >= READ_SCENES {
            read.pop_first();
        }
    }
    remember(read.entry(id.to_string()).or_default(), hash)
}

pub(crate) fn choice_key(story: &Story, choice: ChoiceId) -> String {
    let c = story.choice(choice);
    format!("{}/{}", story.scene(c.scene).id, c.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scene_keeps_its_newest_texts_only() {
        let mut texts = Vec::new();
        for i in 0..20 {
            assert!(remember(&mut texts, &format!("{i:016x}")));
        }
        assert!(!remember(&mut texts, &format!("{:016x}", 19)));
        let kept: Vec<String> = (12..20).map(|i| format!("{i:016x}")).collect();
        assert_eq!(texts, kept);
    }

    #[test]
    fn the_scenes_read_are_bounded_and_the_story_s_own_kept_first() {
        let mut read = BTreeMap::new();
        let id = |i: usize| format!("s{i:05}");
        // Every tenth scene is one the story still has.
        let exists = |scene: &str| scene[1..].parse::<usize>().is_ok_and(|i| i % 10 == 0);
        for i in 0..READ_SCENES + 50 {
            note_read(&mut read, &id(i), "0123456789abcdef", exists);
            assert!(read.len() <= READ_SCENES);
        }
        assert!(
            read.contains_key(&id(READ_SCENES + 49)),
            "the newest is kept"
        );
        assert!(read.contains_key(&id(0)), "the story's own scenes are kept");
        assert!(
            !read.contains_key(&id(1)),
            "a scene the story lost goes first"
        );
    }

    #[test]
    fn a_text_hash_is_short_and_tells_texts_apart() {
        let a = text_hash(&["The gauge says 2.".to_string()]);
        let b = text_hash(&["The gauge says 1.".to_string()]);
        let c = text_hash(&["The gauge".to_string(), "says 2.".to_string()]);
        assert_eq!(a.len(), 16);
        assert!(a != b && a != c && b != c);
        assert_eq!(a, text_hash(&["The gauge says 2.".to_string()]));
    }
}
