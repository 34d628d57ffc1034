#!/usr/bin/env bash
# The test command: starts the real infrastructure the tests use, then runs every test.
# Extra arguments go to "dotnet test" (e.g. --filter "FullyQualifiedName~Storage").
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/infra.sh up

results="$(mktemp -d)"
status=0
dotnet test ImageGen.sln -nologo --logger "console;verbosity=normal" --logger "trx" --results-directory "${results}" "$@" \
  2>&1 | tee "${results}/output.log" || status=$?

# One closing line over all test assemblies.
passed=$(grep -hoE 'Passed: +[0-9]+' "${results}/output.log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -hoE 'Failed: +[0-9]+' "${results}/output.log" | awk '{s+=$2} END {print s+0}')
echo "tests: ${passed} passed, ${failed} failed"
exit "${status}"
