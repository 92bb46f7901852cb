#!/usr/bin/env bash
# Builds the playground and serves it on http://127.0.0.1:8080/ (PORT changes the port).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec node www/serve.mjs
