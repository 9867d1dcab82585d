#!/usr/bin/env bash
# Bazel sh_test entry for Python unittest files: runs
#   /usr/bin/python3 test/support/junit_runner.py <test file>
# from the runfiles tree, with the runfiles root and test/support on PYTHONPATH.
set -euo pipefail
root="${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-microgw}"
cd "$root"
export PYTHONPATH="$root/test/support:$root${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
export PYTHONUNBUFFERED=1
exec /usr/bin/python3 "$root/test/support/junit_runner.py" "$@"
