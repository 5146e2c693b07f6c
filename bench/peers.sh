#!/usr/bin/env bash
# Runs the shared peer harness (shared/bench/peers: direct, nginx, LiteLLM, Portkey) with
# Portcullis as its `gateway` target, so one run compares Portcullis with the other gateways.
# The harness is read-only here: it is copied to a scratch folder (PEERS_WORK) and run there,
# with its own install.sh for LiteLLM and Portkey; oha is reused, never rebuilt.
# Its results are copied to bench/results/peers-<run-id>/.
#
# Knobs: PEERS_WORK (scratch, default ~/.cache/portcullis-bench/peers), PEERS_DIR (the harness),
# PORTCULLIS_BIN, and every knob of the harness's run.sh (TARGETS, DURATION, RATES, ...).
set -u
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/lib.sh"

[ -x "$PEERS_DIR/run.sh" ] || die "peer harness not found at $PEERS_DIR (set PEERS_DIR)"
PEERS_WORK="${PEERS_WORK:-$HOME/.cache/portcullis-bench/peers}"
ensure_tools
build_portcullis

mkdir -p "$PEERS_WORK/.deps/cargo/bin"
# Fresh copy of the harness's files; its .deps (installed peers) and results stay.
cp -r "$PEERS_DIR/run.sh" "$PEERS_DIR/bench.py" "$PEERS_DIR/install.sh" "$PEERS_DIR/README.md" "$PEERS_DIR/conf" "$PEERS_WORK/"
chmod -R u+w "$PEERS_WORK"
[ -x "$PEERS_WORK/.deps/cargo/bin/oha" ] || ln -sfn "$OHA" "$PEERS_WORK/.deps/cargo/bin/oha"
log "installing the peers if missing (LiteLLM via pip, Portkey via npm): $PEERS_WORK/install.sh"
"$PEERS_WORK/install.sh" > "$PEERS_WORK/install.out" 2>&1 || log "install.sh reported a failure (see $PEERS_WORK/install.out); missing peers are skipped"

GATEWAY_PORT="${GATEWAY_PORT:-18084}"
export PORTCULLIS_BIN BENCH_CONF="$BENCH_DIR/conf/portcullis.yaml" GATEWAY_PORT
export GATEWAY_KEY="sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GATEWAY_NAME=portcullis
export GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions"
export GATEWAY_MODEL=mock-gpt GATEWAY_STREAM_MODEL=mock-gpt-stream
# Run by the harness with bash -c, after it exported MOCK_BASE_URL, MOCK_SSE_BASE_URL, BENCH_RUN_DIR.
export GATEWAY_CMD='mkdir -p "$BENCH_RUN_DIR/portcullis-data" && exec env BENCH_LISTEN="127.0.0.1:$GATEWAY_PORT" BENCH_DATA_DIR="$BENCH_RUN_DIR/portcullis-data" BENCH_CALL_LOG=true BENCH_MOCK_URL="${MOCK_BASE_URL%/v1}" BENCH_MOCK_SSE_URL="${MOCK_SSE_BASE_URL%/v1}" BENCH_GATEWAY_KEY="$GATEWAY_KEY" "$PORTCULLIS_BIN" serve --config "$BENCH_CONF"'
log "running the peer harness (about 6 minutes with its defaults)"
"$PEERS_WORK/run.sh" || die "the peer harness failed"

run_id="$(readlink "$PEERS_WORK/results/latest")"
mkdir -p "$BENCH_DIR/results"
rm -rf "$BENCH_DIR/results/peers-$run_id"
cp -r "$PEERS_WORK/results/$run_id" "$BENCH_DIR/results/peers-$run_id"
cp "$PEERS_WORK/.deps/versions.txt" "$BENCH_DIR/results/peers-$run_id/versions.txt" 2>/dev/null
log "results in bench/results/peers-$run_id (summary.md, versions.txt)"
