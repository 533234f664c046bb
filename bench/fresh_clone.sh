#!/usr/bin/env bash
# Seconds from a fresh clone to the first 200 of `make run`, then again for a second `make run`.
#
#   bench/fresh_clone.sh [REPO]      REPO defaults to this checkout; its committed HEAD is cloned
#
# Environment: MEDKAB_PORT (default 8765; a free port is picked if it is taken),
#              TIMEOUT seconds per start (default 900), KEEP=1 keeps the clone.
# Writes bench/results/fresh_clone.md and the timestamped `make run` logs beside it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${1:-$(cd "$here/.." && pwd)}
results="$here/results"
timeout=${TIMEOUT:-900}
port=${MEDKAB_PORT:-8765}

# The developer's MEDKAB_* settings (instance path, debug, ...) must not leak into the clone.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^MEDKAB_' || true)

port_is_free() {
    python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
if ! port_is_free "$port"; then
    taken=$port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "port $taken is taken; using $port"
fi
url="http://127.0.0.1:$port/login"

mkdir -p "$results"
clone=$(mktemp -d /tmp/medkab-fresh-XXXX)
pgid=""
# gunicorn 27 binds a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl (else ~/.gunicorn/):
# give ours a private one so a developer's running server keeps its own.
XDG_RUNTIME_DIR=$(mktemp -d /tmp/medkab-fresh-ctl-XXXX)
export XDG_RUNTIME_DIR

stop_server() {
    [[ -n "$pgid" ]] || return 0
    if kill -0 -- "-$pgid" 2>/dev/null; then
        kill -TERM -- "-$pgid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 -- "-$pgid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pgid" 2>/dev/null || true
    fi
    wait "$pgid" 2>/dev/null || true
    pgid=""
}

cleanup() {
    stop_server
    rm -rf "$XDG_RUNTIME_DIR"
    if [[ "${KEEP:-0}" == "1" ]]; then
        echo "clone kept in $clone"
    else
        rm -rf "$clone"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

since() {  # seconds since an $EPOCHREALTIME stamp, one decimal
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# Start `make run` in its own session (so the whole gunicorn group can be stopped), every output
# line stamped with seconds since the start; set $seconds to the time until the first 200.
seconds=""
timed_start() {
    local log=$1 start
    start=$EPOCHREALTIME
    setsid bash -c '
        cd "$1" || exit 1
        make run MEDKAB_PORT="$3" < /dev/null 2>&1 | while IFS= read -r line; do
            printf "%7s  %s\n" "$(awk -v a="$2" -v b="$EPOCHREALTIME" '"'"'BEGIN { printf "%.2f", b - a }'"'"')" "$line"
        done
    ' _ "$clone" "$start" "$port" > "$log" &
    pgid=$!
    for _ in $(seq 1 50); do  # setsid() happens just after the fork
        [[ "$(ps -o pgid= -p "$pgid" | tr -d ' ')" == "$pgid" ]] && break
        sleep 0.02
    done
    if [[ "$(ps -o pgid= -p "$pgid" | tr -d ' ')" != "$pgid" ]]; then
        echo "could not start make run in its own process group" >&2
        return 1
    fi
    while ! curl -sf -o /dev/null --max-time 2 "$url"; do
        if ! kill -0 "$pgid" 2>/dev/null; then
            echo "make run exited before answering; last lines of $log:" >&2
            tail -n 40 "$log" >&2
            return 1
        fi
        if (( $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print int(b - a) }') > timeout )); then
            echo "no 200 from $url after ${timeout}s; last lines of $log:" >&2
            tail -n 40 "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    seconds=$(since "$start")
}

head=$(git -C "$repo" rev-parse --short HEAD)
untracked=$(git -C "$repo" status --porcelain | grep -c . || true)
echo "cloning $repo (HEAD $head) into $clone"
if [[ "$untracked" != "0" ]]; then
    echo "note: $repo has $untracked uncommitted or untracked paths; only the committed HEAD is cloned"
fi
git clone --quiet "$repo" "$clone"

echo "first make run (creates .venv, installs, migrates, seeds demo data) on port $port ..."
timed_start "$results/fresh_clone-run1.log"
first=$seconds
echo "  first 200 after ${first}s"
stop_server

echo "second make run (venv and data kept) ..."
timed_start "$results/fresh_clone-run2.log"
second=$seconds
echo "  first 200 after ${second}s"
stop_server

kept="no"
if grep -q "в базе уже есть пользователи" "$results/fresh_clone-run2.log" \
    && [[ -s "$clone/instance/medkab.sqlite3" ]]; then
    kept="yes"
fi

phases() {  # the stamped lines where each step of `make run` starts
    grep -E '^ *[0-9.]+  (python3 -m venv|\.venv/bin/pip|touch|\.venv/bin/flask|MEDKAB_DEBUG|Миграции|База данных|Демо|.*Listening at|.*Booting worker)' "$1" \
        | sed -E 's/^ *([0-9.]+)  (.{0,110}).*/  - \1 s: `\2`/'
}

report="$results/fresh_clone.md"
{
    echo "# Fresh clone to first 200"
    echo
    echo "- run: $(date '+%Y-%m-%d %H:%M'), commit $head, $(nproc) CPUs, $(python3 --version)"
    echo "- first \`make run\` (fresh clone: venv, pip install, migrate, seed): **${first} s**"
    echo "- second \`make run\` (same clone): **${second} s**; data kept: $kept"
    echo
    echo "First run, seconds since start when each step began:"
    echo
    phases "$results/fresh_clone-run1.log"
    echo
    echo "Second run:"
    echo
    phases "$results/fresh_clone-run2.log"
} > "$report"
echo
cat "$report"
echo
echo "written to $report (logs: $results/fresh_clone-run{1,2}.log)"
