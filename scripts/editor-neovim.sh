#!/usr/bin/env bash
# The language server in a real editor: headless Neovim (Debian's `neovim`,
# installed when missing) opens a scene file of examples/lighthouse with
# editors/neovim/callister.lua, and scripts/editor-neovim.lua makes a typo,
# reads the diagnostic and a go-to-definition back through Neovim's own LSP
# client, and fixes it. Run by .ci/run after `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvim >/dev/null; then
    echo "editor-neovim: installing neovim" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq neovim >/dev/null
fi

cargo build --locked --quiet --bin callister
BIN=$PWD/target/debug/callister
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r examples/lighthouse "$WORK/lighthouse"

# Neovim's LSP log goes to the scratch directory, not the user's state.
export XDG_STATE_HOME=$WORK/state XDG_CACHE_HOME=$WORK/cache
timeout 120 nvim --headless -n -u NONE -i NONE \
    --cmd "let g:callister_command = '$BIN'" \
    --cmd "luafile editors/neovim/callister.lua" \
    -c "luafile scripts/editor-neovim.lua" \
    "$WORK/lighthouse/shore.ron"
echo "editor-neovim: passed"
