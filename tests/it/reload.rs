//! `reload` at the prompt: the story is re-read and the game goes on in the
//! new version; a broken edit is shown and the old version kept.

use std::path::PathBuf;

use callister::engine::State;
use callister::play::host::GameHost;
use callister::play::save::SaveDir;
use callister::play::session::{Look, Session};

fn setup() -> (tempfile::TempDir, tempfile::TempDir, Session, GameHost) {
    let story_dir = tempfile::tempdir().unwrap();
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/lighthouse");
    for f in ["story.ron", "shore.ron"] {
        std::fs::copy(src.join(f), story_dir.path().join(f)).unwrap();
    }
    let saves = tempfile::tempdir().unwrap();
    let story = callister::story::compile::load_dir(story_dir.path()).unwrap();
    let state = State::new(&story, 3);
    let session = Session::new(story, state, Look::default());
    let (host, _) = GameHost::new(
        SaveDir {
            dir: saves.path().into(),
        },
        "shore".into(),
        Some(story_dir.path().into()),
        false,
    );
    (story_dir, saves, session, host)
}

#[test]
fn reload_picks_up_an_edit_and_keeps_the_game() {
    let (dir, _saves, mut session, mut host) = setup();
    let (out, _) = session.input("shed", &mut host);
    assert!(out.contains("The Boat Shed"));
    let path = dir.path().join("shore.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("Nets, a smell of tar", "Nets, a smell of creosote"),
    )
    .unwrap();
    let (out, _) = session.input("reload", &mut host);
    assert!(out.contains("Reloaded"), "{out}");
    assert!(out.contains("a smell of creosote"), "{out}");
    // The history survived: undo goes back to the shore.
    let (out, _) = session.input("undo", &mut host);
    assert!(out.contains("The tide has gone out"), "{out}");
}

#[test]
fn reload_with_errors_keeps_playing_the_old_version() {
    let (dir, _saves, mut session, mut host) = setup();
    let path = dir.path().join("shore.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("goto: \"flats\"", "goto: \"flatz\"")).unwrap();
    let (out, _) = session.input("reload", &mut host);
    assert!(out.contains("error[E011]: unknown scene `flatz`"), "{out}");
    assert!(out.contains("did you mean `flats`?"), "{out}");
    assert!(
        out.contains("still playing the version loaded before"),
        "{out}"
    );
    let (out, _) = session.input("wade", &mut host);
    assert!(out.contains("The Flats"), "{out}");
}
