#!/usr/bin/env bash
# Bounded side-by-side load test of /v1/chat/completions on the stores CostConsole runs on:
#   sqlite   one instance on SQLite (the embedded default)
#   shared   one instance on PostgreSQL + Redis
#   two      two instances on the same PostgreSQL + Redis, the connections split evenly between them
#            (what a round-robin load balancer does with kept-alive connections)
# Every configuration has the same global budget (non-strict, far from its limit), so every request reserves and
# settles on it: in process on SQLite, through the Lua scripts in Redis on the shared stores. The three are measured in
# turn within each round, so that a busy machine weighs on all of them alike; the summary gives the medians and the
# ratios to SQLite.
#
#   bash tests/load/cluster.sh
#
# Needs wrk, curl, ss, redis-server and PostgreSQL's initdb/pg_ctl/psql (/usr/lib/postgresql/<version>/bin).
# Knobs (environment): REPEATS=3 LATENCY_SECONDS=10 THROUGHPUT_SECONDS=15 NO_BUILD=1
# Every process listens on and every request goes to 127.0.0.1; the script stops what it started and deletes its
# temporary folders.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1
REPEATS=${REPEATS:-3}
LATENCY_SECONDS=${LATENCY_SECONDS:-10}
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-15}
API_KEY=cc-load-0123456789abcdef
OUT=${OUT:-$ROOT/tests/load/results/$(date -u +%Y%m%dT%H%M%SZ)-cluster}
APP_BIN=$ROOT/src/CostConsole.Web/bin/Release/net10.0
UPSTREAM_DLL=$ROOT/tests/CostConsole.LoadTest/bin/Release/net10.0/CostConsole.LoadTest.dll
LUA=$ROOT/tests/load/chat.lua
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/costconsole-cluster-load.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PG_STARTED=

as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $PG_STARTED ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

for tool in wrk curl ss redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install wrk curl iproute2 redis-server" >&2; exit 1; }
done
[[ -x $PG_BIN/initdb ]] || { echo "PostgreSQL is missing: apt-get install postgresql (no service needs to run)" >&2; exit 1; }

free_port() {
  local port=$1 tries
  for ((tries = 0; tries < 200; tries++, port++)); do
    if ! ss -Htln "sport = :$port" | grep -q . && [[ " ${TAKEN:-} " != *" $port "* ]]; then
      TAKEN="${TAKEN:-} $port"
      echo "$port"
      return
    fi
  done
  echo "no free port from $1" >&2
  exit 1
}

wait_healthy() {
  local url=$1 tries
  for ((tries = 0; tries < 240; tries++)); do
    curl -sf -o /dev/null --max-time 1 "$url" && return
    sleep 0.5
  done
  echo "$url did not become healthy within 120 s; see $OUT/*.log" >&2
  exit 1
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "NA" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }
field() { sed -n "s/.*RESULT.* $1=\([0-9.]*\).*/\1/p" "$2"; }
ms_of() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }
collect() { local f; for f in "$OUT"/$1-*.txt; do field "$2" "$f"; done; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }

if [[ -z ${NO_BUILD:-} ]]; then
  log "building Release"
  dotnet build -c Release "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -nologo -v q >"$OUT/build.log" 2>&1
  dotnet build -c Release "$ROOT/tests/CostConsole.LoadTest/CostConsole.LoadTest.csproj" -nologo -v q >>"$OUT/build.log" 2>&1
fi

UP_PORT=$(free_port 5701)
PG_PORT=$(free_port 5801)
REDIS_PORT=$(free_port 5901)
SQLITE_PORT=$(free_port 6001)
SHARED_PORT=$(free_port 6101)
SECOND_PORT=$(free_port 6201)

log "fake upstream on $HOST:$UP_PORT"
dotnet "$UPSTREAM_DLL" --port "$UP_PORT" >"$OUT/upstream.log" 2>&1 &
PIDS+=("$!")

log "PostgreSQL on $HOST:$PG_PORT, Redis on $HOST:$REDIS_PORT (throwaway, in $WORK)"
mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$WORK/pg"
as_postgres "$PG_BIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$OUT/postgres-init.log" 2>&1
as_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=$HOST -c max_connections=200" start >>"$OUT/postgres-init.log" 2>&1
PG_STARTED=1
"$PG_BIN/psql" -h "$HOST" -p "$PG_PORT" -U postgres -qc 'CREATE DATABASE costconsole' >/dev/null
redis-server --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no --dir "$WORK" >"$OUT/redis.log" 2>&1 &
PIDS+=("$!")
PG_CONNECTION="Host=$HOST;Port=$PG_PORT;Username=postgres;Database=costconsole;Maximum Pool Size=60"

# start_app NAME PORT DATA_FOLDER [NAME=value...]: one CostConsole from the Release output; its pid in APP_PID.
start_app() {
  local name=$1 port=$2 data=$3
  shift 3
  (
    cd "$APP_BIN"
    exec env ASPNETCORE_ENVIRONMENT=Production \
      CostConsole__DataFolder="$data" \
      CostConsole__DevApiKey="$API_KEY" \
      CostConsole__Catalogue__Providers__0__Name=simulator \
      CostConsole__Catalogue__Providers__0__BaseUrl="http://$HOST:$UP_PORT/v1" \
      Logging__LogLevel__Default=Warning \
      "$@" \
      dotnet CostConsole.Web.dll --urls "http://$HOST:$port"
  ) >>"$OUT/$name.log" 2>&1 &
  APP_PID=$!
  PIDS+=("$APP_PID")
  wait_healthy "http://$HOST:$port/health"
}

SHARED_ENV=(CostConsole__Database__Provider=PostgreSql "CostConsole__Database__ConnectionString=$PG_CONNECTION" "CostConsole__Redis__Configuration=$HOST:$REDIS_PORT")
BUDGET_SQL="INSERT INTO \"Budgets\" (\"Name\", \"Scope\", \"ScopeValue\", \"Period\", \"LimitNanoUsd\", \"AlertThresholds\", \"Strict\", \"Enabled\", \"CreatedAt\", \"UpdatedAt\") VALUES ('Load test', 0, NULL, 2, 1000000000000000, '100', false, true, $(date +%s)000, $(date +%s)000);"

# Each store is created by a first start; the budget is written while no instance runs, and read at the next start.
log "creating the stores"
start_app sqlite "$SQLITE_PORT" "$WORK/sqlite"
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
python3 - "$WORK/sqlite/costconsole.db" "$BUDGET_SQL" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2].replace('"', '')); db.commit()
PY
start_app shared "$SHARED_PORT" "$WORK/shared" "${SHARED_ENV[@]}"
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
"$PG_BIN/psql" -h "$HOST" -p "$PG_PORT" -U postgres -d costconsole -qc "$BUDGET_SQL" >/dev/null

start_app sqlite "$SQLITE_PORT" "$WORK/sqlite"
start_app shared "$SHARED_PORT" "$WORK/shared" "${SHARED_ENV[@]}"
start_app second "$SECOND_PORT" "$WORK/second" "${SHARED_ENV[@]}"

cat >"$WORK/body.json" <<'JSON'
{"model":"auto","messages":[{"role":"system","content":"You are the support assistant of Northwind Cloud. Answer politely, cite the customer's plan, and offer to escalate when unsure."},{"role":"user","content":"Hello, I upgraded our workspace from the Team plan to the Business plan on the fourth, and our statement now shows the old plan and the new plan both at the full monthly price, with no proration. Could you check our workspace history and give back the difference? Thank you, Maria"}],"metadata":{"team":"support","channel":"email"},"user":"cust-4821","max_tokens":400}
JSON

for port in "$SQLITE_PORT" "$SHARED_PORT" "$SECOND_PORT"; do
  status=$(curl -s -o "$OUT/smoke-$port.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    --data-binary @"$WORK/body.json" --max-time 30 "http://$HOST:$port/v1/chat/completions")
  [[ $status == 200 ]] || { echo "smoke request on port $port answered $status: $(cat "$OUT/smoke-$port.json")" >&2; exit 1; }
done

# wrk_to NAME PORT CONNECTIONS THREADS SECONDS: writes $OUT/NAME.txt with chat.lua's RESULT line.
wrk_to() {
  CC_KEY=$API_KEY CC_BODY=$WORK/body.json CC_MAX_PER_THREAD=0 CC_DELAY_MS=0 CC_VARY=0 \
    timeout $(($5 + 30)) wrk -t"$4" -c"$3" -d"$5s" --timeout 10s --latency -s "$LUA" "http://$HOST:$2/v1/chat/completions" >"$OUT/$1.txt" 2>&1
  grep -q RESULT "$OUT/$1.txt" || { echo "wrk failed: see $OUT/$1.txt" >&2; exit 1; }
}

log "warming up"
wrk_to warmup-direct "$UP_PORT" 1 1 3
for port in "$SQLITE_PORT" "$SHARED_PORT" "$SECOND_PORT"; do
  wrk_to "warmup-$port" "$port" 16 2 5
done

for ((r = 1; r <= REPEATS; r++)); do
  log "round $r/$REPEATS: latency, 1 connection, ${LATENCY_SECONDS} s each (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  wrk_to "latency-direct-$r" "$UP_PORT" 1 1 "$LATENCY_SECONDS"
  wrk_to "latency-sqlite-$r" "$SQLITE_PORT" 1 1 "$LATENCY_SECONDS"
  wrk_to "latency-shared-$r" "$SHARED_PORT" 1 1 "$LATENCY_SECONDS"
  log "round $r/$REPEATS: throughput, 32 connections, ${THROUGHPUT_SECONDS} s each"
  wrk_to "throughput-sqlite-$r" "$SQLITE_PORT" 32 2 "$THROUGHPUT_SECONDS"
  wrk_to "throughput-shared-$r" "$SHARED_PORT" 32 2 "$THROUGHPUT_SECONDS"
  # Round robin over two instances: half the connections to each, at the same time.
  wrk_to "throughput-twoa-$r" "$SHARED_PORT" 16 1 "$THROUGHPUT_SECONDS" &
  first=$!
  wrk_to "throughput-twob-$r" "$SECOND_PORT" 16 1 "$THROUGHPUT_SECONDS"
  wait "$first"
  awk -v a="$(field rps "$OUT/throughput-twoa-$r.txt")" -v b="$(field rps "$OUT/throughput-twob-$r.txt")" \
    'BEGIN { printf "RESULT rps=%.2f\n", a + b }' >"$OUT/throughput-two-$r.txt"
  echo "$(cut -d' ' -f1 /proc/loadavg)" >"$OUT/load-$r.txt"
done

# Every acknowledged request of the shared stores is in PostgreSQL's ledger (rows beyond are requests answered after wrk let go).
acknowledged=$(for f in "$OUT"/latency-shared-*.txt "$OUT"/throughput-shared-*.txt "$OUT"/throughput-twoa-*.txt "$OUT"/throughput-twob-*.txt "$OUT"/warmup-"$SHARED_PORT".txt "$OUT"/warmup-"$SECOND_PORT".txt; do field status200 "$f"; done | awk '{ s += $1 } END { print s + 2 }')
rows=$("$PG_BIN/psql" -h "$HOST" -p "$PG_PORT" -U postgres -d costconsole -tAc 'SELECT count(*) FROM "RequestLog" WHERE "HttpStatus" = 200')

p50_direct=$(collect latency-direct p50_us | median)
p50_sqlite=$(collect latency-sqlite p50_us | median)
p50_shared=$(collect latency-shared p50_us | median)
rps_sqlite=$(collect throughput-sqlite rps | median)
rps_shared=$(collect throughput-shared rps | median)
rps_two=$(collect throughput-two rps | median)
{
  echo
  echo "| Round | load average | added p50 SQLite (µs) | added p50 PostgreSQL + Redis (µs) | req/s SQLite | req/s PostgreSQL + Redis | req/s two instances |"
  echo "|---|---|---|---|---|---|---|"
  for ((r = 1; r <= REPEATS; r++)); do
    d=$(field p50_us "$OUT/latency-direct-$r.txt")
    echo "| $r | $(cat "$OUT/load-$r.txt") | $(( $(field p50_us "$OUT/latency-sqlite-$r.txt") - d )) | $(( $(field p50_us "$OUT/latency-shared-$r.txt") - d )) | $(field rps "$OUT/throughput-sqlite-$r.txt") | $(field rps "$OUT/throughput-shared-$r.txt") | $(field rps "$OUT/throughput-two-$r.txt") |"
  done
  echo
  echo "Medians of $REPEATS rounds"
  echo
  echo "| Measure | SQLite, one instance | PostgreSQL + Redis, one instance | PostgreSQL + Redis, two instances |"
  echo "|---|---|---|---|"
  echo "| added p50, 1 connection | +$(ms_of "$(awk -v a="$p50_sqlite" -v b="$p50_direct" 'BEGIN { print a - b }')") ms | +$(ms_of "$(awk -v a="$p50_shared" -v b="$p50_direct" 'BEGIN { print a - b }')") ms | |"
  echo "| requests/s, 32 connections | $rps_sqlite | $rps_shared ($(ratio "$rps_shared" "$rps_sqlite")) | $rps_two ($(ratio "$rps_two" "$rps_sqlite")) |"
  echo
  echo "Ledger (PostgreSQL): $acknowledged answers acknowledged, $rows answered rows."
  echo "Results and raw wrk output: $OUT"
} | tee "$OUT/summary.md"
