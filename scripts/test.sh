#!/usr/bin/env bash
# Runs every test: native Rust tests, the wasm API in headless Chromium (wasm-pack), then the
# built page end to end. Installs what is missing first (see scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_test_tools

log "Native tests (cargo test)"
cargo test

log "wasm tests in headless Chromium (wasm-pack test --headless --chrome)"
# Release build: debug wasm trains about 200 times slower. webdriver.json holds Chromium's flags.
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" \
  wasm-pack test --headless --chrome --release -- --test web --test gemm_simd

log "Building the npm package (wasm-pack build --target web)"
wasm-pack build --target web --release --out-dir pkg
test -s pkg/dfdx_playground_bg.wasm

log "Building the page"
scripts/build.sh

log "End-to-end tests of the page (node --test, Chromium through playwright-core)"
cd www
node --test tests/
