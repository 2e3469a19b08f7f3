#!/usr/bin/env bash
# Runs the benchmarks under bench/ (all, or the ones named): each prints its ratio against a baseline
# measured in the same run. They need the same local PostgreSQL and RabbitMQ as the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh
export TEST_PG_ADMIN_URL=${TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export TEST_AMQP_URL=${TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls bench))
for name in "${names[@]}"; do
  echo "== bench/$name"
  tsx "bench/$name/run.ts"
done
