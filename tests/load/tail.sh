#!/usr/bin/env bash
# The tail under a slow upstream: 32 connections through CostConsole to the gateway-bench fake upstream answering after
# 50 ms (compare.sh's scenario E), RUNS rounds of SECONDS each, every round measured both direct to the upstream and
# through CostConsole, one after the other. Prints p50, p99 and p99.9 of each round, what CostConsole added at each, and
# the medians, and CostConsole's resident memory (RSS) after each round with the requests it has answered so far.
# Everything listens on and talks to 127.0.0.1; each wrk run is bounded; the script stops what it started.
#
#   bash tests/load/tail.sh
#   DELAY_MS=0 RUNS=10 SECONDS_PER_RUN=30 NO_BUILD=1 APP_BIN=/tmp/cc-bench bash tests/load/tail.sh    about a million requests: is RSS flat?
#   DATA_FROM=/tmp/ledger-1m bash tests/load/tail.sh    the same rounds on a copy of a data folder (one filled by seed-ledger)
#
# Knobs (environment): RUNS=5 SECONDS_PER_RUN=15 WARMUP_SECONDS=20 CONNECTIONS=32 DELAY_MS=50 NO_BUILD=1
#   APP_BIN (a published or built CostConsole.Web folder; default: the Release build, built first)
#   APP_ENV="NAME=value ..." (extra environment for CostConsole only), BENCH (gateway-bench folder)
#   DATA_FROM (a data folder to start from, copied first; default: a fresh one)
# Needs wrk and Node (the fake upstream); the result lines also go to tests/load/results/<time>-tail/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${RUNS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
WARMUP_SECONDS=${WARMUP_SECONDS:-20}
CONNECTIONS=${CONNECTIONS:-32}
DELAY_MS=${DELAY_MS:-50}
BENCH=${BENCH:-$ROOT/../shared/tools/gateway-bench}
APP_BIN=${APP_BIN:-$ROOT/src/CostConsole.Web/bin/Release/net10.0}
LUA=$ROOT/tests/load/tail.lua
API_KEY=cc-tail-0123456789abcdef
OUT=${OUT:-$ROOT/tests/load/results/$(date -u +%Y%m%dT%H%M%SZ)-tail}

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v node >/dev/null || { echo "node is missing" >&2; exit 1; }
[[ -f $BENCH/fake-upstream.js ]] || { echo "no fake upstream at $BENCH/fake-upstream.js (set BENCH)" >&2; exit 1; }

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/costconsole-tail.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

free_port() {
  local port=$1 tries
  for ((tries = 0; tries < 200; tries++, port++)); do
    if ! ss -Htln "sport = :$port" | grep -q .; then echo "$port"; return; fi
  done
  echo "no free port from $1" >&2
  exit 1
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "NA" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p"; }

if [[ -z ${NO_BUILD:-} && $APP_BIN == "$ROOT/src/CostConsole.Web/bin/Release/net10.0" ]]; then
  log "building CostConsole (Release)"
  dotnet build -c Release "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -nologo -v q >"$OUT/build.log" 2>&1
fi

if [[ -n ${DATA_FROM:-} ]]; then
  [[ -d $DATA_FROM ]] || { echo "no data folder at $DATA_FROM" >&2; exit 1; }
  cp -a "$DATA_FROM" "$WORK/data"
fi

UP_PORT=$(free_port 18180)
node "$BENCH/fake-upstream.js" --port "$UP_PORT" --delay-ms "$DELAY_MS" >"$OUT/upstream.log" 2>&1 &
PIDS+=($!)
APP_PORT=$(free_port 5480)
echo '{"model":"auto","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in five words."}],"max_tokens":16,"temperature":0}' >"$WORK/body.json"
(
  cd "$APP_BIN"
  # shellcheck disable=SC2086
  exec env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$APP_PORT" CostConsole__DataFolder="$WORK/data" \
    CostConsole__DevApiKey=$API_KEY CostConsole__Catalogue__Providers__0__Name=simulator \
    CostConsole__Catalogue__Providers__0__BaseUrl="http://127.0.0.1:$UP_PORT/v1" Logging__LogLevel__Default=Warning \
    ${APP_ENV:-} dotnet CostConsole.Web.dll
) >"$OUT/app.log" 2>&1 &
APP_PID=$!
PIDS+=("$APP_PID")

ready=0
for ((i = 0; i < 240; i++)); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
        -d @"$WORK/body.json" "http://127.0.0.1:$APP_PORT/v1/chat/completions" || true) == 200 ]]; then ready=1; break; fi
  sleep 0.5
done
[[ $ready == 1 ]] || { echo "CostConsole did not answer within 120 s; see $OUT/app.log" >&2; exit 1; }

run() { # run NAME URL SECONDS
  CC_BODY=$WORK/body.json CC_KEY=$([[ $1 == direct* ]] && echo "" || echo "$API_KEY") \
    timeout $(($3 + 30)) wrk -t1 -c"$CONNECTIONS" -d"$3s" --timeout 10s -s "$LUA" "$2" 2>&1 | grep '^requests=' | tee -a "$OUT/$1.txt"
}

log "warming up ${WARMUP_SECONDS} s through CostConsole"
run warmup "http://127.0.0.1:$APP_PORT/v1/chat/completions" "$WARMUP_SECONDS" >/dev/null

printf '%-6s %-8s %10s %10s %10s %10s %8s %10s %8s\n' round target rps p50_ms p99_ms p999_ms errors answered rss_mb | tee "$OUT/table.txt"
answered=0
for ((r = 1; r <= RUNS; r++)); do
  d=$(run "direct-$r" "http://127.0.0.1:$UP_PORT/v1/chat/completions" "$SECONDS_PER_RUN")
  c=$(run "through-$r" "http://127.0.0.1:$APP_PORT/v1/chat/completions" "$SECONDS_PER_RUN")
  n=$(field requests <<<"$c")
  answered=$((answered + ${n:-0}))
  rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$APP_PID/status")
  for pair in "direct:$d" "through:$c"; do
    line=${pair#*:}
    errors=$(( $(field bad_status <<<"$line") + $(field sock_errors <<<"$line") ))
    [[ ${pair%%:*} == through ]] && memory="$answered $rss" || memory="- -"
    # shellcheck disable=SC2086
    printf '%-6s %-8s %10s %10s %10s %10s %8s %10s %8s\n' "$r" "${pair%%:*}" "$(field rps <<<"$line")" "$(field p50_ms <<<"$line")" \
      "$(field p99_ms <<<"$line")" "$(field p999_ms <<<"$line")" "$errors" $memory | tee -a "$OUT/table.txt"
  done
  for p in p50_ms p99_ms p999_ms; do
    awk -v a="$(field $p <<<"$c")" -v b="$(field $p <<<"$d")" 'BEGIN { printf "%.3f\n", a - b }' >>"$WORK/added-$p"
  done
done

echo | tee -a "$OUT/table.txt"
for p in p50_ms p99_ms p999_ms; do
  printf 'added %-8s rounds: %s  median: %s\n' "$p" "$(paste -sd' ' "$WORK/added-$p")" "$(median <"$WORK/added-$p")" | tee -a "$OUT/table.txt"
done
