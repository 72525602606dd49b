#!/usr/bin/env bash
# Revision 2026-07-28 against the official conformance suite (0.2.0-alpha.12):
#  1. the scored --requirements 2026-07-28 run against the conformance fixture (exit code);
#  2. the tasks extension scenarios (SEP-2663, not scored by the suite) against the tasks
#     fixture, failing this script on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
runner=${CONFORMANCE_RUNNER:-../shared/conformance/run}
[ -x "$runner" ] || { echo "conformance runner not found at $runner (set CONFORMANCE_RUNNER)" >&2; exit 2; }
export CONFORMANCE_VERSION=${CONFORMANCE_VERSION:-0.2.0-alpha.12}
cargo build -q -p fastmcp-examples --bin conformance --bin tasks
out=$(mktemp -d)
trap 'rm -rf "$out"; kill "${FIXTURE_PID:-}" "${TASKS_PID:-}" 2>/dev/null || true' EXIT

coproc FIXTURE { exec target/debug/conformance --port 0; }
read -r -t 60 line <&"${FIXTURE[0]}"
echo "conformance fixture at ${line#listening on }"
"$runner" "${line#listening on }" --requirements 2026-07-28
kill "$FIXTURE_PID"; wait "$FIXTURE_PID" 2>/dev/null || true

# The suite registers failing_job as task-required (the 2025-11-25 fixture has it optional).
coproc TASKS { exec target/debug/tasks --port 0 --require-task failing_job; }
read -r -t 60 line <&"${TASKS[0]}"
url=${line#listening on }
echo "tasks fixture at $url"
for scenario in tasks-lifecycle tasks-capability-negotiation tasks-wire-fields tasks-request-state-removal \
  tasks-mrtr-input tasks-request-headers tasks-dispatch-and-envelope tasks-status-notifications \
  tasks-required-task-error tasks-mrtr-composition; do
  "$runner" "$url" --scenario "$scenario" --spec-version 2026-07-28 --force -o "$out" >/dev/null 2>&1 || true
done
python3 - "$out" <<'PY'
import glob, json, sys
failed, passed = [], 0
for path in sorted(glob.glob(f"{sys.argv[1]}/*/checks.json")):
    for check in json.load(open(path)):
        if check["status"] == "FAILURE":
            failed.append(f'{path.split("/")[-2]}: {check["id"]}: {check.get("errorMessage", "")}')
        elif check["status"] == "SUCCESS":
            passed += 1
scenarios = len(glob.glob(f"{sys.argv[1]}/*/checks.json"))
print(f"tasks extension: {scenarios} scenarios, {passed} checks passed, {len(failed)} failed")
for f in failed:
    print("  FAILED", f)
sys.exit(1 if failed or scenarios < 10 else 0)
PY
