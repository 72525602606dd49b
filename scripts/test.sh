#!/usr/bin/env bash
# The whole test suite: installs what the tests need (redis-server, for the docket tests that
# start their own servers on free ports), then runs every test of the workspace.
#   scripts/test.sh [cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null
  fi
fi
exec cargo test --workspace "$@"
