#!/usr/bin/env bash
# The built-in demo: a Debian nginx image built from packages, distilled with a curl test.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "distill demo: not complete yet; see README for what works today." >&2
./build/distill --help
