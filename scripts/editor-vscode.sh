#!/usr/bin/env bash
# The VS Code extension's grammar on lines of the shipped scenes, tokenised
# as VS Code does (npm's vscode-textmate and vscode-oniguruma, installed
# from the lock file when missing), and the extension's script checked.
# Run by .ci/run after `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../editors/vscode"

command -v node >/dev/null || { echo "editor-vscode: needs node and npm" >&2; exit 2; }
if [ ! -d node_modules/vscode-textmate ] || [ ! -d node_modules/vscode-oniguruma ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
node --check extension.js
node --test test/
