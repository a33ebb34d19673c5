#!/usr/bin/env bash
# What each optional feature costs on /v1/chat/completions: throughput (32 connections) and p50 latency (1 connection)
# with the response cache, Prometheus, OpenTelemetry (OTLP to a local sink) and Redis each turned on alone, as a ratio
# to the lean path (none of them) measured in the same rounds, against the same fake upstream. Every process listens on
# and every request goes to 127.0.0.1; every run is bounded in time; the script stops what it started.
#
#   bash tests/load/features.sh         about 1 minute per configuration and round (7 configurations)
#
# Every request carries a new prompt ("Ticket <thread>-<n>: " before the customer's message), so the cache rows show
# the price of a miss (lookup, embedding, store); the "cache, repeated prompt" row sends one prompt, so it shows hits.
# Knobs (environment): REPEATS=2 THROUGHPUT_SECONDS=10 LATENCY_SECONDS=10 WARMUP_SECONDS=3 NO_BUILD=1
#                      ONLY="lean redis" (a subset of the configurations; lean is always run)
#                      APP_BIN=/path/to/publish (a published build instead of the Release build output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1
REPEATS=${REPEATS:-2}
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-10}
LATENCY_SECONDS=${LATENCY_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-3}
API_KEY=cc-load-0123456789abcdef
OUT=${OUT:-$ROOT/tests/load/results/$(date -u +%Y%m%dT%H%M%SZ)-features}
APP_BIN=${APP_BIN:-$ROOT/src/CostConsole.Web/bin/Release/net10.0}
UPSTREAM_DLL=$ROOT/tests/CostConsole.LoadTest/bin/Release/net10.0/CostConsole.LoadTest.dll
LUA=$ROOT/tests/load/chat.lua
CONFIGS=(lean cache cache-hits prometheus otlp redis direct)
if [[ -n ${ONLY:-} ]]; then
  read -r -a CONFIGS <<<"lean ${ONLY//lean/}"
fi

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/costconsole-features.XXXXXX)
PIDS=()
APP_PID=""

cleanup() {
  local pid
  for pid in "${PIDS[@]}" $APP_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" $APP_PID; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

for tool in wrk curl ss node redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (wrk, curl, iproute2, nodejs, redis-server)" >&2; exit 1; }
done

free_port() {
  local port=$1 tries
  for ((tries = 0; tries < 200; tries++, port++)); do
    if ! ss -Htln "sport = :$port" | grep -q .; then echo "$port"; return; fi
  done
  echo "no free port from $1" >&2
  exit 1
}

wait_healthy() {
  local url=$1 tries
  for ((tries = 0; tries < 120; tries++)); do
    curl -sf -o /dev/null --max-time 1 "$url" && return
    sleep 0.5
  done
  echo "$url did not become healthy within 60 s; see $OUT/*.log" >&2
  exit 1
}

if [[ -z ${NO_BUILD:-} ]]; then
  log "building Release"
  dotnet build -c Release "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -nologo -v q >"$OUT/build.log" 2>&1
  dotnet build -c Release "$ROOT/tests/CostConsole.LoadTest/CostConsole.LoadTest.csproj" -nologo -v q >>"$OUT/build.log" 2>&1
fi

UP_PORT=$(free_port 5701)
APP_PORT=$(free_port $((UP_PORT + 1)))
REDIS_PORT=$(free_port $((APP_PORT + 1)))
SINK_PORT=$(free_port $((REDIS_PORT + 1)))

dotnet "$UPSTREAM_DLL" --port "$UP_PORT" >"$OUT/upstream.log" 2>&1 &
PIDS+=($!)
redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' --appendonly no >"$OUT/redis.log" 2>&1 &
PIDS+=($!)
# An OTLP/HTTP collector stand-in: takes every export and answers 200, as a collector that keeps up would.
node -e "require('http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, {'content-type': 'application/x-protobuf'}); s.end(); }); }).listen($SINK_PORT, '$HOST')" >"$OUT/otlp-sink.log" 2>&1 &
PIDS+=($!)
wait_healthy "http://$HOST:$UP_PORT/health"

cat >"$WORK/body.json" <<'JSON'
{"model":"auto","messages":[{"role":"system","content":"You are the support assistant of Northwind Cloud. Answer politely, cite the customer's plan, and offer to escalate when unsure."},{"role":"user","content":"Hello, I upgraded our workspace from the Team plan to the Business plan on the fourth, and our statement now shows the old plan and the new plan both at the full monthly price, with no proration. Could you check our workspace history and give back the difference to the card on file? Thank you, Maria"}],"user":"cust-4821","temperature":0.2}
JSON

settings_of() {
  case $1 in
    lean) ;;
    cache|cache-hits) echo "CostConsole__Cache__Enabled=true" ;;
    prometheus) echo "CostConsole__Telemetry__Prometheus__Enabled=true" ;;
    otlp) echo "OTEL_EXPORTER_OTLP_ENDPOINT=http://$HOST:$SINK_PORT OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" ;;
    redis) echo "CostConsole__Redis__Configuration=$HOST:$REDIS_PORT" ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
}

start_app() {
  local data=$WORK/data-$1-$2
  mkdir -p "$data"
  (
    cd "$APP_BIN"
    # shellcheck disable=SC2046 # the settings are NAME=value words
    exec env ASPNETCORE_ENVIRONMENT=Production \
      CostConsole__DataFolder="$data" \
      CostConsole__DevApiKey="$API_KEY" \
      CostConsole__Catalogue__Providers__0__Name=simulator \
      CostConsole__Catalogue__Providers__0__BaseUrl="http://$HOST:$UP_PORT/v1" \
      Logging__LogLevel__Default=Warning \
      $(settings_of "$1") \
      dotnet CostConsole.Web.dll --urls "http://$HOST:$APP_PORT"
  ) >>"$OUT/app-$1.log" 2>&1 &
  APP_PID=$!
  wait_healthy "http://$HOST:$APP_PORT/health"
  local status
  status=$(curl -s -o "$OUT/smoke-$1.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    --data-binary @"$WORK/body.json" "http://$HOST:$APP_PORT/v1/chat/completions")
  [[ $status == 200 ]] || { echo "$1: the first request answered $status; see $OUT/smoke-$1.json and $OUT/app-$1.log" >&2; exit 1; }
}

stop_app() {
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=""
}

# wrk_run CONFIG ROUND KIND(throughput|latency) PORT: prints "rps p50_us"
wrk_run() {
  local config=$1 round=$2 kind=$3 port=$4 connections seconds vary=1 file
  [[ $kind == throughput ]] && { connections=32; seconds=$THROUGHPUT_SECONDS; } || { connections=1; seconds=$LATENCY_SECONDS; }
  [[ $config == cache-hits ]] && vary=0
  file=$OUT/$config-$kind-$round.txt
  CC_KEY=$API_KEY CC_BODY=$WORK/body.json CC_VARY=$vary timeout $((WARMUP_SECONDS + 30)) \
    wrk -t1 -c"$connections" -d"${WARMUP_SECONDS}s" --timeout 10s -s "$LUA" "http://$HOST:$port/v1/chat/completions" >/dev/null 2>&1 || true
  CC_KEY=$API_KEY CC_BODY=$WORK/body.json CC_VARY=$vary timeout $((seconds + 30)) \
    wrk -t1 -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$LUA" "http://$HOST:$port/v1/chat/completions" >"$file" 2>&1
  grep -q 'RESULT.* other=0 ' "$file" || { echo "$config $kind round $round had non-200 answers or no result: see $file" >&2; exit 1; }
  sed -n 's/.*RESULT.* rps=\([0-9.]*\) p50_us=\([0-9]*\).*/\1 \2/p' "$file"
}

log "load: $(uptime)"
: >"$WORK/results"
for ((round = 1; round <= REPEATS; round++)); do
  order=("${CONFIGS[@]}")
  (( round % 2 == 0 )) && mapfile -t order < <(printf '%s\n' "${CONFIGS[@]}" | tac)
  for config in "${order[@]}"; do
    if [[ $config == direct ]]; then
      port=$UP_PORT
    else
      start_app "$config" "$round"
      port=$APP_PORT
    fi
    read -r rps _ < <(wrk_run "$config" "$round" throughput "$port")
    read -r _ p50 < <(wrk_run "$config" "$round" latency "$port")
    [[ $config == direct ]] || stop_app
    echo "$config $round $rps $p50" >>"$WORK/results"
    log "round $round $config: ${rps} req/s at 32 connections, p50 ${p50} µs at 1 connection; load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
cp "$WORK/results" "$OUT/results.txt"

{
  echo "## Feature prices ($(date -u +%Y-%m-%dT%H:%MZ), $REPEATS rounds, $(nproc) cores, load at the end $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| configuration | req/s, 32 connections (rounds) | throughput / lean | p50 µs, 1 connection (rounds) | added p50 vs direct | added p50 / lean's |"
  echo "|---|---|---:|---|---:|---:|"
  awk -v configs="${CONFIGS[*]}" '
    { rps[$1] += $3; p50[$1] += $4; n[$1]++; rr[$1] = rr[$1] (rr[$1] == "" ? "" : " / ") $3; pr[$1] = pr[$1] (pr[$1] == "" ? "" : " / ") $4 }
    END {
      split(configs, order, " ")
      direct = ("direct" in n) ? p50["direct"] / n["direct"] : 0
      leanRps = rps["lean"] / n["lean"]; leanAdded = p50["lean"] / n["lean"] - direct
      for (k = 1; k in order; k++) {
        c = order[k]; if (!(c in n)) continue
        r = rps[c] / n[c]; added = p50[c] / n[c] - direct
        if (c == "direct") { printf "| direct to the upstream | %s | | %s | | |\n", rr[c], pr[c]; continue }
        printf "| %s | %s | %.2f | %s | %+.0f µs | %s |\n", c, rr[c], r / leanRps, pr[c], added,
          (("direct" in n) && leanAdded > 0) ? sprintf("%.2f", added / leanAdded) : "n/a"
      }
    }' "$WORK/results"
} | tee "$OUT/summary.md"
