//! Stories are data: a story directory cannot reach outside itself.

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_story_directory_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.ron"),
        r#"Chapter(title: "Outside", scenes: [(id: "secret", title: "Secret", text: "x", ending: (id: "s", title: "S", kind: Good))])"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("story.ron"),
        r#"Story(title: "T", start: "a")"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.ron"),
        r#"Chapter(title: "A", scenes: [(id: "a", title: "A", text: "x", ending: (id: "a", title: "A", kind: Good))])"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.ron"),
        dir.path().join("link.ron"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked-dir")).unwrap();
    let story = callister::compile::load_dir(dir.path()).unwrap();
    assert!(story.scene_by_id("secret").is_none());
    assert_eq!(story.scenes.len(), 1);
}
