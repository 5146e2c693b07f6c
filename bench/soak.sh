#!/usr/bin/env bash
# Memory soak: Portcullis (API-key auth, SQLite call log on) under a bounded run of mixed
# traffic (plain and streamed, forwarded and translated), RSS sampled every second from /proc.
# Flat RSS from the first to the last quarter of the run is the pass criterion (2 MiB).
# Results: bench/results/soak-<run-id>/summary.md, summary.json, rss.tsv.
#
# Knobs: SOAK_SECONDS=240, RATE_CHAT=200, RATE_STREAM=50, RATE_TRANSLATE=50,
# RATE_TRANSLATE_STREAM=25 (req/s each), PIN=1, LOADGEN_CPUS=0, TARGET_CPUS=1, PORTCULLIS_BIN,
# BASE_PORT=19180.
set -u
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/lib.sh"

SOAK_SECONDS="${SOAK_SECONDS:-240}"
RATE_CHAT="${RATE_CHAT:-200}"
RATE_STREAM="${RATE_STREAM:-50}"
RATE_TRANSLATE="${RATE_TRANSLATE:-50}"
RATE_TRANSLATE_STREAM="${RATE_TRANSLATE_STREAM:-25}"
PIN="${PIN:-1}"
LOADGEN_CPUS="${LOADGEN_CPUS:-0}"
TARGET_CPUS="${TARGET_CPUS:-1}"
BASE_PORT="${BASE_PORT:-19180}"
MOCK_PORT=$BASE_PORT; MOCK_SSE_PORT=$((BASE_PORT + 10)); GW_PORT=$((BASE_PORT + 20))
GATEWAY_KEY="sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
[ "$SOAK_SECONDS" -ge 20 ] && [ "$SOAK_SECONDS" -le 3600 ] || die "SOAK_SECONDS must be 20..3600"

ensure_tools
build_portcullis

RUN_ID="soak-$(date +%Y%m%d-%H%M%S)"
RUN_DIR="$BENCH_DIR/results/$RUN_ID"
mkdir -p "$RUN_DIR/raw" "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/data"
install_trap
CONF="$BENCH_DIR/conf"
$PY "$BENCH_DIR/bench.py" mock-conf "$CONF" "$RUN_DIR/mock.conf" "$MOCK_PORT" "$MOCK_SSE_PORT" || die "mock config"
for m in mock-gpt mock-claude; do
  $PY "$BENCH_DIR/bench.py" body "$CONF" "$RUN_DIR/body-$m.json" "$m" 0
  $PY "$BENCH_DIR/bench.py" body "$CONF" "$RUN_DIR/body-$m-stream.json" "$m-stream" 1
done
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "soak $RUN_ID: ${SOAK_SECONDS}s; load average $LOAD_BEFORE"

start_bg mock "$LOADGEN_CPUS" "$RUN_DIR" nginx -p "$RUN_DIR/" -c mock.conf -g 'daemon off;'
start_bg portcullis "$TARGET_CPUS" "$RUN_DIR" env BENCH_LISTEN="127.0.0.1:$GW_PORT" BENCH_DATA_DIR="$RUN_DIR/data" \
  BENCH_CALL_LOG=true BENCH_MOCK_URL="http://127.0.0.1:$MOCK_PORT" BENCH_MOCK_SSE_URL="http://127.0.0.1:$MOCK_SSE_PORT" \
  BENCH_GATEWAY_KEY="$GATEWAY_KEY" "$PORTCULLIS_BIN" serve --config "$CONF/portcullis.yaml"
GW=$STARTED
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
AUTH="Authorization: Bearer $GATEWAY_KEY"
wait_ready "$URL" "$RUN_DIR/body-mock-gpt.json" "$AUTH" 30 || die "Portcullis did not start (logs/portcullis.log)"
sleep 2
echo "rss_idle_kib $(status_kib "$GW" VmRSS)" > "$RUN_DIR/soak.kv"

# name:body:rate, each one oha process (open loop) on the load-generator core
STREAMS="chat:mock-gpt:$RATE_CHAT stream:mock-gpt-stream:$RATE_STREAM translate:mock-claude:$RATE_TRANSLATE translate-stream:mock-claude-stream:$RATE_TRANSLATE_STREAM"
LOADGEN_PIDS=()
NAMES=""
for s in $STREAMS; do
  IFS=: read -r name model rate <<< "$s"
  [ "$rate" -gt 0 ] || continue
  taskset -c "$LOADGEN_CPUS" "$OHA" --no-tui --output-format json -m POST -T application/json \
    -D "$RUN_DIR/body-$model.json" -H "$AUTH" -t 10s -z "${SOAK_SECONDS}s" -c 32 -q "$rate" --latency-correction \
    "$URL" > "$RUN_DIR/raw/$name.json" 2> "$RUN_DIR/raw/$name.stderr" &
  LOADGEN_PIDS+=("$!")
  NAMES+="\"$name\","
done

# One RSS sample a second while the traffic runs (bounded by the run length plus a margin).
START=$(date +%s.%N)
printf 'elapsed_s\trss_kib\n' > "$RUN_DIR/rss.tsv"
for i in $(seq 1 $((SOAK_SECONDS + 15))); do
  running=0
  for p in "${LOADGEN_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
  [ "$running" = 1 ] || break
  printf '%.0f\t%s\n' "$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$(status_kib "$GW" VmRSS)" >> "$RUN_DIR/rss.tsv"
  [ $((i % 60)) = 0 ] && log "   ${i}s: RSS $(($(status_kib "$GW" VmRSS) / 1024)) MiB"
  sleep 1
done
for p in "${LOADGEN_PIDS[@]}"; do wait "$p" 2>/dev/null; done
echo "rss_peak_kib $(status_kib "$GW" VmHWM)" >> "$RUN_DIR/soak.kv"
sleep 10
echo "rss_after_kib $(status_kib "$GW" VmRSS)" >> "$RUN_DIR/soak.kv"
curl -s -m 5 "http://127.0.0.1:$GW_PORT/metrics" > "$RUN_DIR/raw/metrics.txt" 2>/dev/null
echo "calllog_dropped $(awk '/^portcullis_call_log_dropped_total/ { s += $NF } END { print s + 0 }' "$RUN_DIR/raw/metrics.txt")" >> "$RUN_DIR/soak.kv"
echo "cpu_s $(awk -v t="$(cpu_ticks "$GW")" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", t / hz }')" >> "$RUN_DIR/soak.kv"
stop_group "$GW"
echo "calllog_rows $($PY "$BENCH_DIR/bench.py" calls "$RUN_DIR/data/portcullis.db")" >> "$RUN_DIR/soak.kv"
stop_all

cat > "$RUN_DIR/meta.json" <<EOF
{"run_id": "$RUN_ID", "date": "$(date -u +%FT%TZ)", "host": "$(host_line)", "load_before": "$LOAD_BEFORE",
 "versions": $($PY -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$(versions)"),
 "seconds": $SOAK_SECONDS, "streams": [${NAMES%,}],
 "mix": "chat $RATE_CHAT req/s, stream $RATE_STREAM req/s (OpenAI -> OpenAI), translate $RATE_TRANSLATE req/s, translate-stream $RATE_TRANSLATE_STREAM req/s (OpenAI -> Anthropic); oha -c 32 --latency-correction each"}
EOF
$PY "$BENCH_DIR/bench.py" soak-summary "$RUN_DIR" || die "summary failed"
log "results in ${RUN_DIR#"$ROOT"/}"
