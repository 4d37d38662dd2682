#!/usr/bin/env bash
# A single-node Ceph cluster with the RADOS Gateway (S3) on 127.0.0.1, for tests and for trying
# the service against a real store: one monitor, one in-memory OSD (memstore), one gateway.
#
#   scripts/ceph-rgw.sh start DIR [RGW_PORT]   boot in DIR (created; installs Debian packages when
#                                              missing), then print the service's env (eval it)
#   scripts/ceph-rgw.sh env DIR                print that env again
#   scripts/ceph-rgw.sh stop DIR               stop every daemon (by PID file)
#   scripts/ceph-rgw.sh destroy DIR            stop, then remove DIR (only a DIR this script made)
#   scripts/ceph-rgw.sh gateway-stop DIR       outage: stop only the gateway (clients: ECONNREFUSED)
#   scripts/ceph-rgw.sh gateway-start DIR      recovery: start it again, data intact
#   scripts/ceph-rgw.sh gateway-pause DIR      SIGSTOP: connections accepted, never answered
#   scripts/ceph-rgw.sh gateway-resume DIR
#   scripts/ceph-rgw.sh gateway-ensure DIR     the gateway running and answering, whatever was done to it
#   scripts/ceph-rgw.sh tls-gateway-start DIR PORT CERT KEY
#                                              a second gateway on the same cluster, its own TLS listener
#                                              on 127.0.0.1:PORT with that certificate (PEM files)
#   scripts/ceph-rgw.sh tls-gateway-stop DIR
#
# The daemons run in sessions of their own (setsid), as daemons do: whoever started them (a
# terminal, a test file) can end without taking them along; `stop` and `destroy` end them.
# Every wait is bounded; daemon logs go to DIR/log/. Facts behind the settings: CONTRIBUTING.md, "Stores".
set -euo pipefail

readonly marker=.ceph-rgw-launcher
readonly boot_timeout=60
command=${1:-}
dir=${2:-}
# Chosen at start, kept in DIR/ports, read back by load_ports.
mon_port='' osd_port_min='' osd_port_max='' rgw_port=''

die() { echo "ceph-rgw.sh: $*" >&2; exit 1; }
[[ -n $command && -n $dir ]] || die "usage: ceph-rgw.sh start|env|stop|destroy|gateway-stop|gateway-start|gateway-pause|gateway-resume|gateway-ensure DIR"

conf() { echo "$dir/ceph.conf"; }
# Without a mgr some commands hang: every ceph call is bounded.
ceph_cli() { timeout 10 ceph -c "$(conf)" -n client.admin "$@"; }

load_ports() {
  # shellcheck source=/dev/null
  source "$dir/ports"
}

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.1 s.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what (logs: $dir/log/)"
    sleep 0.1
  done
}

# retry N COMMAND...: one-shot ceph commands can fail while the monitor settles.
retry() {
  local attempts=$1; shift
  for ((i = 1; i <= attempts; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  die "failed $attempts times: $*"
}

ensure_packages() {
  command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw >/dev/null && return
  echo "ceph-rgw.sh: installing ceph-mon ceph-osd radosgw from Debian" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw >&2
}

# Runs a daemon in the foreground of a background job, in a session of its own, with its PID in
# DIR/run/NAME.pid (a background job of this script leads no process group, so setsid execs the
# daemon in place: $! is the daemon).
start_daemon() {
  local name=$1; shift
  setsid "$@" >"$dir/log/$name.out" 2>&1 </dev/null &
  echo $! >"$dir/run/$name.pid"
}

stop_daemon() {
  local name=$1 pid_file="$dir/run/$1.pid"
  [[ -f $pid_file ]] || return 0
  local pid; pid=$(<"$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pid_file"
}

signal_daemon() {
  local pid_file="$dir/run/$1.pid"
  [[ -f $pid_file ]] || die "$1 is not running (no $pid_file)"
  kill "-$2" "$(<"$pid_file")"
}

print_env() {
  load_ports
  cat <<EOF
export S3_ENDPOINT=http://127.0.0.1:$rgw_port
export AWS_ACCESS_KEY_ID=$(<"$dir/access-key")
export AWS_SECRET_ACCESS_KEY=$(<"$dir/secret-key")
export AWS_REGION=us-east-1
export CEPH_OUTSIDER_ACCESS_KEY_ID=$(<"$dir/outsider-access-key")
export CEPH_OUTSIDER_SECRET_ACCESS_KEY=$(<"$dir/outsider-secret-key")
export CEPH_RGW_LOG=$dir/log/client.rgw.a.log
EOF
}

gateway_answers() {
  load_ports
  (exec 3<>"/dev/tcp/127.0.0.1/$rgw_port") 2>/dev/null
}

start_gateway() {
  start_daemon client.rgw.a radosgw -f -c "$(conf)" -n client.rgw.a
  wait_until "$boot_timeout" "the gateway to listen" gateway_answers
}

tls_gateway_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The beast frontend's own TLS listener, in a daemon of its own (its own key, data directory, log):
# the plain gateway goes on as it is.
start_tls_gateway() {
  local port=$1 certificate=$2 private_key=$3
  [[ -n $port && -f $certificate && -f $private_key ]] || die "usage: tls-gateway-start DIR PORT CERT KEY"
  port_is_free "$port" || die "port $port is in use"
  ceph_cli auth get-or-create client.rgw.tls mon 'allow rw' osd 'allow rwx' >"$dir/keyring.rgw.tls"
  mkdir -p "$dir/rgw-tls"
  start_daemon client.rgw.tls radosgw -f -c "$(conf)" -n client.rgw.tls --keyring "$dir/keyring.rgw.tls" \
    --rgw-frontends "beast ssl_endpoint=127.0.0.1:$port ssl_certificate=$certificate ssl_private_key=$private_key" \
    --rgw-data "$dir/rgw-tls" --log-file "$dir/log/client.rgw.tls.log"
  wait_until "$boot_timeout" "the TLS gateway to listen" tls_gateway_answers "$port"
}

# Picks a block of free ports: monitor, twenty for the OSD's messengers, the gateway.
choose_ports() {
  local rgw_port=${1:-}
  for ((attempt = 0; attempt < 50; attempt++)); do
    local base=$((20000 + RANDOM % 20000)) free=yes
    for ((p = base; p <= base + 20; p++)); do port_is_free "$p" || { free=no; break; }; done
    [[ $free == yes ]] || continue
    local gateway=${rgw_port:-$((base + 21))}
    port_is_free "$gateway" || { [[ -n $rgw_port ]] && die "port $rgw_port is in use"; continue; }
    printf 'mon_port=%s\nosd_port_min=%s\nosd_port_max=%s\nrgw_port=%s\n' \
      "$base" "$((base + 1))" "$((base + 20))" "$gateway" >"$dir/ports"
    return
  done
  die "found no free ports"
}

write_conf() {
  load_ports
  cat >"$(conf)" <<EOF
[global]
fsid = $fsid
mon host = [v1:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
ms bind port min = $osd_port_min
ms bind port max = $osd_port_max
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
# One copy of everything, small placement groups, no autoscaler: a one-OSD cluster.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
# Without these each pool takes ~2 s to create and the gateway ~9 s to start.
paxos propose interval = 0.05
paxos min wait = 0.01
osd objectstore = memstore
memstore device bytes = 2147483648
osd crush update on start = false
osd class update on start = false
mon data avail crit = 1

[client.rgw.a]
# tcp_nodelay: without it every GET with a body takes ~45 ms more.
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $dir/rgw
# memstore keeps deleted data in RAM until garbage collection; collect it soon.
rgw gc obj min wait = 5
rgw gc processor period = 10
# Level 1 logs one access line per request (the tests count GETs answered 200 and 304).
debug rgw = 1
EOF
}

create_keyring() {
  local keyring="$dir/keyring"
  ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n osd.0 \
    --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' >/dev/null
}

random_key() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }

# create_user UID FILE_PREFIX: its keys go to DIR/PREFIXaccess-key and DIR/PREFIXsecret-key.
create_user() {
  local uid=$1 access secret
  access=$(random_key 20 | tr '[:lower:]' '[:upper:]') secret=$(random_key 40)
  retry 5 timeout 20 radosgw-admin -c "$(conf)" -n client.admin user create \
    --uid="$uid" --display-name="$uid" --access-key="$access" --secret-key="$secret" >/dev/null
  echo "$access" >"$dir/${2}access-key"
  echo "$secret" >"$dir/${2}secret-key"
}

osd_is_up() { ceph_cli osd stat 2>/dev/null | grep -q '1 up'; }
mon_answers() { [[ $(ceph_cli fsid 2>/dev/null) == "$fsid" ]]; }

start() {
  if [[ -e $dir && ! -f $dir/$marker ]] && [[ -n $(ls -A "$dir" 2>/dev/null) ]]; then
    die "$dir is not empty and was not made by this script: refusing to use it"
  fi
  [[ -f $dir/run/ceph-mon.pid ]] && die "a cluster already runs in $dir (stop it first)"
  ensure_packages
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  touch "$dir/$marker"
  rm -rf "$dir/mon" "$dir/osd" "$dir/rgw" "$dir/run" "$dir/log"
  mkdir -p "$dir/mon/ceph-a" "$dir/osd/ceph-0" "$dir/rgw" "$dir/run" "$dir/log"

  fsid=$(cat /proc/sys/kernel/random/uuid)
  choose_ports "${3:-}"
  write_conf
  create_keyring
  load_ports
  # --addv with an explicit v1 address: plain --add records msgr2 on non-default ports and the
  # monitor then never reaches quorum.
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$(conf)" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >"$dir/log/mkfs-mon.out" 2>&1
  start_daemon ceph-mon ceph-mon -f -c "$(conf)" -i a
  wait_until "$boot_timeout" "the monitor (fsid $fsid)" mon_answers

  local osd_uuid; osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  retry 5 ceph_cli osd new "$osd_uuid" 0 >/dev/null
  retry 5 ceph_cli osd crush add osd.0 1.0 root=default host=localhost >/dev/null
  ceph-osd -c "$(conf)" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$dir/log/mkfs-osd.out" 2>&1
  start_daemon ceph-osd ceph-osd -f -c "$(conf)" -i 0
  wait_until "$boot_timeout" "the OSD to be up" osd_is_up

  start_gateway
  create_user tester ""
  create_user outsider outsider-
  print_env
}

stop_all() {
  for name in client.rgw.tls client.rgw.a ceph-osd ceph-mon; do stop_daemon "$name"; done
}

# For destroy: the data goes with the directory, so nothing needs a graceful stop (each daemon
# takes 1.5-2 s to end on SIGTERM).
kill_all() {
  local pids=() name
  for name in client.rgw.tls client.rgw.a ceph-osd ceph-mon; do
    [[ -f $dir/run/$name.pid ]] && pids+=("$(<"$dir/run/$name.pid")")
  done
  ((${#pids[@]} > 0)) || return 0
  kill -KILL "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "${pids[@]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  rm -f "$dir"/run/*.pid
}

# Whatever a test did to the gateway (stopped, paused), it is running and answering afterwards.
ensure_gateway() {
  local pid_file="$dir/run/client.rgw.a.pid"
  if [[ -f $pid_file ]] && kill -0 "$(<"$pid_file")" 2>/dev/null; then
    kill -CONT "$(<"$pid_file")"
    wait_until "$boot_timeout" "the gateway to answer" gateway_answers
  else
    start_gateway
  fi
}

case $command in
  start) start "$@" ;;
  env) print_env ;;
  stop) stop_all ;;
  destroy)
    [[ -d $dir ]] || exit 0
    [[ -f $dir/$marker ]] || die "$dir was not made by this script: refusing to remove it"
    kill_all
    rm -rf "$dir"
    ;;
  gateway-stop) stop_daemon client.rgw.a ;;
  gateway-start) start_gateway ;;
  gateway-pause) signal_daemon client.rgw.a STOP ;;
  gateway-resume) signal_daemon client.rgw.a CONT ;;
  gateway-ensure) ensure_gateway ;;
  tls-gateway-start) start_tls_gateway "${3:-}" "${4:-}" "${5:-}" ;;
  tls-gateway-stop) stop_daemon client.rgw.tls ;;
  *) die "unknown command $command" ;;
esac
