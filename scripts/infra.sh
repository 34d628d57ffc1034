#!/usr/bin/env bash
# Local infrastructure for ImageGen: PostgreSQL, RabbitMQ and Redis on loopback.
# Used alike by the run command (scripts/run.sh), the test command (scripts/test.sh) and CI.
#
#   scripts/infra.sh up       install what is missing (Debian packages), start, create role/db/vhost
#   scripts/infra.sh down     stop what this script started
#   scripts/infra.sh status   show what is up
#   scripts/infra.sh env      print the connection strings as shell exports
#
# Idempotent: running "up" twice changes nothing the second time.
set -euo pipefail

PG_PORT="${IMAGEGEN_PG_PORT:-5432}"
REDIS_PORT="${IMAGEGEN_REDIS_PORT:-6379}"
RABBIT_PORT="${IMAGEGEN_RABBIT_PORT:-5672}"
DB_USER="imagegen"
DB_PASSWORD="imagegen"
RABBIT_USER="imagegen"
RABBIT_PASSWORD="imagegen"
PG_VERSION=""

log() { printf '[infra] %s\n' "$*" >&2; }

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
  local missing=()
  command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} from Debian packages"
    sudo_if_needed apt-get update -qq
    # Package post-install scripts try to start services through init; this script starts them itself.
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
}

pg_up() {
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^${PG_VERSION} main$"; then
    log "creating PostgreSQL ${PG_VERSION} cluster"
    sudo_if_needed pg_createcluster "${PG_VERSION}" main -p "${PG_PORT}" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="${PG_VERSION}" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting PostgreSQL ${PG_VERSION} on port ${PG_PORT}"
    sudo_if_needed pg_ctlcluster "${PG_VERSION}" main start
  fi
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p "${PG_PORT}" -q && break
    sleep 0.5
  done
  pg_isready -h 127.0.0.1 -p "${PG_PORT}" -q || { log "PostgreSQL did not become ready"; exit 1; }
  # Role with CREATEDB: tests make a fresh database each so runs never see each other's rows.
  sudo_if_needed su postgres -c "psql -p ${PG_PORT} -qtAc \"DO \\\$\\\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_USER}') THEN
        CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}';
      END IF; END \\\$\\\$;\"" >/dev/null
  # Tests drop their throwaway databases WITH (FORCE), which may have to end an autovacuum worker.
  sudo_if_needed su postgres -c "psql -p ${PG_PORT} -qtAc 'GRANT pg_signal_backend TO ${DB_USER}'" >/dev/null
  for db in imagegen imagegen_stats; do
    if ! sudo_if_needed su postgres -c "psql -p ${PG_PORT} -qtAc \"SELECT 1 FROM pg_database WHERE datname='${db}'\"" | grep -q 1; then
      sudo_if_needed su postgres -c "createdb -p ${PG_PORT} -O ${DB_USER} ${db}"
    fi
  done
}

redis_up() {
  if redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping >/dev/null 2>&1; then return; fi
  log "starting Redis on port ${REDIS_PORT}"
  # Append-only file: pending provider polls live in Redis and must survive a Redis restart.
  local dir="${IMAGEGEN_DATA:-/var/tmp/imagegen}/redis"
  mkdir -p "${dir}"
  redis-server --daemonize yes --port "${REDIS_PORT}" --bind 127.0.0.1 --dir "${dir}" \
    --pidfile "${dir}/redis.pid" --logfile "${dir}/redis.log" --save "" --appendonly yes --appendfsync everysec
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping >/dev/null 2>&1 && return
    sleep 0.1
  done
  log "Redis did not become ready"; exit 1
}

rabbit_ready() { rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; }

rabbit_up() {
  if ! rabbit_ready; then
    log "starting RabbitMQ on port ${RABBIT_PORT}"
    RABBITMQ_NODE_PORT="${RABBIT_PORT}" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 120); do
      rabbit_ready && break
      sleep 0.5
    done
    rabbit_ready || { log "RabbitMQ did not become ready"; exit 1; }
  fi
  if ! rabbitmqctl -q list_users 2>/dev/null | awk '{print $1}' | grep -qx "${RABBIT_USER}"; then
    rabbitmqctl -q add_user "${RABBIT_USER}" "${RABBIT_PASSWORD}" >/dev/null
  fi
  # "/" serves the run command; the test vhosts keep test queues apart from it and from each other.
  for vhost in / imagegen-test imagegen-test-generation imagegen-test-stats imagegen-test-providers imagegen-e2e; do
    rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx -- "${vhost}" || rabbitmqctl -q add_vhost "${vhost}" >/dev/null
    rabbitmqctl -q set_permissions -p "${vhost}" "${RABBIT_USER}" ".*" ".*" ".*" >/dev/null
  done
}

print_env() {
  cat <<ENV
export ConnectionStrings__imagegendb="Host=127.0.0.1;Port=${PG_PORT};Username=${DB_USER};Password=${DB_PASSWORD};Database=imagegen"
export ConnectionStrings__statsdb="Host=127.0.0.1;Port=${PG_PORT};Username=${DB_USER};Password=${DB_PASSWORD};Database=imagegen_stats"
export ConnectionStrings__messaging="amqp://${RABBIT_USER}:${RABBIT_PASSWORD}@127.0.0.1:${RABBIT_PORT}/"
export ConnectionStrings__redis="127.0.0.1:${REDIS_PORT}"
ENV
}

status() {
  local rc=0
  if pg_isready -h 127.0.0.1 -p "${PG_PORT}" -q 2>/dev/null; then echo "postgresql: up (127.0.0.1:${PG_PORT})"; else echo "postgresql: down"; rc=1; fi
  if redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping >/dev/null 2>&1; then echo "redis: up (127.0.0.1:${REDIS_PORT})"; else echo "redis: down"; rc=1; fi
  if rabbit_ready; then echo "rabbitmq: up (127.0.0.1:${RABBIT_PORT})"; else echo "rabbitmq: down"; rc=1; fi
  return $rc
}

down() {
  if rabbit_ready; then log "stopping RabbitMQ"; rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  if redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" ping >/dev/null 2>&1; then log "stopping Redis"; redis-cli -h 127.0.0.1 -p "${REDIS_PORT}" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ -n "${PG_VERSION}" ] && pg_isready -h 127.0.0.1 -p "${PG_PORT}" -q 2>/dev/null; then
    log "stopping PostgreSQL"; sudo_if_needed pg_ctlcluster "${PG_VERSION}" main stop || true
  fi
}

case "${1:-}" in
  up) ensure_packages; pg_up; redis_up; rabbit_up; status ;;
  down) PG_VERSION="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1)"; down ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
