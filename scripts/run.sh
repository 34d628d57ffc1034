#!/usr/bin/env bash
# The run command: starts the whole of ImageGen on this machine, in the foreground.
#   - starts PostgreSQL, RabbitMQ and Redis on loopback (installing them from Debian packages if missing)
#   - builds the solution and starts every service through ImageGen.AppHost (.NET Aspire)
#   - prints the gateway URL and the Aspire dashboard URL
# Ctrl-C or SIGTERM stops every service, and the infrastructure too if this script started it
# (IMAGEGEN_KEEP_INFRA=1 leaves it running).
set -euo pipefail
cd "$(dirname "$0")/.."

GATEWAY_PORT="${IMAGEGEN_GATEWAY_PORT:-8080}"
DASHBOARD_URL="${IMAGEGEN_DASHBOARD_URL:-http://localhost:15888}"

infra_was_up=0
scripts/infra.sh status >/dev/null 2>&1 && infra_was_up=1
scripts/infra.sh up >/dev/null

echo "[run] building ImageGen"
dotnet build ImageGen.AppHost/ImageGen.AppHost.csproj -nologo -v quiet -clp:ErrorsOnly

# The AppHost binary is started directly rather than through "dotnet run" so that SIGTERM reaches
# it: it then stops every service it started. These variables are what its launch profile sets.
export ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development
export ASPNETCORE_URLS="${DASHBOARD_URL}"
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="${IMAGEGEN_OTLP_URL:-http://localhost:19999}"
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL="${IMAGEGEN_RESOURCE_SERVICE_URL:-http://localhost:20000}"
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export Gateway__Port="${GATEWAY_PORT}"

# Started from its own folder: that is its content root, where its appsettings.json is read.
(cd ImageGen.AppHost && exec bin/Debug/net10.0/ImageGen.AppHost) &
apphost=$!

stop() {
  trap - INT TERM
  echo "[run] stopping ImageGen"
  kill -TERM "${apphost}" 2>/dev/null || true
  wait "${apphost}" 2>/dev/null || true
  if [ "${infra_was_up}" = 0 ] && [ "${IMAGEGEN_KEEP_INFRA:-0}" != 1 ]; then scripts/infra.sh down; fi
  exit 0
}
trap stop INT TERM

# Announce the URLs once the gateway answers its health probe.
for _ in $(seq 1 180); do
  if ! kill -0 "${apphost}" 2>/dev/null; then break; fi
  if curl -fsS "http://127.0.0.1:${GATEWAY_PORT}/health" >/dev/null 2>&1; then
    cat <<MSG

  ImageGen is running.
    Gateway (API):     http://127.0.0.1:${GATEWAY_PORT}
    API reference:     http://127.0.0.1:${GATEWAY_PORT}/scalar/v1
    Aspire dashboard:  ${DASHBOARD_URL}  (the login link with its token is in the log above)
  Try:
    curl -X POST http://127.0.0.1:${GATEWAY_PORT}/v1/jobs -H 'content-type: application/json' -d '{"prompt":"a red fox in snow"}'
  Ctrl-C stops everything.

MSG
    break
  fi
  sleep 1
done

wait "${apphost}" || true
stop
