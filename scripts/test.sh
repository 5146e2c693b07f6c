#!/usr/bin/env bash
# THE test command: what a newcomer runs and what CI runs (.ci/run execs this).
#
#   scripts/test.sh              # everything
#   scripts/test.sh --e2e-only   # skip fmt/clippy/cargo tests (still builds the binary)
#   scripts/test.sh -- -k stream # extra arguments after `--` go to pytest
#
# Needs: a Rust toolchain (cargo, rustfmt, clippy) and Python 3.11+ with venv. Everything else
# is installed here. Idempotent; safe to re-run. Honours CARGO_TARGET_DIR. Environment knobs:
#   PORTCULLIS_VENV   where the Python venv lives (default: <repo>/.venv)
#   PYTHON            the interpreter used to create the venv (default: python3)
#   E2E_JOBS          reserved; the e2e suite runs serially (shared mocks, 2-core boxes)
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RUN_RUST=1
PYTEST_ARGS=()
while (($#)); do
  case "$1" in
    --e2e-only) RUN_RUST=0 ;;
    --) shift; PYTEST_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${PORTCULLIS_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS="$ROOT/tests/e2e/requirements.txt"

# --- output helpers ------------------------------------------------------------------------------
SCRIPT_START=$(date +%s)
SECTION=""
SECTION_START=0
TIMINGS=()

section() {
  end_section
  SECTION="$1"
  SECTION_START=$(date +%s)
  printf '\n==== %s ====\n' "$SECTION"
}

end_section() {
  if [[ -n "$SECTION" ]]; then
    local took=$(( $(date +%s) - SECTION_START ))
    TIMINGS+=("$(printf '%-28s %4ss' "$SECTION" "$took")")
    printf -- '---- %s: done in %ss\n' "$SECTION" "$took"
    SECTION=""
  fi
}

die() {
  printf '\ntest.sh: FAILED in "%s": %s\n' "${SECTION:-setup}" "$*" >&2
  SECTION=""  # already reported: the EXIT trap need not repeat it
  exit 1
}

# --- cleanup: every process this script started goes away, whatever happens ----------------------
STARTED_PIDS=()
cleanup() {
  local status=$?
  for pid in "${STARTED_PIDS[@]:-}"; do
    # SIGTERM first: the e2e suite turns it into Ctrl-C and runs its teardown (stops its
    # gateways); whatever is left after 5 s is killed.
    [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]:-}"; do
    [[ -n "$pid" ]] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((status != 0)) && [[ -n "$SECTION" ]]; then
    printf '\ntest.sh: FAILED in "%s" (exit %s)\n' "$SECTION" "$status" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a long command in the background and waits for it, so that a signal to this script is
# handled at once (bash defers traps until a foreground child ends) and the child is stopped.
run_tracked() {
  "$@" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  local status=0
  wait "$pid" || status=$?
  STARTED_PIDS=("${STARTED_PIDS[@]/$pid}")
  return "$status"
}

# --- prerequisites --------------------------------------------------------------------------------
section "prerequisites"
command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs)"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found: install Python 3.11+"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$PYTHON is $("$PYTHON" --version 2>&1); Python 3.11+ is required"
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  # Debian splits venv support out of python3; install it when we can (CI runs as root).
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing python3-venv (apt)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } \
      >/dev/null || die "apt-get could not install python3-venv"
  fi
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || die "Python venv/ensurepip missing (Debian: apt-get install python3-venv)"
fi
if ((RUN_RUST)); then
  cargo fmt --version >/dev/null 2>&1 || die "rustfmt missing: rustup component add rustfmt"
  cargo clippy --version >/dev/null 2>&1 || die "clippy missing: rustup component add clippy"
fi
echo "cargo: $(cargo --version)"
echo "python: $("$PYTHON" --version 2>&1)"
echo "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"

# --- services (PostgreSQL, Redis) -----------------------------------------------------------------
# Later work adds servers the tests need. Install them with apt-get here (only when missing),
# start them on loopback with their data under "$CARGO_TARGET_DIR/services", append each pid
# to STARTED_PIDS so the EXIT trap stops it, and export the URLs the tests read, e.g.
#   PORTCULLIS_TEST_POSTGRES_URL=postgres://...   PORTCULLIS_TEST_REDIS_URL=redis://...
# Nothing is needed yet.

# --- Rust -----------------------------------------------------------------------------------------
if ((RUN_RUST)); then
  section "cargo fmt --check"
  cargo fmt --all -- --check || die "formatting differs: run 'cargo fmt --all'"

  section "cargo clippy"
  cargo clippy --workspace --all-targets --locked -- -D warnings || die "clippy found problems"

  if cargo nextest --version >/dev/null 2>&1; then
    section "cargo nextest"
    # --no-tests=warn: a crate without tests yet is not a failure.
    cargo nextest run --workspace --locked --no-tests=warn || die "Rust tests failed"
    section "cargo test --doc"
    cargo test --workspace --locked --doc || die "doc tests failed"
  else
    section "cargo test"
    cargo test --workspace --locked || die "Rust tests failed"
  fi
fi

section "build portcullis"
cargo build -p portcullis --locked || die "could not build the portcullis binary"
export PORTCULLIS_BIN="$CARGO_TARGET_DIR/debug/portcullis"
[[ -x "$PORTCULLIS_BIN" ]] || die "$PORTCULLIS_BIN missing after build"

# --- Python venv (reinstalled only when requirements.txt changes) ---------------------------------
section "python venv"
STAMP="$VENV/.requirements.sha256"
WANT="$( (sha256sum "$REQUIREMENTS"; "$PYTHON" --version 2>&1) | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  echo "venv $VENV is up to date"
else
  echo "creating venv $VENV from $REQUIREMENTS"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create the venv at $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
    || die "could not upgrade pip in the venv"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" \
    || die "pip could not install $REQUIREMENTS"
  echo "$WANT" > "$STAMP"
fi

# --- end-to-end -----------------------------------------------------------------------------------
section "e2e (pytest)"
# The suite starts and stops its own mocks and gateways (fixtures clean up; -p no:cacheprovider
# keeps the checkout clean). Exit code 5 (no tests collected) is a failure here on purpose.
run_tracked "$VENV/bin/python" -m pytest tests/e2e -p no:cacheprovider "${PYTEST_ARGS[@]}" \
  || die "end-to-end tests failed (logs of each gateway are attached to its failing tests)"

end_section
printf '\n==== summary ====\n'
printf '%s\n' "${TIMINGS[@]}"
printf 'total %ss: all checks passed\n' "$(( $(date +%s) - SCRIPT_START ))"
