//! The endings ledger: across every playthrough, the endings reached and
//! the choices ever taken. One file, `profile.ron`, in the saves directory.
//!
//! Two games may share a saves directory: each change is made to the file
//! as it is on disk, read again under a lock (`Profile::update`), so what
//! the other game recorded in between is kept, never written over.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::play::save::{SaveDir, SaveError, write_serialised};
use crate::story::{ChoiceId, Story};

pub const PROFILE_FILE: &str = "profile.ron";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Profile")]
pub struct Profile {
    #[serde(default)]
    pub version: u32,
    /// By story title, so that a story's ledger survives its edits.
    #[serde(default)]
    pub stories: BTreeMap<String, Ledger>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    #[serde(default)]
    pub endings: BTreeMap<String, EndingRecord>,
    /// Every choice ever taken, as `scene/key`.
    #[serde(default)]
    pub choices: BTreeSet<String>,
}

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

    pub fn taken(&self, story: &Story, choice: ChoiceId) -> bool {
        self.ledger(story)
            .is_some_and(|l| l.choices.contains(&choice_key(story, choice)))
    }
}

pub fn choice_key(story: &Story, choice: ChoiceId) -> String {
    let c = story.choice(choice);
    format!("{}/{}", story.scene(c.scene).id, c.key)
}
