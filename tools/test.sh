#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every Bazel test.
# Extra arguments go to `bazel test` (e.g. --test_output=all, a target pattern
# after `--`).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install.sh
exec bazel test //... "$@"
