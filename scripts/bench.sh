#!/usr/bin/env bash
# Builds the playground and runs the benchmark against TensorFlow.js in headless Chromium
# (about 6 minutes on 2 cores); results go to bench/results.json and the printed tables.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
setup_test_tools
scripts/build.sh
node bench/page.mjs "$@"
