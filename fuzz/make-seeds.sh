#!/usr/bin/env bash
# Regenerates fuzz/seeds/: the starting corpora of the fuzz targets, made from
# the shipped story, the example stories, the blessed plans and real saves
# written by the game itself. Run from the repository root after building
# the binary (`cargo build`). Only the saves' `saved_at` differs between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CALLISTER_BIN:-target/debug/callister}
seeds=fuzz/seeds
rm -rf "$seeds"/{compile,save,plan,command}
mkdir -p "$seeds"/{compile,save,plan,command}

# compile: a story's files joined by 0xFF bytes, `story.ron` first.
join() { # OUT FILE...
    local out=$1; shift
    local first=1
    : > "$out"
    for f in "$@"; do
        [ $first = 1 ] || printf '\xff' >> "$out"
        cat "$f" >> "$out"
        first=0
    done
}
join "$seeds/compile/lighthouse" examples/lighthouse/story.ron examples/lighthouse/shore.ron
join "$seeds/compile/side-mission" examples/side-mission/story.ron examples/side-mission/1-green.ron examples/side-mission/2-tent.ron
join "$seeds/compile/prologue" scenes/story.ron scenes/prologue.ron
for dir in tests/fixtures/diagnostics/* tests/fixtures/lint_* tests/fixtures/unreachable_*; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    # The 10,000-deep condition is a regression test, not a useful seed.
    [ "$name" = e020_deep_condition ] && continue
    files=()
    [ -f "$dir/story.ron" ] && files+=("$dir/story.ron")
    for f in "$dir"/*.ron; do
        [ "$(basename "$f")" = story.ron ] || files+=("$f")
    done
    join "$seeds/compile/$name" "${files[@]}"
done

# Hostile shapes the loader and compiler must take in linear time and
# report (issue 13): nested comments hiding control characters, ids and
# titles past their limits or holding bidi and zero-width characters, a
# scene of many choices, and a string of many names.
hostile() { # NAME CHAPTER
    printf 'Story(title: "T", start: "hall", variables: [(id: "oil")], flags: ["lit"], items: [(id: "key", name: "a key")])\xff%s' "$2" > "$seeds/compile/$1"
}
ending='ending: (id: "e", title: "E", kind: Good)'
hostile nested-comments "/* /* */ \" */ Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", /* r#\" /* */ */ text: \"\\u{1b}]52;c;eA==\\u{7}\\u{1b}[2J\", $ending)])"
hostile nested-comments-deep "/* a /* b /* c \" */ \\u{1b} */ r#\" */ Chapter(title: \"One\", /**/ scenes: [(id: \"hall\", title: \"Hall\", text: r#\"$(printf '\x1b')[31m\"#, $ending)]) /* /* */ */"
long=$(printf 'long%.0s' $(seq 1 150))
hostile long-names "Chapter(title: \"$long\", scenes: [(id: \"h$long\", title: \"$long\", text: \"x\", ending: (id: \"e\", title: \"$long\", kind: Good)), (id: \"hall\", title: \"Hall\", text: \"{oil}\", $ending)])"
hostile hidden-in-names 'Chapter(title: "One\r", scenes: [(id: "hall", title: "Vault \u{202e}tluaV\u{200b}", text: "x", ending: (id: "e", title: "E\u{feff}", kind: Good))])'
choices=$(for i in $(seq 1 200); do printf '(key: "k%d", text: "Choice %d", when: "oil > %d", goto: "hall"), ' "$i" "$i" "$i"; done)
hostile many-choices "Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", text: \"x\", choices: [$choices])])"
# Markup nested to its limit and past it, variations in variations, and
# tunnels that nest, recurse and return from nowhere (issue 15).
deep=$(printf '{seq: a | %.0s' $(seq 1 70))$(printf '}%.0s' $(seq 1 70))
hostile deep-variations "Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", text: \"$deep {first}{if lit}x{elif oil > 1}y{else}{cycle: {shuffle: p | q} | r}{end}{end}{#line:a}\", $ending)])"
tunnels=$(for i in $(seq 1 20); do printf '(id: "t%d", title: "T", text: "{once: a | b}", choices: [(key: "in", text: "In", tunnel: "t%d", tags: ["k:%d"]), (key: "out", text: "Out", return: true)]), ' "$i" "$((i % 7 + 1))" "$i"; done)
hostile tunnels "Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", text: \"x\", choices: [(key: \"in\", text: \"In\", tunnel: \"t1\", goto: \"t2\"), (key: \"out\", text: \"Out\", return: true)]), $tunnels])"
names=$(for i in $(seq 1 2000); do printf 'lit and has key and oil > %d and ' "$i"; done)
hostile many-names "Chapter(title: \"One\", scenes: [(id: \"hall\", title: \"Hall\", text: \"{if $names lit}x{end}\", choices: [(key: \"go\", text: \"Go\", when: \"\\u{6c}it and $names lit\", goto: \"hall\")])])"

# plan: every blessed plan.
for f in tests/playthroughs/*.plan.ron examples/*/plans/*.plan.ron; do
    story=$(basename "$(dirname "$(dirname "$f")")")
    case $f in tests/*) story=shipped ;; esac
    cp "$f" "$seeds/plan/$story-$(basename "$f")"
done

# save: real saves, written by the game playing each blessed plan through a
# pipe: a slot mid-way, and one at the end after a step back and a new
# branch (format 2); and the format 1 saves of tests/fixtures/saves.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
play() { # NAME SCENES-ARGS... < plan
    local name=$1; shift
    local plan=$1; shift
    local seed
    seed=$(sed -n 's/^ *seed: *\([0-9]*\).*/\1/p' "$plan" | head -n1)
    mapfile -t keys < <(sed -n '/choices:/,/\]/p' "$plan" | grep -o '"[^"]*"' | tr -d '"' | sed 's/:\(pass\|fail\)$//')
    local half=$(( ${#keys[@]} / 2 ))
    {
        printf '%s\n' "${keys[@]:0:$half}"
        echo "save mid"
        printf '%s\n' "${keys[@]:$half}"
        echo "undo 2"
        echo "1"
        echo "save end"
        echo "quit"
    } | NO_COLOR=1 "$bin" --seed "${seed:-0}" --saves "$tmp/$name" "$@" > /dev/null
    for slot in mid end; do
        [ -f "$tmp/$name/$slot.ron" ] && cp "$tmp/$name/$slot.ron" "$seeds/save/$name-$slot.ron"
    done
}
for f in tests/playthroughs/*.plan.ron; do
    play "shipped-$(basename "$f" .plan.ron)" "$f"
done
for f in examples/lighthouse/plans/*.plan.ron; do
    play "lighthouse-$(basename "$f" .plan.ron)" "$f" --scenes examples/lighthouse
done
# Saves of format 1, written by the game before format 2: still read.
cp tests/fixtures/saves/v1-*.ron "$seeds/save/"

# Hostile saves and plans (issue 13): names that control the terminal (a
# window title, a clipboard write, a screen clear, a C1 CSI) and names too
# long for a padded column (70,000 characters), in a real save of the
# lighthouse and in plans.
ctl='\u{1b}]0;pwned\u{7}\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{9b}31m'
ctl_sed=${ctl//\\/\\\\}
long70k=$(printf 'long%.0s' $(seq 1 17500))
real="$tmp/lighthouse-lit/end.ron"
sed -e "s/^    story: \"The Lighthouse\",/    story: \"The Lighthouse$ctl_sed\",/" \
    -e "s/^        scene: \"lamp\",/        scene: \"gone$ctl_sed\",/" \
    -e "s/key: \"unlock\"/key: \"unlock$ctl_sed\"/" \
    "$real" > "$seeds/save/hostile-control-names.ron"
sed -e "s/^        scene: \"lamp\",/        scene: \"gone$ctl_sed\",/" \
    "$real" > "$seeds/save/hostile-control-scene.ron"
sed -e "s/^    story: \"The Lighthouse\",/    story: \"$long70k\",/" \
    "$real" > "$seeds/save/hostile-long-story.ron"
sed -e "s/^        scene: \"lamp\",/        scene: \"$long70k\",/" \
    -e "s/key: \"unlock\"/key: \"$long70k\"/" \
    "$real" > "$seeds/save/hostile-long-names.ron"
printf 'Plan(seed: 1, choices: ["shed", "%s", "back:pass"], expect: (scene: "%s", ending: "%s", hold: ["has %s"]))\n' \
    "$ctl" "$ctl" "$ctl" "$ctl" > "$seeds/plan/hostile-control-keys.plan.ron"
printf 'Plan(from: "%s", choices: ["shed"])\n' "$ctl" > "$seeds/plan/hostile-control-from.plan.ron"
printf 'Plan(set: ["oil=%s", "%s=1"], choices: ["shed"])\n' "$ctl" "$ctl" > "$seeds/plan/hostile-control-set.plan.ron"
printf 'Plan(choices: ["shed", "%s"], expect: (scene: "%s", hold: ["has %s"]))\n' \
    "$long70k" "$long70k" "$long70k" > "$seeds/plan/hostile-long-names.plan.ron"

# command: lines typed at the prompt, one session per file.
cat > "$seeds/command/commands" <<'LINES'
help
look
status
inventory
1
2
undo
undo 2
history
rewind 1
branches
branch 1
save
save slot-1
load
load quick
saves
delete quick
endings
transcript on
transcript off
reload
restart
quit
LINES
printf 'l\ni\n?\nh\nu\ntree\nstats\nexit\nq\n' > "$seeds/command/short"
printf 'undo 0\nundo -1\nrewind 99999999999999999999\nbranch 0\nsave a b\ntranscript on a b\nlook now\n' > "$seeds/command/malformed"
printf '  LOOK  \nSave Mine\n\t3\n999\n0\n' > "$seeds/command/case-and-space"
for f in tests/playthroughs/drift.plan.ron tests/playthroughs/full_crew.plan.ron; do
    sed -n '/choices:/,/\]/p' "$f" | grep -o '"[^"]*"' | tr -d '"' | sed 's/:\(pass\|fail\)$//' \
        > "$seeds/command/walk-$(basename "$f" .plan.ron)"
done
echo "seeds: $(find "$seeds" -type f | wc -l) files"
