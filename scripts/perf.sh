#!/usr/bin/env bash
# The figures of docs/performance.md, measured on the release binary:
# wall time and peak memory (/usr/bin/time) of check, random playthroughs,
# exploration and start to first prompt, on synthetic stories of 1k, 10k and
# 100k scenes. Save and load figures come from `cargo bench --bench save`.
#
#   scripts/perf.sh                  # everything (a few minutes)
#   SIZES="1000 10000" scripts/perf.sh
#
#   SIZES=none scripts/perf.sh       # start to first prompt only
#
# Knobs (environment): SIZES, SEED, RANDOM_RUNS, EXPLORE_STATES_<size>
# (the --max-states cap per size), EXPLORE_TIMEOUT (seconds), STARTUP_RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 10000 100000"}
SEED=${SEED:-1}
RANDOM_RUNS=${RANDOM_RUNS:-200000}
EXPLORE_TIMEOUT=${EXPLORE_TIMEOUT:-120}
STARTUP_RUNS=${STARTUP_RUNS:-50}
# Caps that finish in seconds today; raise them as the explorer gets faster.
EXPLORE_STATES_1000=${EXPLORE_STATES_1000:-200000}
EXPLORE_STATES_10000=${EXPLORE_STATES_10000:-5000}
EXPLORE_STATES_100000=${EXPLORE_STATES_100000:-1000}

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }

cargo build --release --locked --quiet
BIN=$PWD/target/release/callister
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# run LABEL CMD...: runs CMD with /usr/bin/time; sets WALL (s), RSS (MB), RC.
run() {
    local label=$1
    shift
    RC=0
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
    # A failing command adds a line before the figures: read the last one.
    read -r WALL KB < <(tail -n 1 "$WORK/time") || { WALL=nan; KB=0; }
    RSS=$(python3 -c "print(f'{$KB/1024:.0f}')")
    printf '  %-28s %8ss %7s MB  (exit %s)\n' "$label" "$WALL" "$RSS" "$RC" >&2
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM" >&2
echo "binary:  $BIN" >&2
echo >&2

ROWS=()
[ "$SIZES" = none ] && SIZES=""
for n in $SIZES; do
    dir=$WORK/s$n
    "$BIN" synth --scenes "$n" --seed "$SEED" "$dir" >/dev/null
    bytes=$(cat "$dir"/*.ron | wc -c)
    echo "$n scenes ($((bytes / n)) bytes/scene):" >&2

    # Load and compile alone: `stats` loads, then counts (negligible).
    run "load (stats)" "$BIN" stats "$dir"
    load_wall=$WALL load_rss=$RSS

    run "load + check" "$BIN" check "$dir"
    check_wall=$WALL check_rss=$RSS
    grep -q "no problems found" "$WORK/out" || echo "  warning: check found problems" >&2

    run "random x$RANDOM_RUNS" "$BIN" explore "$dir" --random "$RANDOM_RUNS" --seed "$SEED" --json
    choices=$(python3 -c "import json,sys; r=json.load(open('$WORK/out')); print(sum(r['scene_hits'])-r['runs'])")
    random_rate=$(python3 -c "t=max($WALL-$load_wall,1e-3); print(f'{$choices/t/1e6:.2f}')")

    var=EXPLORE_STATES_$n
    cap=${!var:-10000}
    run "explore --max-states $cap" timeout "$EXPLORE_TIMEOUT" "$BIN" explore "$dir" --max-states "$cap"
    if line=$(grep -m1 '^explored' "$WORK/out"); then
        states=$(echo "$line" | awk '{print $2}')
        secs=$(echo "$line" | awk '{print $5}' | tr -d 's:')
        explore_rate=$(python3 -c "print(f'{$states/max($secs,1e-6)/1e3:.1f}')")
        per_state=$(python3 -c "print(f'{max($RSS-$load_rss,0)*1048576/$states:.0f}')")
        explore="$states states in ${secs}s: ${explore_rate}k states/s, peak ${RSS} MB (~${per_state} B/state above the loaded story)"
    else
        explore="no result within ${EXPLORE_TIMEOUT}s (cap $cap)"
    fi
    ROWS+=("| $n | $((bytes / n)) | ${load_wall} s | ${check_wall} s | ${check_rss} MB | ${random_rate} M/s ($choices choices) | $explore |")
done

echo "start to first prompt of the shipped game ($STARTUP_RUNS runs, input \`quit\`):" >&2
saves=$WORK/saves
mkdir -p "$saves"
# Spawn to the first `> ` on stdout, stdin a pipe (closed after, as Ctrl-D).
startup=$(python3 - "$BIN" "$saves" "$STARTUP_RUNS" <<'PY'
import os, subprocess, sys, time
binary, saves, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times, cpu = [], []
for _ in range(runs):
    t = time.perf_counter()
    p = subprocess.Popen([binary, "--seed", "1", "--saves", saves], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={"NO_COLOR": "1"})
    seen = b""
    while not seen.endswith(b"> "):
        chunk = p.stdout.read1(8192)
        if not chunk:
            break
        seen += chunk
    times.append(time.perf_counter() - t)
    p.stdin.write(b"quit\n")
    p.stdin.close()
    # The whole process's CPU time (user and system), start to exit: on a
    # shared machine the steadier figure.
    _, _, usage = os.wait4(p.pid, 0)
    cpu.append(usage.ru_utime + usage.ru_stime)
times.sort()
cpu.sort()
print(f"{sum(times)/len(times)*1e3:.1f} ms mean, {times[len(times)//2]*1e3:.1f} ms median, {times[0]*1e3:.1f} ms min; "
      f"CPU {cpu[len(cpu)//2]*1e3:.1f} ms median, {cpu[0]*1e3:.1f} ms min")
PY
)
echo "  $startup" >&2

echo
echo "| scenes | bytes/scene | load + compile | load + check | peak memory (check) | random playthroughs | exploration |"
echo "|---:|---:|---:|---:|---:|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Start to first prompt: $startup"
