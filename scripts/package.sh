#!/usr/bin/env bash
# Builds the npm package of the wasm engine with `wasm-pack build --target web` into pkg/, for
# pages that load the engine without the playground's own front end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_test_tools

# wasm-opt is off in Cargo.toml's wasm-pack metadata: wasm-pack would download binaryen, and
# Debian's binaryen 108 writes modules that fail at load.
wasm-pack build --target web --release --out-dir pkg
ls -l pkg
