#!/usr/bin/env bash
# Builds the playground into dist/: the release wasm module, its wasm-bindgen glue and the page.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_build_tools

cargo build --release --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir www/pkg \
  target/wasm32-unknown-unknown/release/dfdx_playground.wasm
node www/build.mjs "$@"
