#!/usr/bin/env bash
# Makes PostgreSQL and RabbitMQ reachable for the test suite on a fresh machine:
# reachable already → nothing to do; installed but stopped → start; missing → install from Debian
# packages (root on Debian); otherwise stop and say exactly what to install or which URLs to set.
set -euo pipefail

PG_HOST=${TEST_PG_HOST:-127.0.0.1}
PG_PORT=${TEST_PG_PORT:-5432}
AMQP_HOST=${TEST_AMQP_HOST:-127.0.0.1}
AMQP_PORT=${TEST_AMQP_PORT:-5672}

say() { printf '[ensure-infra] %s\n' "$*" >&2; }
reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # host port seconds
  local i
  for ((i = 0; i < $3; i++)); do reachable "$1" "$2" && return 0; sleep 1; done
  return 1
}
can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  reachable "$PG_HOST" "$PG_PORT" && return 0
  if ! command -v pg_ctlcluster >/dev/null; then
    if can_install; then
      say "PostgreSQL is not installed: installing it from Debian packages"
      apt_install postgresql
      local ver hba
      ver=$(ls /etc/postgresql | sort -V | tail -1)
      hba=/etc/postgresql/$ver/main/pg_hba.conf
      # Local tests connect as postgres over 127.0.0.1 without a password, like the stock dev machines.
      grep -q '^host all all 127.0.0.1/32 trust' "$hba" || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    else
      say "PostgreSQL is not reachable on $PG_HOST:$PG_PORT and cannot be installed here."
      say "Install it (apt-get install postgresql) or point TEST_PG_ADMIN_URL at a superuser URL."
      exit 1
    fi
  fi
  local ver
  for ver in $(ls /etc/postgresql); do
    say "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || true
  done
  wait_for "$PG_HOST" "$PG_PORT" 30 || { say "PostgreSQL did not come up on $PG_HOST:$PG_PORT"; exit 1; }
}

ensure_rabbitmq() {
  if reachable "$AMQP_HOST" "$AMQP_PORT"; then return 0; fi
  if ! command -v rabbitmq-server >/dev/null; then
    if can_install; then
      say "RabbitMQ is not installed: installing it from Debian packages"
      apt_install rabbitmq-server
    else
      say "RabbitMQ is not reachable on $AMQP_HOST:$AMQP_PORT and cannot be installed here."
      say "Install it (apt-get install rabbitmq-server) or point TEST_AMQP_URL at a broker."
      exit 1
    fi
  fi
  # A broker whose app was stopped (rabbitmqctl stop_app) answers rabbitmqctl but not AMQP.
  if command -v rabbitmqctl >/dev/null && rabbitmqctl -q status >/dev/null 2>&1; then
    say "starting the RabbitMQ application"
    rabbitmqctl -q start_app >/dev/null 2>&1 || true
  else
    say "starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  wait_for "$AMQP_HOST" "$AMQP_PORT" 90 || { say "RabbitMQ did not come up on $AMQP_HOST:$AMQP_PORT"; exit 1; }
  rabbitmqctl -q await_startup >/dev/null 2>&1 || true
}

REDIS_HOST=${TEST_REDIS_HOST:-127.0.0.1}
REDIS_PORT=${TEST_REDIS_PORT:-6379}

# Redis backs the gateway's shared rate-limit store (several replicas); its test needs one.
ensure_redis() {
  reachable "$REDIS_HOST" "$REDIS_PORT" && return 0
  if ! command -v redis-server >/dev/null; then
    if can_install; then
      say "Redis is not installed: installing it from Debian packages"
      apt_install redis-server
    else
      say "Redis is not reachable on $REDIS_HOST:$REDIS_PORT: install it (apt-get install redis-server)."
      exit 1
    fi
  fi
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
  wait_for "$REDIS_HOST" "$REDIS_PORT" 30 || { say "Redis did not come up on $REDIS_HOST:$REDIS_PORT"; exit 1; }
}

# test/deploy renders the Kubernetes manifests with `kubectl kustomize` (kustomize v3.7+ inside kubectl 1.19+;
# the manifests use `patches`). The machine image ships kubectl; otherwise Debian's packages are tried.
ensure_kubectl() {
  command -v kubectl >/dev/null && return 0
  if can_install; then
    say "kubectl is not installed: installing it from Debian packages"
    apt_install kubectl 2>/dev/null || apt_install kubernetes-client || true
  fi
  command -v kubectl >/dev/null || {
    say "kubectl is missing: install it (apt-get install kubectl, or kubernetes-client) for test/deploy"
    exit 1
  }
}

ensure_postgres
ensure_rabbitmq
ensure_redis
ensure_kubectl
say "PostgreSQL on $PG_HOST:$PG_PORT, RabbitMQ on $AMQP_HOST:$AMQP_PORT and Redis on $REDIS_HOST:$REDIS_PORT are reachable"
