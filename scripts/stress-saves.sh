#!/usr/bin/env bash
# The saves under stress (issue 13): two games on one saves directory, kills
# at random moments, and a 20,000-step piped session. Prints what it found;
# docs/reliability.md records a run. Exits 1 if any check failed.
#
#   scripts/stress-saves.sh              # everything (a few minutes)
#   KILLS=50 STEPS=5000 scripts/stress-saves.sh
#
# Knobs (environment): KILLS (trials killed with SIGKILL), STEPS (the long
# session's steps), BIN (the binary; else the release build).
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS=${KILLS:-200}
STEPS=${STEPS:-20000}
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/callister
fi
STORY=examples/lighthouse
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary:  $BIN"

# Lines that walk the lighthouse without end: shore -> flats -> shore.
steps() { # N
    python3 -c "import sys; sys.stdout.write('wade\nturn\n' * ($1 // 2))"
}

# The autosave's turn, or -1 when it does not read (from `saves`, which
# only reads).
autosave_turn() { # DIR
    "$BIN" saves --scenes "$STORY" --saves "$1" --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
bad = [u for u in r["unreadable"] if u["slot"] == "autosave"]
good = [s for s in r["saves"] if s["slot"] == "autosave"]
print(-1 if bad else (good[0]["turn"] if good else 0))'
}

echo
echo "1. Two games on one saves directory"
dir=$WORK/two
mkdir -p "$dir"
mkfifo "$WORK/a.in"
"$BIN" --scenes "$STORY" --seed 4 --saves "$dir" < "$WORK/a.in" > "$WORK/a.out" 2>&1 &
a=$!
exec 3>"$WORK/a.in"
steps 100 >&3
for _ in $(seq 100); do
    [ "$(autosave_turn "$dir")" = 100 ] && break
    sleep 0.1
done
[ "$(autosave_turn "$dir")" = 100 ] || fail "the first game's autosave is not at turn 100"
# The second game plays to the lit lamp (seed 4 passes the check); it must
# not autosave over the first.
printf 'shed\nback\nwade\nrun\nunlock\nlight\n' |
    "$BIN" --scenes "$STORY" --seed 4 --saves "$dir" > "$WORK/b.out" 2>&1
grep -q "New ending found: The Light Comes On" "$WORK/b.out" || fail "the second game did not light the lamp"
grep -q "does not autosave" "$WORK/b.out" || fail "the second game was not told it does not autosave"
[ "$(autosave_turn "$dir")" = 100 ] || fail "the second game wrote over the first's autosave"
# The first goes home, the other ending; the ledger keeps both.
printf 'leave\nquit\n' >&3
exec 3>&-
wait $a
endings=$(python3 - "$dir/profile.ron" <<'PY'
import re, sys
print(" ".join(sorted(set(re.findall(r'"(home|lit)": EndingRecord', open(sys.argv[1]).read())))))
PY
)
echo "   first game: autosave at turn 100 kept while the second played; ledger: $endings"
[ "$endings" = "home lit" ] || fail "the ledger lost an ending: $endings"
grep -q "New ending found" "$WORK/a.out" || fail "the first game found no ending"

echo
echo "2. $KILLS kills (SIGKILL) at random moments, each game resuming the last"
dir=$WORK/kills
mkdir -p "$dir"
steps 4000 > "$WORK/long.in"
last=0
lost=0
worst=0
for i in $(seq "$KILLS"); do
    args=(--scenes "$STORY" --seed 1 --saves "$dir")
    [ "$i" -gt 1 ] && args+=(--continue)
    "$BIN" "${args[@]}" < "$WORK/long.in" > /dev/null 2>&1 &
    pid=$!
    sleep "$(python3 -c "import random; print(random.uniform(0.02, 1.2))")"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    turn=$(autosave_turn "$dir")
    if [ "$turn" -lt 0 ]; then
        fail "trial $i: the autosave does not read"
        "$BIN" saves --scenes "$STORY" --saves "$dir" || true
        break
    fi
    # A game resumed at `last` only moves forward: a lower turn is progress
    # lost (one step in flight may be lost: a cut-short journal line).
    if [ "$turn" -lt "$last" ]; then
        drop=$((last - turn))
        lost=$((lost + 1))
        [ "$drop" -gt "$worst" ] && worst=$drop
        [ "$drop" -gt 1 ] && fail "trial $i: the autosave went back from turn $last to $turn"
    fi
    last=$turn
done
tmps=$(find "$dir" -maxdepth 1 -name '.callister-*.tmp' | wc -l)
printf 'resume\n' | "$BIN" --scenes "$STORY" --saves "$dir" --continue > "$WORK/resume.out" 2>&1 ||
    fail "the last game does not resume"
grep -q "Continuing slot \`autosave\`" "$WORK/resume.out" || fail "--continue did not resume the autosave"
echo "   $KILLS kills: the autosave read after every one; final turn $last;"
echo "   trials that lost a step in flight: $lost (at most $worst step); temporary files left: $tmps"

echo
echo "3. A piped session of $STEPS steps"
dir=$WORK/long
steps "$STEPS" > "$WORK/steps.in"
start=$(date +%s.%N)
"$BIN" --scenes "$STORY" --seed 1 --saves "$dir" < "$WORK/steps.in" > /dev/null
end=$(date +%s.%N)
secs=$(python3 -c "print(f'{$end - $start:.2f}')")
turn=$(autosave_turn "$dir")
ron=$(stat -c %s "$dir/autosave.ron")
journal=$(stat -c %s "$dir/autosave.journal")
echo "   $STEPS steps in $secs s; autosave at turn $turn: autosave.ron $ron bytes, journal $journal bytes"
[ "$turn" = "$STEPS" ] || fail "the autosave is at turn $turn, not $STEPS"

echo
if [ "$FAILED" = 0 ]; then echo "all checks passed"; else echo "some checks failed"; fi
exit "$FAILED"
