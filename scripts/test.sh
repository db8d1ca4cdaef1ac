#!/usr/bin/env bash
# The whole test suite on the real local stack. Brings up what the tests need by itself:
# binaries (setup.sh), then Temporal + MinIO + Postgres (services.sh). Services this script
# started are stopped at the end; ones that were already running are left alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh --browser
started=""
if ! bash scripts/services.sh status >/dev/null 2>&1; then
  bash scripts/services.sh up
  started=1
fi
# The streaming tests run against a real Kafka broker (scripts/services.sh up kafka); stopped again if started here.
kafka_started=""
if ! bash scripts/services.sh status kafka >/dev/null 2>&1; then
  bash scripts/services.sh up kafka
  kafka_started=1
fi
trap '[ -n "$kafka_started" ] && bash scripts/services.sh down kafka; [ -n "$started" ] && bash scripts/services.sh down; true' EXIT

npx tsc --noEmit -p .
# ESLint (typescript-eslint's recommended rules) and prettier --check: a lint finding fails the run like a test.
npm run lint
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# One plain closing line that any CI reader understands.
node -e 'const r = require("./test-artifacts/vitest.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' || true
exit $status
