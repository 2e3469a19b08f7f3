#!/usr/bin/env bash
# Builds infra/Dockerfile without a container registry (machines that reach only Debian's and npm's
# package repositories), then smoke-tests the image: the first-admin bootstrap, a service started by the
# image's default command, a login, and SIGTERM → exit 0. Opt-in (not part of `npm test`: ~5 minutes).
#
#   sudo bash scripts/build-image-offline.sh            (root on Debian; installs buildah and debootstrap)
#
# The base image `node:24-slim` cannot be pulled here, so one is made under that name: a minimal Debian
# (debootstrap, from the mirror apt already uses), the Node 24 binary of the `node` devDependency, npm,
# and a `node` user (uid 1000) as in the official image. The Dockerfile itself is used unchanged. The
# smoke test uses `buildah run` (chroot isolation): it shows the image's contents run, not a container
# runtime's limits (podman cannot set rlimits in this sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[build-image] %s\n' "$*" >&2; }
B=(buildah --storage-driver vfs)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing buildah and debootstrap from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap >/dev/null
fi
[ -x node_modules/node/bin/node ] || { say "run npm ci first (the Node 24 binary comes from it)"; exit 1; }

# Debian's own archive among apt's sources (a URI ending in /debian).
mirror=$({ grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null || true; } |
  head -1 | tr -d ' ')
[ -n "$mirror" ] || { say "no Debian archive found among apt's sources"; exit 1; }
say "base image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=ca-certificates bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log"
mkdir -p "$WORK/rootfs/usr/local/bin" "$WORK/rootfs/usr/local/lib/node_modules"
cp -L node_modules/node/bin/node "$WORK/rootfs/usr/local/bin/node"
cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$WORK/rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$WORK/rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$WORK/rootfs/usr/local/bin/npx"
chroot "$WORK/rootfs" groupadd -g 1000 node
chroot "$WORK/rootfs" useradd -u 1000 -g node -m -s /bin/sh node
extra_env=()
# A machine whose package traffic goes through a proxy with its own CA trusts it through
# NODE_EXTRA_CA_CERTS; the build stage's `npm ci` needs the same trust.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$WORK/rootfs/etc/ssl/certs/extra-ca.crt"
  extra_env=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.crt)
fi
rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb
c=$("${B[@]}" from scratch)
cp -a "$WORK/rootfs/." "$("${B[@]}" mount "$c")/"
"${B[@]}" umount "$c" >/dev/null
"${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_env[@]}" --cmd node "$c"
"${B[@]}" rmi -f docker.io/library/node:24-slim >/dev/null 2>&1 || true
"${B[@]}" commit -q "$c" docker.io/library/node:24-slim >/dev/null
"${B[@]}" rm "$c" >/dev/null

say "building infra/Dockerfile from the committed tree (git archive HEAD)"
mkdir "$WORK/context"
git archive HEAD | tar -x -C "$WORK/context"
(cd "$WORK/context" && "${B[@]}" bud --pull=never --isolation chroot --network host --layers=false \
  -f infra/Dockerfile -t geminis/geminis:local .)

say "smoke test: bootstrap, identity from the default command, login, SIGTERM"
db=gm_image_$RANDOM
psql -h 127.0.0.1 -U postgres -qc "CREATE ROLE geminis_image LOGIN NOSUPERUSER NOBYPASSRLS" 2>/dev/null || true
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db OWNER geminis_image"
url=postgres://geminis_image@127.0.0.1:5432/$db
key=$(head -c 32 /dev/urandom | base64)
c=$("${B[@]}" from --pull=never localhost/geminis/geminis:local)
run=("${B[@]}" run --isolation chroot --network host)
for _ in 1 2; do # the second run is a no-op
  "${run[@]}" -e DATABASE_URL="$url" -e BOOTSTRAP_ADMIN_EMAIL=ops@example.com \
    -e BOOTSTRAP_ADMIN_PASSWORD='a long admin passphrase' "$c" -- node services/identity/src/bootstrap-admin.js
done
cmd=$(node -e "const s=require('fs').readFileSync('infra/Dockerfile','utf8');process.stdout.write(JSON.parse(/^CMD (\[.*\])$/m.exec(s)[1])[2])")
"${run[@]}" -e SERVICE=identity -e PORT=4911 -e HOST=127.0.0.1 -e DATABASE_URL="$url" \
  -e AMQP_URL="${TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}" -e IDENTITY_ENCRYPTION_KEY="$key" \
  -e INTERNAL_SERVICE_KEY="$key" -e OTEL_TRACES_EXPORTER=none "$c" -- node -e "$cmd" >"$WORK/identity.log" 2>&1 &
runner=$!
for _ in $(seq 1 60); do curl -sf 127.0.0.1:4911/readyz >/dev/null && break; sleep 1; done
curl -sf 127.0.0.1:4911/v1/auth/login -H 'content-type: application/json' \
  -d '{"email":"ops@example.com","password":"a long admin passphrase"}' | grep -q accessToken
pid=$(ss -ltnp | grep ':4911 ' | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2)
kill -TERM "$pid"
status=0
wait "$runner" || status=$?
"${B[@]}" rm "$c" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $db WITH (FORCE)"
grep -q '"msg":"shut down"' "$WORK/identity.log" && [ "$status" = 0 ] || {
  cat "$WORK/identity.log" >&2
  say "identity did not drain and exit 0 (status $status)"
  exit 1
}
say "image geminis/geminis:local built; bootstrap, start, login and SIGTERM drain passed"
