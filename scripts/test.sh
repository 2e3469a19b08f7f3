#!/usr/bin/env bash
# The whole test suite against real PostgreSQL and RabbitMQ (started or installed first if needed).
# The default project runs in parallel; the disruptive one (broker stop/start) runs alone afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh || exit 1
# PGlite (embedded mode) loads its WebAssembly with a dynamic import, which jest allows only with this flag.
export NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}"
out=$(mktemp -d)
status=0
jest --selectProjects default --forceExit --json --outputFile="$out/default.json" "$@" || status=1
# The generated fuzz tests in a fresh process of their own (after the whole default suite in one process,
# they slowed to a crawl).
jest --selectProjects fuzz --forceExit --passWithNoTests --json --outputFile="$out/fuzz.json" "$@" || status=1
bash scripts/ensure-infra.sh >/dev/null 2>&1 || true
jest --selectProjects disruptive --runInBand --forceExit --passWithNoTests --json --outputFile="$out/disruptive.json" "$@" || status=1
bash scripts/ensure-infra.sh >/dev/null 2>&1 || true
node -e '
  let p = 0, f = 0, s = 0;
  for (const file of process.argv.slice(1)) {
    try { const r = require(file); p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + r.numTodoTests; }
    catch { f += 1; console.error("no results in " + file); }
  }
  console.log(`tests: ${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));
' "$out/default.json" "$out/fuzz.json" "$out/disruptive.json"
rm -rf "$out"
exit $status
