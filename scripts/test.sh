#!/usr/bin/env bash
# The test command: starts the real infrastructure the tests use, then runs every test.
# Extra arguments go to "dotnet test" (e.g. --filter "FullyQualifiedName~Storage").
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/infra.sh up

# The end-to-end tests drive the OpenAI-compatible endpoint with the official OpenAI SDK (npm).
if ! command -v node >/dev/null 2>&1; then
  echo "[test] installing Node.js (Debian packages) for the OpenAI SDK check"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm >/dev/null; fi
fi
npm ci --prefix tests/ImageGen.EndToEnd.Tests/openai-sdk --no-audit --no-fund --loglevel=error
# The deployment tests validate deploy/k8s offline against the Kubernetes schemas (npm kubernetes-models).
npm ci --prefix deploy/k8s --no-audit --no-fund --loglevel=error

results="$(mktemp -d)"
status=0
dotnet test ImageGen.sln -nologo --logger "trx" --results-directory "${results}" "$@" \
  2>&1 | tee "${results}/output.log" || status=$?

# One closing line over all test assemblies.
passed=$( (grep -hoE 'Passed: +[0-9]+' "${results}/output.log" || true) | awk '{s+=$2} END {print s+0}')
failed=$( (grep -hoE 'Failed: +[0-9]+' "${results}/output.log" || true) | awk '{s+=$2} END {print s+0}')
if [ "${status}" -ne 0 ] && [ "${failed}" -eq 0 ]; then failed=1; fi  # a build or runner failure counts too
echo "tests: ${passed} passed, ${failed} failed"
exit "${status}"
