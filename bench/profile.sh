#!/usr/bin/env bash
# Where Portcullis spends its CPU under load: the mock upstream, Portcullis (API-key auth, call
# log on, the 'portcullis' target of run.sh) and wrk at fixed concurrency, profiled with
#   perf     (default) sampling on the cpu-clock software event: this VM exposes no hardware
#            counters (`perf stat -e instructions true` says <not supported>), the sampling
#            clock works; flat profile (self time) and a DWARF call graph (inclusive time)
#   callgrind  valgrind --tool=callgrind, exact instruction counts for a fixed number of
#            requests (about 50 times slower; run at a low fixed rate)
#   syscalls perf stat (system calls, context switches, task clock) and strace -c over a wrk
#            run, per request; TARGET=nginx measures the reference proxy the same way
# Results: bench/results/profile-<run-id>/ (perf-flat.txt, perf-children.txt or
# callgrind-inclusive.txt / callgrind-self.txt, plus the raw data files).
#
# Knobs: TOOL=perf|callgrind|syscalls, TARGET=portcullis|nginx (syscalls only), MODEL=mock-gpt (mock-claude: translation; add -stream for
# streams with STREAM=1), SECONDS_=10 (perf), CONNS=64 (perf), RATE (syscalls: a fixed rate
# with oha instead of wrk's closed loop), REQUESTS=3000 (callgrind),
# CALL_LOG=true, PORTCULLIS_BIN, BASE_PORT=19280.
set -u
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/lib.sh"

TOOL="${TOOL:-perf}"
TARGET="${TARGET:-portcullis}"
MODEL="${MODEL:-mock-gpt}"
STREAM="${STREAM:-0}"
SECONDS_="${SECONDS_:-10}"
CONNS="${CONNS:-64}"
REQUESTS="${REQUESTS:-3000}"
CALL_LOG="${CALL_LOG:-true}"
RATE="${RATE:-}"
PIN=1; LOADGEN_CPUS=0; TARGET_CPUS=1
BASE_PORT="${BASE_PORT:-19280}"
MOCK_PORT=$BASE_PORT; MOCK_SSE_PORT=$((BASE_PORT + 10)); GW_PORT=$((BASE_PORT + 20))
GATEWAY_KEY="sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
case "$TOOL" in
  perf) command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)" ;;
  callgrind) command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)" ;;
  syscalls) command -v perf >/dev/null && command -v strace >/dev/null || die "perf and strace are needed" ;;
  *) die "TOOL must be perf, callgrind or syscalls" ;;
esac
[ "$SECONDS_" -ge 1 ] && [ "$SECONDS_" -le 120 ] || die "SECONDS_ must be 1..120"
[ "$REQUESTS" -ge 1 ] && [ "$REQUESTS" -le 100000 ] || die "REQUESTS must be 1..100000"

ensure_tools
build_portcullis
RUN_DIR="$BENCH_DIR/results/profile-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/data"
install_trap
CONF="$BENCH_DIR/conf"
$PY "$BENCH_DIR/bench.py" mock-conf "$CONF" "$RUN_DIR/mock.conf" "$MOCK_PORT" "$MOCK_SSE_PORT" || die "mock config"
$PY "$BENCH_DIR/bench.py" body "$CONF" "$RUN_DIR/body.json" "$MODEL" "$STREAM"

start_bg mock "$LOADGEN_CPUS" "$RUN_DIR" nginx -p "$RUN_DIR/" -c mock.conf -g 'daemon off;'
WRAP=()
[ "$TOOL" = callgrind ] && WRAP=(valgrind --tool=callgrind --callgrind-out-file="$RUN_DIR/callgrind.out" --dump-instr=no)
if [ "$TARGET" = nginx ]; then
  $PY "$BENCH_DIR/bench.py" proxy-conf "$RUN_DIR/proxy.conf" "$GW_PORT" "$((GW_PORT + 10))" "$MOCK_PORT" "$MOCK_SSE_PORT" || die "proxy config"
  start_bg nginx "$TARGET_CPUS" "$RUN_DIR" nginx -p "$RUN_DIR/" -c proxy.conf -g 'daemon off;'
else
start_bg portcullis "$TARGET_CPUS" "$RUN_DIR" env BENCH_LISTEN="127.0.0.1:$GW_PORT" BENCH_DATA_DIR="$RUN_DIR/data" \
  BENCH_CALL_LOG="$CALL_LOG" BENCH_MOCK_URL="http://127.0.0.1:$MOCK_PORT" BENCH_MOCK_SSE_URL="http://127.0.0.1:$MOCK_SSE_PORT" \
  BENCH_GATEWAY_KEY="$GATEWAY_KEY" "${WRAP[@]}" "$PORTCULLIS_BIN" serve --config "$CONF/portcullis.yaml"
fi
GW=$STARTED
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
AUTH="Authorization: Bearer $GATEWAY_KEY"
wait_ready "$URL" "$RUN_DIR/body.json" "$AUTH" 120 || die "Portcullis did not start (logs/portcullis.log)"
# the process to profile: with valgrind in front, the group leader is valgrind itself; for
# nginx, its worker (the master only supervises)
PID=$(group_pids "$GW" | tail -1)

if [ "$TOOL" = syscalls ]; then
  taskset -c "$LOADGEN_CPUS" "$OHA" --no-tui -z 3s -c 32 -m POST -T application/json -D "$RUN_DIR/body.json" -H "$AUTH" "$URL" > /dev/null
  wrk_window() {  # wrk_window OUT SECONDS: wrk -c CONNS for that long, or oha at RATE req/s
    if [ -n "$RATE" ]; then
      taskset -c "$LOADGEN_CPUS" "$OHA" --no-tui --output-format json -z "${2}s" -c 64 -q "$RATE" -m POST \
        -T application/json -D "$RUN_DIR/body.json" -H "$AUTH" "$URL" 2> "$1.txt" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"requests": sum(d["statusCodeDistribution"].values())}))' > "$1"
    else
      BENCH_BODY="$RUN_DIR/body.json" BENCH_HEADERS="$AUTH" BENCH_OUT="$1" taskset -c "$LOADGEN_CPUS" \
        wrk -t1 -c "$CONNS" -d "${2}s" -s "$CONF/wrk-post.lua" "$URL" > "$1.txt" 2>&1
    fi
  }
  log "perf stat on pid $PID ($TARGET) during ${SECONDS_}s of wrk -c $CONNS"
  perf stat -e raw_syscalls:sys_enter,context-switches,cpu-migrations,task-clock -x, -o "$RUN_DIR/perf-stat.csv" \
    -p "$PID" -- bash -c "$(declare -f wrk_window); RUN_DIR='$RUN_DIR' AUTH='$AUTH' CONNS='$CONNS' RATE='$RATE' OHA='$OHA' LOADGEN_CPUS='$LOADGEN_CPUS' CONF='$CONF' URL='$URL' wrk_window '$RUN_DIR/wrk-stat.json' '$SECONDS_'"
  log "strace -c on pid $PID during 5s of wrk (slows the target; counts per request still hold)"
  strace -c -f -o "$RUN_DIR/strace.txt" -p "$PID" &
  STRACE=$!
  sleep 1
  wrk_window "$RUN_DIR/wrk-strace.json" 5
  kill -INT "$STRACE"; wait "$STRACE" 2>/dev/null
  $PY - "$RUN_DIR" <<'PYEOF' | tee "$RUN_DIR/syscalls.txt"
import json, sys
d = sys.argv[1]
n = json.load(open(f"{d}/wrk-stat.json"))["requests"]
print(f"perf stat over {n} requests:")
for line in open(f"{d}/perf-stat.csv"):
    parts = line.strip().split(",")
    if len(parts) > 3 and parts[0].replace(".", "").isdigit():
        print(f"  {parts[2]:28s} {float(parts[0]) / n:10.2f} per request" + ("  (ms of CPU: us/req = value * 1000)" if parts[2] == "task-clock" else ""))
n = json.load(open(f"{d}/wrk-strace.json"))["requests"]
print(f"strace -c over {n} requests (calls per request):")
for line in open(f"{d}/strace.txt"):
    parts = line.split()
    if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[-1] != "total":
        print(f"  {parts[-1]:20s} {int(parts[3]) / n:6.2f}")
PYEOF
elif [ "$TOOL" = perf ]; then
  taskset -c "$LOADGEN_CPUS" "$OHA" --no-tui -z 3s -c 32 -m POST -T application/json -D "$RUN_DIR/body.json" -H "$AUTH" "$URL" > /dev/null
  log "profiling pid $PID for ${SECONDS_}s under wrk -c $CONNS"
  BENCH_BODY="$RUN_DIR/body.json" BENCH_HEADERS="$AUTH" BENCH_OUT="$RUN_DIR/wrk.json" taskset -c "$LOADGEN_CPUS" \
    wrk -t1 -c "$CONNS" -d "$((SECONDS_ * 2 + 2))s" -s "$CONF/wrk-post.lua" "$URL" > "$RUN_DIR/wrk.txt" 2>&1 &
  WRK=$!
  sleep 1
  perf record -e cpu-clock -F 1999 -p "$PID" -o "$RUN_DIR/perf-flat.data" -- sleep "$SECONDS_" > "$RUN_DIR/logs/perf-flat.log" 2>&1
  perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$PID" -o "$RUN_DIR/perf-graph.data" -- sleep "$SECONDS_" > "$RUN_DIR/logs/perf-graph.log" 2>&1
  wait "$WRK"
  # (perf pads every line to the terminal width: trimmed)
  perf report -i "$RUN_DIR/perf-flat.data" --no-children --sort symbol --stdio --percent-limit 0.4 2>/dev/null \
    | grep -v '^$' | sed 's/ *- *- *$//; s/ *$//' > "$RUN_DIR/perf-flat.txt"
  perf report -i "$RUN_DIR/perf-flat.data" --no-children --sort dso --stdio 2>/dev/null \
    | grep -v '^$' | sed 's/ *$//' > "$RUN_DIR/perf-dso.txt"
  perf report -i "$RUN_DIR/perf-graph.data" --children --sort symbol --stdio --percent-limit 2 -g none 2>/dev/null \
    | grep -v '^$' | sed 's/ *- *- *$//; s/ *$//' | cut -c1-240 > "$RUN_DIR/perf-children.txt"
  log "top functions by self time:"
  grep -E '^ +[0-9]' "$RUN_DIR/perf-flat.txt" | head -30
else
  log "sending $REQUESTS requests at 50 req/s under callgrind"
  taskset -c "$LOADGEN_CPUS" "$OHA" --no-tui -n "$REQUESTS" -q 50 -c 8 -t 30s -m POST -T application/json \
    -D "$RUN_DIR/body.json" -H "$AUTH" "$URL" > "$RUN_DIR/oha.txt" 2>&1
  stop_group "$GW"
  sleep 1
  callgrind_annotate --inclusive=yes "$RUN_DIR/callgrind.out" 2>/dev/null | head -80 > "$RUN_DIR/callgrind-inclusive.txt"
  callgrind_annotate "$RUN_DIR/callgrind.out" 2>/dev/null | head -60 > "$RUN_DIR/callgrind-self.txt"
  log "top functions by instructions (inclusive):"
  head -50 "$RUN_DIR/callgrind-inclusive.txt"
fi
log "results in ${RUN_DIR#"$ROOT"/}"
