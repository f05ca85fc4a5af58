# shellcheck shell=bash
# Helpers shared by env/up.sh, env/down.sh and env/components/*.sh: paths, logging, apt, pid files, waiting,
# and merging connection details into .run/env.json. Sourced, never executed.

ENV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENV_DIR="$ENV_ROOT/env"
RUN_DIR="$ENV_ROOT/.run"
LOG_DIR="$RUN_DIR/logs"
PID_DIR="$RUN_DIR/pids"
TOOLS_DIR="$ENV_ROOT/.tools"
TOOLS_BIN="$TOOLS_DIR/bin"
ENV_JSON="$RUN_DIR/env.json"
export PATH="$TOOLS_BIN:$PATH"
# Go (for the control-plane build) lives in /usr/local/go on these machines, not always on a CI PATH.
[ -d /usr/local/go/bin ] && export PATH="$PATH:/usr/local/go/bin"
[ -n "${HOME:-}" ] || export HOME=/root

mkdir -p "$LOG_DIR" "$PID_DIR" "$TOOLS_BIN"

log() { printf '[env %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# apt_ensure PKG... installs the Debian packages that are missing (one `apt-get update` per run at most).
ENV_APT_UPDATED=""
apt_ensure() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ -z "$ENV_APT_UPDATED" ]; then
    apt-get update -qq >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed (see $LOG_DIR/apt.log)"
    ENV_APT_UPDATED=1
  fi
  # policy-rc.d 101 keeps the packages' init scripts from starting system-wide daemons (docker-registry on
  # :5000, postgresql): the environment starts its own instances on its own ports.
  local policy=/usr/sbin/policy-rc.d created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >>"$LOG_DIR/apt.log" 2>&1 || {
    [ -n "$created_policy" ] && rm -f "$policy"
    die "apt-get install ${missing[*]} failed (see $LOG_DIR/apt.log)"
  }
  [ -n "$created_policy" ] && rm -f "$policy"
  return 0
}

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

# is_running NAME: the process recorded in .run/pids/NAME.pid is alive.
is_running() {
  local file pid
  file="$(pid_file "$1")"
  [ -s "$file" ] || return 1
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null
}

# start_daemon NAME CMD...: runs CMD detached (own session, so it outlives up.sh), output to .run/logs/NAME.log.
start_daemon() {
  local name="$1"
  shift
  if is_running "$name"; then
    return 0
  fi
  local logfile="$LOG_DIR/$name.log"
  printf '\n=== %s start %s\n' "$name" "$(date -u +%FT%TZ)" >>"$logfile"
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  echo $! >"$(pid_file "$name")"
}

# stop_daemon NAME: SIGTERM the recorded pid (and its process group), SIGKILL after 15 s, drop the pid file.
stop_daemon() {
  local name="$1" file pid i
  file="$(pid_file "$name")"
  [ -s "$file" ] || {
    rm -f "$file"
    return 0
  }
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# retry N CMD...: runs CMD up to N times, 3 s apart (network steps on a loaded machine fail now and then).
retry() {
  local attempts="$1" n=1
  shift
  until "$@"; do
    [ "$n" -ge "$attempts" ] && return 1
    log "retrying ($n/$attempts failed): $*"
    n=$((n + 1))
    sleep 3
  done
}

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.5 s until it succeeds; dies after SECONDS.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.5
  done
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_port NAME PORT: dies when a process that is not NAME already holds PORT.
require_port() {
  if ! port_free "$2"; then
    die "port $2 is taken by a process that env/ did not start (needed by $1); stop it or run env/down.sh"
  fi
}

http_ok() { curl -fsS -o /dev/null --max-time 5 "$@"; }

# env_json_merge KEY JSON: sets top-level KEY of .run/env.json to JSON (atomic rewrite).
env_json_merge() {
  node -e '
    const fs = require("fs");
    const [file, key, value] = process.argv.slice(1);
    let doc = {};
    try { doc = JSON.parse(fs.readFileSync(file, "utf8")); } catch {}
    doc[key] = JSON.parse(value);
    fs.writeFileSync(file + ".tmp", JSON.stringify(doc, null, 2) + "\n");
    fs.renameSync(file + ".tmp", file);
  ' "$ENV_JSON" "$1" "$2"
}

# env_json_drop KEY: removes KEY from .run/env.json (a stopped component's details are no longer valid).
env_json_drop() {
  [ -f "$ENV_JSON" ] || return 0
  node -e '
    const fs = require("fs");
    const [file, key] = process.argv.slice(1);
    const doc = JSON.parse(fs.readFileSync(file, "utf8"));
    delete doc[key];
    fs.writeFileSync(file + ".tmp", JSON.stringify(doc, null, 2) + "\n");
    fs.renameSync(file + ".tmp", file);
  ' "$ENV_JSON" "$1"
}

# Local credentials of the test services (loopback only, so fixed values keep runs reproducible).
REGISTRY_BASIC_USER=basic-user
REGISTRY_BASIC_PASSWORD=basic-secret
REGISTRY_TOKEN_USER=token-user
REGISTRY_TOKEN_PASSWORD=token-secret
CHARTREPO_USER=chart-user
CHARTREPO_PASSWORD=chart-secret
POSTGRES_USER=safe
POSTGRES_PASSWORD=safe-secret
POSTGRES_DB=safe_updater

REGISTRY_ANON_PORT=5001
REGISTRY_BASIC_PORT=5002
REGISTRY_TOKEN_PORT=5003
TOKEN_SERVER_PORT=5004
CHARTREPO_ANON_PORT=8879
CHARTREPO_BASIC_PORT=8880
POSTGRES_PORT=55432
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
APISERVER_PORT=6443
KWOK_PORT=10247
