#!/usr/bin/env bash
# Load benchmark of Portcullis against a mock upstream on 127.0.0.1, in one run:
#   direct                client -> mock (the floor)
#   nginx                 client -> nginx, plain reverse proxy -> mock (the reference)
#   portcullis            client -> Portcullis, API-key auth + SQLite call log -> mock
#   portcullis-nolog      the same with the call log off
#   portcullis-translate  the same as portcullis, OpenAI API in, Anthropic-format mock upstream
# Each target: closed-loop throughput (wrk) at fixed concurrency, open-loop latency (oha with
# latency correction) at fixed rates, a streaming pass (first and last byte), CPU per request and
# RSS from /proc. Results: bench/results/<run-id>/summary.md and summary.json (git-ignored).
# See bench/README.md for what each number means and docs/benchmarks.md for the latest results.
#
# Knobs (environment): TARGETS, DURATION=10, WARMUP=5, CONCURRENCY="64 128", RATES="100 500",
# STREAM_RATES="100", RATE_CONNS=64, PIN=1, LOADGEN_CPUS=0, TARGET_CPUS=1, PORTCULLIS_BIN
# (skip the build), OHA, QUIET_MAX=10, QUIET_WAIT=60, FOREIGN_WARN=15, RETRIES=2, BASE_PORT=19080,
# PORTCULLIS_BIN_B (another build, measured as target `portcullis-b` with the `portcullis`
# configuration, added to TARGETS when set: an A/B comparison in one run),
# AWAKE=0 (1: keep both pinned cores out of the idle state with a SCHED_IDLE spinner each, to
# show how much of the added latency is waking an idle virtual CPU; not for headline figures).
set -u
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/lib.sh"

TARGETS="${TARGETS:-direct nginx portcullis portcullis-nolog portcullis-translate}"
PORTCULLIS_BIN_B="${PORTCULLIS_BIN_B:-}"
if [ -n "$PORTCULLIS_BIN_B" ]; then
  [ -x "$PORTCULLIS_BIN_B" ] || die "PORTCULLIS_BIN_B=$PORTCULLIS_BIN_B is not executable"
  case " $TARGETS " in *" portcullis-b "*) ;; *) TARGETS="$TARGETS portcullis-b" ;; esac
fi
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-5}"
CONCURRENCY="${CONCURRENCY:-64 128}"
RATES="${RATES:-100 500}"
STREAM_RATES="${STREAM_RATES-100}"
RATE_CONNS="${RATE_CONNS:-64}"
PIN="${PIN:-1}"
LOADGEN_CPUS="${LOADGEN_CPUS:-0}"
TARGET_CPUS="${TARGET_CPUS:-1}"
QUIET_MAX="${QUIET_MAX:-10}"
QUIET_WAIT="${QUIET_WAIT:-60}"
FOREIGN_WARN="${FOREIGN_WARN:-15}"
RETRIES="${RETRIES:-2}"
BASE_PORT="${BASE_PORT:-19080}"
AWAKE="${AWAKE:-0}"
MOCK_PORT=$BASE_PORT; MOCK_SSE_PORT=$((BASE_PORT + 10))
NGINX_PORT=$((BASE_PORT + 1)); NGINX_SSE_PORT=$((BASE_PORT + 11))
GW_PORT=$((BASE_PORT + 20))
UPSTREAM_KEY="sk-mock-upstream"
GATEWAY_KEY="sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

ensure_tools
build_portcullis

RUN_ID="$(date +%Y%m%d-%H%M%S)"
RUN_DIR="$BENCH_DIR/results/$RUN_ID"
RAW="$RUN_DIR/raw"
mkdir -p "$RAW" "$RUN_DIR/logs" "$RUN_DIR/tmp"
ln -sfn "$RUN_ID" "$BENCH_DIR/results/latest"
install_trap

CONF="$BENCH_DIR/conf"
$PY "$BENCH_DIR/bench.py" mock-conf "$CONF" "$RUN_DIR/mock.conf" "$MOCK_PORT" "$MOCK_SSE_PORT" || die "mock config"
$PY "$BENCH_DIR/bench.py" proxy-conf "$RUN_DIR/proxy.conf" "$NGINX_PORT" "$NGINX_SSE_PORT" "$MOCK_PORT" "$MOCK_SSE_PORT" || die "proxy config"
for m in mock-gpt mock-claude; do
  $PY "$BENCH_DIR/bench.py" body "$CONF" "$RUN_DIR/body-$m.json" "$m" 0
  $PY "$BENCH_DIR/bench.py" body "$CONF" "$RUN_DIR/body-$m-stream.json" "$m-stream" 1
done

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "run $RUN_ID -> ${RUN_DIR#"$ROOT"/}"
log "host: $(host_line); load average $LOAD_BEFORE"
awk -v l="${LOAD_BEFORE%% *}" 'BEGIN { exit !(l > 1.0) }' && \
  log "WARNING: load average $LOAD_BEFORE: other work on this machine may disturb the figures"

# ------------------------------------------------------------------ the mock upstream
start_bg mock "$LOADGEN_CPUS" "$RUN_DIR" nginx -p "$RUN_DIR/" -c mock.conf -g 'daemon off;'
MOCK_GROUP=$STARTED
wait_ready "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" "$RUN_DIR/body-mock-gpt.json" "" 10 \
  || die "the mock upstream did not start (logs/mock.log)"

# Optional spinners at the lowest priority (SCHED_IDLE): any runnable task preempts them, and
# their CPU time is left out of the foreign figures.
SPIN_LG=""; SPIN_TG=""
if [ "$AWAKE" = 1 ]; then
  start_bg spin-lg "$LOADGEN_CPUS" "$RUN_DIR" chrt --idle 0 bash -c 'while :; do :; done'; SPIN_LG=$STARTED
  start_bg spin-target "$TARGET_CPUS" "$RUN_DIR" chrt --idle 0 bash -c 'while :; do :; done'; SPIN_TG=$STARTED
fi
spin_ticks() { [ -n "$1" ] && cpu_ticks "$1" || echo 0; }

# ------------------------------------------------------------------ measurement bookkeeping
TGROUP=""     # process group of the target under test ("" for direct)
kv() { echo "$1 $2" >> "$RAW/$T.kv"; }

# Foreign CPU (% of one core) on the pinned cores during ~1 s of idleness.
foreign_idle() {
  local a b t0 t1 m0 m1
  read -r a _ <<< "$(core_jiffies "$LOADGEN_CPUS,$TARGET_CPUS")"
  t0=$([ -n "$TGROUP" ] && cpu_ticks "$TGROUP" || echo 0); m0=$(( $(cpu_ticks "$MOCK_GROUP") + $(spin_ticks "$SPIN_LG") + $(spin_ticks "$SPIN_TG") ))
  sleep 1
  read -r b _ <<< "$(core_jiffies "$LOADGEN_CPUS,$TARGET_CPUS")"
  t1=$([ -n "$TGROUP" ] && cpu_ticks "$TGROUP" || echo 0); m1=$(( $(cpu_ticks "$MOCK_GROUP") + $(spin_ticks "$SPIN_LG") + $(spin_ticks "$SPIN_TG") ))
  awk -v d=$((b - a - (t1 - t0) - (m1 - m0))) -v hz="$CLK_TCK" 'BEGIN { f = d / hz * 100; printf "%d", f < 0 ? 0 : f }'
}
wait_quiet() {
  [ "$PIN" = 1 ] || return 0
  local waited=0 f
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    f=$(foreign_idle); waited=$((waited + 1))
    [ "$f" -le "$QUIET_MAX" ] && return 0
    [ $((waited % 10)) = 1 ] && log "   waiting for the pinned cores to go quiet (others use ${f}% of a core)"
  done
  log "   the pinned cores are still busy with other work after ${QUIET_WAIT}s: measuring anyway"
}
# measure KEY cmd... : waits for quiet cores, runs the command, records the target's CPU ticks,
# core busy and foreign CPU; repeats (up to RETRIES) a run that other work disturbed.
measure() {
  local key="$1" attempt=0; shift
  local lg0 lgt0 tg0 tgt0 c0 m0 sl0 st0 l0 w0 lg1 lgt1 tg1 tgt1 c1 m1 sl1 st1 w1 stats
  while :; do
    wait_quiet
    read -r lg0 lgt0 <<< "$(core_jiffies "$LOADGEN_CPUS")"; read -r tg0 tgt0 <<< "$(core_jiffies "$TARGET_CPUS")"
    c0=$([ -n "$TGROUP" ] && cpu_ticks "$TGROUP" || echo 0); m0=$(cpu_ticks "$MOCK_GROUP"); sl0=$(spin_ticks "$SPIN_LG"); st0=$(spin_ticks "$SPIN_TG")
    read_child_ticks; l0=$CHILD_TICKS; w0=$(date +%s.%N)
    "$@"
    w1=$(date +%s.%N); read_child_ticks
    c1=$([ -n "$TGROUP" ] && cpu_ticks "$TGROUP" || echo 0); m1=$(cpu_ticks "$MOCK_GROUP"); sl1=$(spin_ticks "$SPIN_LG"); st1=$(spin_ticks "$SPIN_TG")
    read -r lg1 lgt1 <<< "$(core_jiffies "$LOADGEN_CPUS")"; read -r tg1 tgt1 <<< "$(core_jiffies "$TARGET_CPUS")"
    # foreign = busy time on each pinned core that none of our processes used
    stats=$(awk -v lgb=$((lg1 - lg0)) -v lgt=$((lgt1 - lgt0)) -v tgb=$((tg1 - tg0)) -v tgt=$((tgt1 - tgt0)) \
      -v ours_lg=$(( (m1 - m0) + (CHILD_TICKS - l0) + (sl1 - sl0) )) -v ours_tg=$(( (c1 - c0) + (st1 - st0) )) -v w="$(awk -v a="$w0" -v b="$w1" 'BEGIN{print b - a}')" \
      -v hz="$CLK_TCK" 'BEGIN {
        fl = (lgb - ours_lg) / (w * hz) * 100; if (fl < 0) fl = 0
        ft = (tgb - ours_tg) / (w * hz) * 100; if (ft < 0) ft = 0
        printf "%.0f %.0f %.0f %.2f", (lgt ? lgb / lgt * 100 : 0), (tgt ? tgb / tgt * 100 : 0), fl + ft, w }')
    read -r M_LG M_TG M_FOREIGN M_WALL <<< "$stats"
    if [ "$PIN" != 1 ] || [ "$M_FOREIGN" -le "$FOREIGN_WARN" ] || [ "$attempt" -ge "$RETRIES" ]; then break; fi
    attempt=$((attempt + 1))
    log "   disturbed: other processes used ${M_FOREIGN}% of a core; repeating ($attempt/$RETRIES)"
  done
  kv "cpu_ticks_$key" $((c1 - c0)); kv "wall_s_$key" "$M_WALL"
  if [ "$PIN" = 1 ]; then kv "lg_busy_$key" "$M_LG"; kv "tg_busy_$key" "$M_TG"; kv "foreign_$key" "$M_FOREIGN"; fi
  kv "rss_after_${key}_kib" "$([ -n "$TGROUP" ] && status_kib "$TGROUP" VmRSS || echo 0)"
}

# ------------------------------------------------------------------ load generators
oha_run() {  # oha_run OUT URL BODY HEADERS oha-args...
  local out="$1" url="$2" body="$3" headers="$4" args=() h; shift 4
  args=(--no-tui --output-format json -m POST -T application/json -D "$body" -t 10s)
  while IFS= read -r h; do [ -n "$h" ] && args+=(-H "$h"); done <<< "${headers//|/$'\n'}"
  taskset -c "$LOADGEN_CPUS" "$OHA" "${args[@]}" "$@" "$url" > "$out" 2> "$out.stderr"
}
wrk_run() {  # wrk_run OUT URL BODY HEADERS CONNECTIONS
  BENCH_BODY="$3" BENCH_HEADERS="$4" BENCH_OUT="$1" taskset -c "$LOADGEN_CPUS" \
    wrk -t1 -c "$5" -d "${DURATION}s" --timeout 10s -s "$CONF/wrk-post.lua" "$2" > "$1.stdout" 2> "$1.stderr"
}
oneline() {  # a short line about one result for the log
  $PY -c 'import json,sys; m=json.load(sys.stdin); print("no result" if "error" in m else "%.0f req/s ok, p50 %.3f ms, p99 %.3f ms, %d errors" % (m["rps_ok"], m["p50_ms"] or 0, m["p99_ms"] or 0, m["errors"] + m["non2xx"]))' \
    <<< "$($PY "$BENCH_DIR/bench.py" parse "$1")"
}

# ------------------------------------------------------------------ targets
declare -A DESCRIPTION=(
  [direct]="load generator -> mock upstream (nginx returning fixed bodies): the floor"
  [nginx]="-> nginx 1 worker, plain reverse proxy with a keep-alive upstream pool -> mock"
  [portcullis]="-> Portcullis (release build), API-key auth, SQLite call log on, OpenAI API both sides (body forwarded) -> mock"
  [portcullis-nolog]="-> Portcullis as above with call_log.enabled: false"
  [portcullis-b]="-> as 'portcullis', with the build in PORTCULLIS_BIN_B"
  [portcullis-translate]="-> Portcullis as 'portcullis', model routed to an Anthropic provider: OpenAI request translated to Anthropic Messages, the Anthropic answer (JSON or event stream) translated back"
)
start_portcullis() {  # start_portcullis CALL_LOG [BINARY]
  local bin="${2:-$PORTCULLIS_BIN}"
  mkdir -p "$RUN_DIR/data-$T"
  start_bg "$T" "$TARGET_CPUS" "$RUN_DIR" env BENCH_LISTEN="127.0.0.1:$GW_PORT" BENCH_DATA_DIR="$RUN_DIR/data-$T" \
    BENCH_CALL_LOG="$1" BENCH_MOCK_URL="http://127.0.0.1:$MOCK_PORT" BENCH_MOCK_SSE_URL="http://127.0.0.1:$MOCK_SSE_PORT" \
    BENCH_GATEWAY_KEY="$GATEWAY_KEY" PORTCULLIS_LOG_FORMAT="${PORTCULLIS_LOG_FORMAT:-text}" \
    "$bin" serve --config "$CONF/portcullis.yaml"
  TGROUP=$STARTED
}
# set_target: URL/SURL (plain/stream), BODY/SBODY, HEADERS; starts the target's process.
set_target() {
  TGROUP=""
  BODY="$RUN_DIR/body-mock-gpt.json"; SBODY="$RUN_DIR/body-mock-gpt-stream.json"
  HEADERS="Authorization: Bearer $UPSTREAM_KEY"
  case "$T" in
    direct) URL="http://127.0.0.1:$MOCK_PORT/v1/chat/completions"; SURL="http://127.0.0.1:$MOCK_SSE_PORT/v1/chat/completions" ;;
    nginx)
      URL="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"; SURL="http://127.0.0.1:$NGINX_SSE_PORT/v1/chat/completions"
      start_bg nginx "$TARGET_CPUS" "$RUN_DIR" nginx -p "$RUN_DIR/" -c proxy.conf -g 'daemon off;'
      TGROUP=$STARTED ;;
    portcullis|portcullis-nolog|portcullis-translate|portcullis-b)
      URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"; SURL="$URL"
      HEADERS="Authorization: Bearer $GATEWAY_KEY"
      if [ "$T" = portcullis-translate ]; then
        BODY="$RUN_DIR/body-mock-claude.json"; SBODY="$RUN_DIR/body-mock-claude-stream.json"
      fi
      if [ "$T" = portcullis-b ]; then start_portcullis true "$PORTCULLIS_BIN_B"
      else start_portcullis "$([ "$T" = portcullis-nolog ] && echo false || echo true)"; fi ;;
    *) return 1 ;;
  esac
}

NOTES=()
DONE_TARGETS=()
for T in $TARGETS; do
  set_target || { NOTES+=("unknown target $T skipped"); continue; }
  : > "$RAW/$T.kv"
  log "== $T"
  if ! wait_ready "$URL" "$BODY" "$HEADERS" 30; then
    NOTES+=("$T did not answer 200 within 30 s (logs/$T.log); skipped")
    log "   did not become ready; skipped"
    [ -n "$TGROUP" ] && stop_group "$TGROUP"; continue
  fi
  [ -n "$TGROUP" ] && kv rss_ready_kib "$(status_kib "$TGROUP" VmRSS)"
  code=$(post "$URL" "$BODY" "$RAW/$T-smoke.json" "$HEADERS")
  { [ "$code" = 200 ] && grep -q '"usage"' "$RAW/$T-smoke.json"; } || NOTES+=("$T: smoke answer $code without usage (raw/$T-smoke.json)")
  scode=$(post "$SURL" "$SBODY" "$RAW/$T-smoke-stream.txt" "$HEADERS")
  { [ "$scode" = 200 ] && grep -q 'data: \[DONE\]' "$RAW/$T-smoke-stream.txt"; } || NOTES+=("$T: stream smoke answer $scode without [DONE] (raw/$T-smoke-stream.txt)")
  log "   ready; smoke HTTP $code, stream HTTP $scode; warming up ${WARMUP}s"
  DONE_TARGETS+=("$T")
  oha_run "$RAW/$T-warmup.json" "$URL" "$BODY" "$HEADERS" -z "${WARMUP}s" -c 32
  [ -n "$STREAM_RATES" ] && oha_run "$RAW/$T-warmup-stream.json" "$SURL" "$SBODY" "$HEADERS" -z 2s -c 16
  [ -n "$TGROUP" ] && kv rss_warm_kib "$(status_kib "$TGROUP" VmRSS)"

  for c in $CONCURRENCY; do
    measure "c$c" wrk_run "$RAW/$T-tput-c$c.json" "$URL" "$BODY" "$HEADERS" "$c"
    log "   c=$c: $(oneline "$RAW/$T-tput-c$c.json") (target core ${M_TG}%, foreign ${M_FOREIGN}%)"
  done
  for q in $RATES; do
    measure "r$q" oha_run "$RAW/$T-rate-$q.json" "$URL" "$BODY" "$HEADERS" -z "${DURATION}s" -c "$RATE_CONNS" -q "$q" --latency-correction
    log "   $q req/s: $(oneline "$RAW/$T-rate-$q.json")"
  done
  for q in $STREAM_RATES; do
    measure "s$q" oha_run "$RAW/$T-stream-$q.json" "$SURL" "$SBODY" "$HEADERS" -z "${DURATION}s" -c "$RATE_CONNS" -q "$q" --latency-correction
    log "   stream $q req/s: $(oneline "$RAW/$T-stream-$q.json")"
  done

  if [ "${T#portcullis}" != "$T" ]; then
    curl -s -m 5 "http://127.0.0.1:$GW_PORT/metrics" > "$RAW/$T-metrics.txt" 2>/dev/null
    kv calllog_dropped "$(awk '/^portcullis_call_log_dropped_total/ { s += $NF } END { print s + 0 }' "$RAW/$T-metrics.txt")"
  fi
  if [ -n "$TGROUP" ]; then
    kv rss_peak_kib "$(status_kib "$TGROUP" VmHWM)"
    kv rss_end_kib "$(status_kib "$TGROUP" VmRSS)"
    stop_group "$TGROUP"
  fi
  if [ "${T#portcullis}" != "$T" ]; then
    kv calllog_rows "$($PY "$BENCH_DIR/bench.py" calls "$RUN_DIR/data-$T/portcullis.db")"
    # the readiness probe and the two smoke calls count too
    answered=$($PY "$BENCH_DIR/bench.py" ok "$RAW/$T"-warmup*.json "$RAW/$T"-tput-*.json "$RAW/$T"-rate-*.json "$RAW/$T"-stream-*.json)
    kv requests_ok $((answered + 1 + (code == 200) + (scode == 200)))
  fi
done
stop_group "$MOCK_GROUP"

# ------------------------------------------------------------------ summary
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
json_strings() { $PY -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@"; }
json_numbers() { echo "[$(echo "$*" | tr -s ' ' ',' | sed 's/^,//;s/,$//')]"; }
descriptions="{"; for t in direct nginx portcullis portcullis-nolog portcullis-translate portcullis-b; do
  descriptions="$descriptions$( [ "$descriptions" = "{" ] || echo ,)\"$t\":$(json_strings "${DESCRIPTION[$t]}" | sed 's/^\[//;s/\]$//')"; done
descriptions="$descriptions}"
cat > "$RUN_DIR/meta.json" <<EOF
{"run_id": "$RUN_ID", "date": "$(date -u +%FT%TZ)", "host": "$(host_line)",
 "versions": $(json_strings "$(versions)$([ -n "$PORTCULLIS_BIN_B" ] && echo "; portcullis-b: $PORTCULLIS_BIN_B")" | sed 's/^\[//;s/\]$//'),
 "pinning": "$([ "$PIN" = 1 ] && echo "load generator + mock upstream on CPU $LOADGEN_CPUS, target on CPU $TARGET_CPUS (taskset)" || echo none)$([ "$AWAKE" = 1 ] && echo "; AWAKE=1: a SCHED_IDLE spinner on each pinned core keeps it out of idle (latency without virtual-CPU wake-ups; core busy figures are meaningless)")",
 "loadgen": "closed loop wrk -t1 -c N -d ${DURATION}s (keep-alive); open loop oha -q R -c $RATE_CONNS -z ${DURATION}s --latency-correction; warm-up ${WARMUP}s",
 "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER", "clk_tck": $CLK_TCK, "foreign_warn": $FOREIGN_WARN,
 "targets_run": $(json_strings "${DONE_TARGETS[@]}"),
 "concurrency": $(json_numbers $CONCURRENCY), "rates": $(json_numbers $RATES), "stream_rates": $(json_numbers $STREAM_RATES),
 "target_descriptions": $descriptions,
 "notes": $(json_strings "${NOTES[@]}")}
EOF
$PY "$BENCH_DIR/bench.py" summary "$RUN_DIR" > /dev/null || die "summary failed"
cat "$RUN_DIR/summary.md"
log "results in ${RUN_DIR#"$ROOT"/} (summary.md, summary.json, raw/, logs/)"
