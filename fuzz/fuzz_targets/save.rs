//! Arbitrary bytes as a save file, read as the saves directory reads one
//! (not UTF-8: refused) and restored against the shipped story and the
//! example story. A save that restores must give a playable game, and
//! writing it again must read back the same; its saves table is inert.

#![no_main]

use std::path::Path;

use callister::play::save::SaveFile;
use callister_fuzz::{check_saves_table, exercise_tree, lighthouse, shipped};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.ron");
    let Ok(save) = SaveFile::parse(text, path) else {
        return;
    };
    // What was read is written back the same.
    let again =
        SaveFile::parse(&save.to_ron().unwrap(), path).expect("a parsed save writes back readable");
    assert_eq!(again, save);
    for story in [shipped(), lighthouse()] {
        check_saves_table(story, &save);
        if let Ok((tree, start, _report)) = save.restore(story, path) {
            assert!(start.index() < story.scenes.len());
            exercise_tree(story, tree);
        }
    }
});
