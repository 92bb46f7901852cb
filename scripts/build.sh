#!/usr/bin/env bash
# Builds the playground into dist/: the release wasm modules, their wasm-bindgen glue and the
# page.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_build_tools

# Three modules from one crate (src/web.rs): CPU training, which the page loads at start, then
# WebGPU training and the code export with model files, which the Worker imports on first use.
# All builds write the same file name, so each is bound before the next build.
module=target/wasm32-unknown-unknown/release/dfdx_playground.wasm
cargo build --release --target wasm32-unknown-unknown --no-default-features --features web-training
wasm-bindgen --target web --out-dir www/pkg "$module"
cargo build --release --target wasm32-unknown-unknown --no-default-features --features web-gpu
wasm-bindgen --target web --out-dir www/pkg --out-name dfdx_playground_gpu "$module"
cargo build --release --target wasm32-unknown-unknown --no-default-features --features web-tools
wasm-bindgen --target web --out-dir www/pkg --out-name dfdx_playground_tools "$module"
node www/build.mjs "$@"
