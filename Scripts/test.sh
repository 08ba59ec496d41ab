#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test. Exit status is
# non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build --build-tests
swift test "$@"
