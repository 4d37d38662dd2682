#!/usr/bin/env bash
# Fault injection for the store the service reads, the operator's way: stop it (clients get
# ECONNREFUSED), start it again (data intact), pause it with SIGSTOP (connections accepted, never
# answered), resume it. The tests drive the same script.
#
#   scripts/store-fault.sh --ceph DIR     stop|start|pause|resume   gateway of scripts/ceph-rgw.sh
#   scripts/store-fault.sh --s3rver DIR   stop|start|pause|resume   store of scripts/s3rver.ts
#   scripts/store-fault.sh --compose      stop|start|pause|resume   MinIO under compose.yaml
# NODE names the node that restarts s3rver (default: node on PATH; it needs Node 24).
set -euo pipefail

die() { echo "store-fault.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:-}
case $kind in
  --ceph | --s3rver) dir=${2:-}; action=${3:-}; [[ -n $dir ]] || die "$kind needs the store's directory" ;;
  --compose) action=${2:-} ;;
  *) die "usage: store-fault.sh --ceph DIR|--s3rver DIR|--compose stop|start|pause|resume" ;;
esac
[[ $action =~ ^(stop|start|pause|resume)$ ]] || die "unknown action '$action': use stop, start, pause or resume"

s3rver_pid() {
  [[ -f $dir/s3rver.pid ]] || die "no s3rver runs in $dir (no $dir/s3rver.pid)"
  cat "$dir/s3rver.pid"
}

s3rver() {
  case $action in
    stop)
      local pid; pid=$(s3rver_pid)
      kill -CONT "$pid"; kill -TERM "$pid"
      local deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || die "s3rver (pid $pid) did not stop within 10 s"
        sleep 0.05
      done
      ;;
    start)
      [[ -f $dir/port ]] || die "$dir/port is missing: start the store once with scripts/s3rver.ts"
      [[ -f $dir/s3rver.pid ]] && kill -0 "$(<"$dir/s3rver.pid")" 2>/dev/null && die "s3rver already runs in $dir"
      # The last start's output goes first: the redirection below happens in the child, after the
      # wait has begun, and that output's exports line would pass for this start's.
      rm -f "$dir/s3rver.out"
      nohup "${NODE:-node}" "$here/s3rver.ts" --dir "$dir" --port "$(<"$dir/port")" >"$dir/s3rver.out" 2>&1 &
      local deadline=$((SECONDS + 10))
      until grep -q '^export AWS_REGION=' "$dir/s3rver.out" 2>/dev/null; do
        ((SECONDS < deadline)) || die "s3rver did not start within 10 s (see $dir/s3rver.out)"
        sleep 0.05
      done
      ;;
    pause) kill -STOP "$(s3rver_pid)" ;;
    resume) kill -CONT "$(s3rver_pid)" ;;
  esac
}

compose() {
  command -v docker >/dev/null || die "docker is not installed"
  local verb=$action
  [[ $action == resume ]] && verb=unpause
  docker compose -f "$here/../compose.yaml" "$verb" minio
}

case $kind in
  --ceph) exec "$here/ceph-rgw.sh" "gateway-$action" "$dir" ;;
  --s3rver) s3rver ;;
  --compose) compose ;;
esac
