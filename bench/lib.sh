# Shared by run.sh, soak.sh and peers.sh (sourced, not run): tools, the Portcullis build,
# starting and stopping processes, and reading CPU and memory from /proc.
# Expects BENCH_DIR (this folder) to be set by the caller.

ROOT="$(cd "$BENCH_DIR/.." && pwd)"
PY="${PY:-python3}"
CLK_TCK="$(getconf CLK_TCK)"

log() { echo "[$(date +%H:%M:%S)] $*"; }
die() { echo "bench: $*" >&2; exit 1; }

# ------------------------------------------------------------------ tools
# nginx and wrk from apt; oha from $OHA, PATH, the peer harness's install, or `cargo install`
# (slow: ~15 minutes on 2 cores, so an existing one is always preferred). Sets OHA.
OHA_VERSION="${OHA_VERSION:-1.16.0}"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/bench/peers}"
ensure_tools() {
  if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    log "installing nginx and wrk (apt)"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light wrk >/dev/null \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx wrk >/dev/null \
      || die "apt-get install nginx wrk failed"
    # Only our own nginx instances may run; the package may have started the system one.
    (service nginx stop || true) >/dev/null 2>&1
  fi
  if [ -z "${OHA:-}" ] || [ ! -x "${OHA:-}" ]; then
    OHA="$(command -v oha || true)"
    [ -n "$OHA" ] || { [ -x "$PEERS_DIR/.deps/cargo/bin/oha" ] && OHA="$PEERS_DIR/.deps/cargo/bin/oha"; }
  fi
  if [ -z "$OHA" ]; then
    log "oha not found: cargo install --locked oha --version $OHA_VERSION (about 15 minutes here)"
    cargo install --locked oha --version "$OHA_VERSION" >/dev/null 2>&1 || die "cargo install oha failed"
    OHA="$(command -v oha || echo "${CARGO_HOME:-$HOME/.cargo}/bin/oha")"
  fi
  [ -x "$OHA" ] || die "oha not usable: $OHA"
  command -v curl >/dev/null || die "curl is required"
  command -v taskset >/dev/null || die "taskset (util-linux) is required"
}

# Builds the release binary unless PORTCULLIS_BIN names one. Sets PORTCULLIS_BIN.
build_portcullis() {
  if [ -n "${PORTCULLIS_BIN:-}" ]; then
    [ -x "$PORTCULLIS_BIN" ] || die "PORTCULLIS_BIN=$PORTCULLIS_BIN is not executable"
    return 0
  fi
  local target="${CARGO_TARGET_DIR:-$ROOT/target}"
  log "building Portcullis (cargo build --release -p portcullis, target dir $target)"
  BUILT_FROM="$(source_state)"
  (cd "$ROOT" && cargo build --release -p portcullis -q) || die "release build failed"
  PORTCULLIS_BIN="$target/release/portcullis"
}
source_state() {  # the commit the working tree is at, and whether crates/ differ from it
  local dirty=""
  git -C "$ROOT" diff --quiet HEAD -- crates Cargo.lock 2>/dev/null || dirty=" + uncommitted changes in crates/"
  echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
}

versions() {
  # A binary passed in PORTCULLIS_BIN may predate the working tree: say so.
  local built="${BUILT_FROM:-binary given, built before this run; tree now at $(source_state)}"
  echo "portcullis $("$PORTCULLIS_BIN" version 2>/dev/null | awk '{print $2}') ($built, $(rustc --version 2>/dev/null | awk '{print $1, $2}')); nginx $(nginx -v 2>&1 | sed 's#.*nginx/##'); $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'); $("$OHA" --version | head -1)"
}

host_line() {
  echo "$(nproc) x $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
}

# ------------------------------------------------------------------ processes
# Every process we start runs in its own session (so its whole tree can be stopped) and is
# stopped by the EXIT trap whatever happens.
GROUPS_STARTED=()
# start_bg NAME CPUS DIR cmd... : sets STARTED (the process group id); output to DIR/logs/NAME.log
start_bg() {
  local name="$1" cpus="$2" dir="$3"; shift 3
  if [ "${PIN:-1}" = 1 ] && [ -n "$cpus" ]; then set -- taskset -c "$cpus" "$@"; fi
  ( cd "$dir" && exec setsid "$@" ) > "$dir/logs/$name.log" 2>&1 &
  STARTED=$!
  GROUPS_STARTED+=("$STARTED")
}
stop_group() {  # TERM the group, KILL it after 5 s
  local group="$1"
  kill -0 "$group" 2>/dev/null || return 0
  kill -TERM -- "-$group" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$group" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$group" 2>/dev/null || true
  wait "$group" 2>/dev/null || true
}
stop_all() {
  local group
  for group in "${GROUPS_STARTED[@]:-}"; do [ -n "$group" ] && stop_group "$group"; done
  return 0
}
install_trap() {
  trap stop_all EXIT
  trap 'exit 130' INT TERM
}

# POSTs FILE to URL with the headers in the |-separated HEADERS; prints the status code and
# keeps the body in OUT.  post URL FILE OUT HEADERS
post() {
  local url="$1" file="$2" out="$3" headers="$4" args=() h
  args=(-sS -m 10 -o "$out" -w '%{http_code}' -H 'Content-Type: application/json')
  while IFS= read -r h; do [ -n "$h" ] && args+=(-H "$h"); done <<< "${headers//|/$'\n'}"
  curl "${args[@]}" --data-binary @"$file" "$url" 2>/dev/null || echo 000
}
# wait_ready URL FILE HEADERS SECONDS : until a POST answers 200 (bounded)
wait_ready() {
  for _ in $(seq 1 $(($4 * 10))); do
    [ "$(post "$1" "$2" /dev/null "$3")" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# ------------------------------------------------------------------ /proc readings
group_pids() { pgrep -g "$1" 2>/dev/null; }
cpu_ticks() {  # utime+stime of every process in group $1, all threads
  local total=0 p v
  for p in $(group_pids "$1"); do
    v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && total=$((total + v))
  done
  echo "$total"
}
status_kib() {  # status_kib GROUP FIELD (VmRSS, VmHWM): summed over the group
  local total=0 p v
  for p in $(group_pids "$1"); do
    v=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null) && total=$((total + ${v:-0}))
  done
  echo "$total"
}
# CPU time (ticks) of this shell's finished children: the load generators run in the foreground,
# so the difference around one measurement is what the load generator used. `times` must run in
# this shell, not in a $(...) subshell (which has its own, empty, counters).
# shellcheck disable=SC2034  # CHILD_TICKS is read by the caller
read_child_ticks() {
  local f; f="$(mktemp)"
  times > "$f"
  CHILD_TICKS=$(awk -v hz="$CLK_TCK" 'NR == 2 {
      t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
      printf "%d", t * hz }' "$f")
  rm -f "$f"
}
core_jiffies() {  # "busy total" jiffies summed over the CPUs in a comma list
  awk -v list="$1" 'BEGIN { n = split(list, c, ","); for (i = 1; i <= n; i++) want["cpu" c[i]] = 1 }
    ($1 in want) { for (i = 2; i <= NF; i++) t += $i; idle += $5 + $6 } END { print t - idle, t }' /proc/stat
}
