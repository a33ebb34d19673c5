#!/usr/bin/env bash
# Bounded load test of CostConsole's /v1/chat/completions against a fake OpenAI-compatible upstream.
# Every process listens on and every request goes to 127.0.0.1; every loop is bounded in count and time;
# the script stops by itself and stops what it started.
#
#   bash tests/load/run.sh          latency (1 connection), throughput (32 connections), ledger check, streaming
#   bash tests/load/run.sh soak     ~1,000,000 requests or 10 minutes, RSS sampled every 10 s into a CSV
#   bash tests/load/run.sh classifier   throughput (32 connections) when every request reaches the semantic classifier:
#                                       TF-IDF and MiniLM rounds side by side, a new prompt per request and a repeated one
#
# Knobs (environment): REPEATS=3 LATENCY_SECONDS=20 THROUGHPUT_SECONDS=30 STREAM_REQUESTS=200
#                      SOAK_REQUESTS=1000000 SOAK_SECONDS=600 SOAK_CONNECTIONS=16 NO_BUILD=1
#                      SOAK_DELAY_MS=6 (pause per connection between requests, for a steady rate)
#                      APP_ENV="DOTNET_gcServer=1 ..." (extra environment for CostConsole only)
set -euo pipefail

MODE=${1:-standard}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1
REPEATS=${REPEATS:-3}
LATENCY_SECONDS=${LATENCY_SECONDS:-20}
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-30}
STREAM_REQUESTS=${STREAM_REQUESTS:-200}
SOAK_REQUESTS=${SOAK_REQUESTS:-1000000}
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_CONNECTIONS=${SOAK_CONNECTIONS:-16}
# 16 connections pausing 6 ms make about 1,700-2,000 requests/s on the 2-core box: 1,000,000 in about 10 minutes.
SOAK_DELAY_MS=${SOAK_DELAY_MS:-6}
API_KEY=cc-load-0123456789abcdef
OUT=${OUT:-$ROOT/tests/load/results/$(date -u +%Y%m%dT%H%M%SZ)-$MODE}
APP_BIN=$ROOT/src/CostConsole.Web/bin/Release/net10.0
UPSTREAM_DLL=$ROOT/tests/CostConsole.LoadTest/bin/Release/net10.0/CostConsole.LoadTest.dll
LUA=$ROOT/tests/load/chat.lua

case $MODE in
  standard|soak|classifier) ;;
  *) echo "usage: $0 [soak|classifier]" >&2; exit 2 ;;
esac

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/costconsole-load.XXXXXX)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

need() {
  command -v "$1" >/dev/null && return
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing $2"
    apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null
  else
    echo "$1 is missing: apt-get install $2" >&2
    exit 1
  fi
}

# The first free TCP port on 127.0.0.1 from $1 (at most 200 tried).
free_port() {
  local port=$1 tries
  for ((tries = 0; tries < 200; tries++, port++)); do
    if ! ss -Htln "sport = :$port" | grep -q .; then
      echo "$port"
      return
    fi
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

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "NA" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# All-CPU busy and total jiffies from /proc/stat.
system_ticks() { awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8; total = busy + $5 + $6; print busy, total }' /proc/stat; }

answered_rows() { sqlite3 "$DB" "SELECT count(*) FROM RequestLog WHERE HttpStatus = 200;"; }

# Waits (at most 5 s) until the ledger's row count stops moving: requests in flight when wrk stops finish.
settled_rows() {
  local before after tries
  before=$(answered_rows)
  for ((tries = 0; tries < 10; tries++)); do
    sleep 0.5
    after=$(answered_rows)
    [[ $after == "$before" ]] && break
    before=$after
  done
  echo "$before"
}

# Stops the script with the reason when CostConsole or the fake upstream is gone (another user's pkill, a crash).
alive() {
  local pid status
  for pid in "$APP_PID" "$UP_PID"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" 2>/dev/null || status=$?
      echo "process $pid ($([[ $pid == "$APP_PID" ]] && echo CostConsole || echo fake upstream)) exited with status $status during $1; see $OUT/app.log and $OUT/upstream.log" | tee -a "$OUT/run.log" >&2
      exit 1
    fi
  done
}

field() { sed -n "s/.*RESULT.* $1=\([0-9.]*\).*/\1/p" "$2"; }
ms_of() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }
collect() { local f; for f in "$OUT"/$1-*.txt; do field "$2" "$f"; done; }

# run_wrk NAME TARGET(direct|through) CONNECTIONS THREADS SECONDS [MAX_PER_THREAD]
# Writes $OUT/NAME.txt (wrk's output and our CPU accounting) and prints the RESULT line.
run_wrk() {
  local name=$1 target=$2 connections=$3 threads=$4 seconds=$5 max=${6:-0} url app0 up0 sys0 rows0 rows1
  url="http://$HOST:$([[ $target == direct ]] && echo "$UP_PORT" || echo "$APP_PORT")/v1/chat/completions"
  app0=$(cpu_ticks "$APP_PID"); up0=$(cpu_ticks "$UP_PID"); read -r sys0 tot0 < <(system_ticks); rows0=$(answered_rows)
  CC_KEY=$API_KEY CC_BODY=$WORK/body.json CC_MAX_PER_THREAD=$max CC_DELAY_MS=${DELAY_MS:-0} CC_VARY=${CC_VARY:-0} \
    timeout $((seconds + 30)) wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$LUA" "$url" >"$OUT/$name.txt" 2>&1
  alive "$name"
  rows1=$(settled_rows)
  read -r sys1 tot1 < <(system_ticks)
  {
    echo "CPU app_ticks=$(( $(cpu_ticks "$APP_PID") - app0 )) upstream_ticks=$(( $(cpu_ticks "$UP_PID") - up0 )) system_busy_ticks=$((sys1 - sys0)) system_total_ticks=$((tot1 - tot0)) clk_tck=$(getconf CLK_TCK)"
    echo "LEDGER answered_rows_added=$((rows1 - rows0))"
  } >>"$OUT/$name.txt"
  grep RESULT "$OUT/$name.txt" >/dev/null || { echo "wrk failed: see $OUT/$name.txt" >&2; exit 1; }
}

need wrk wrk
need sqlite3 sqlite3
need curl curl
need ss iproute2

if [[ -z ${NO_BUILD:-} ]]; then
  log "building Release"
  dotnet build -c Release "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -nologo -v q >"$OUT/build.log" 2>&1
  dotnet build -c Release "$ROOT/tests/CostConsole.LoadTest/CostConsole.LoadTest.csproj" -nologo -v q >>"$OUT/build.log" 2>&1
fi

UP_PORT=$(free_port 5601)
APP_PORT=$(free_port $((UP_PORT + 1)))
DATA=$WORK/data
DB=$DATA/costconsole.db

log "fake upstream on $HOST:$UP_PORT"
dotnet "$UPSTREAM_DLL" --port "$UP_PORT" >"$OUT/upstream.log" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")

start_app() {
  log "CostConsole on $HOST:$APP_PORT (data in $DATA) ${APP_ENV:-}"
  (
    cd "$APP_BIN"
    # shellcheck disable=SC2086 # APP_ENV is a list of NAME=value words
    exec env ASPNETCORE_ENVIRONMENT=Production \
      CostConsole__DataFolder="$DATA" \
      CostConsole__DevApiKey="$API_KEY" \
      CostConsole__Catalogue__Providers__0__Name=simulator \
      CostConsole__Catalogue__Providers__0__BaseUrl="http://$HOST:$UP_PORT/v1" \
      Logging__LogLevel__Default=Warning \
      ${APP_ENV:-} \
      dotnet CostConsole.Web.dll --urls "http://$HOST:$APP_PORT"
  ) >>"$OUT/app.log" 2>&1 &
  APP_PID=$!
  PIDS+=("$APP_PID")
  wait_healthy "http://$HOST:$APP_PORT/health"
}

start_app
wait_healthy "http://$HOST:$UP_PORT/health"

# A realistic support request: system prompt plus a ~700-character customer message.
cat >"$WORK/body.json" <<'JSON'
{"model":"auto","messages":[{"role":"system","content":"You are the support assistant of Northwind Cloud. Answer politely, cite the customer's plan, and offer to escalate when unsure."},{"role":"user","content":"Hello, I upgraded our workspace from the Team plan to the Business plan on the fourth, and our statement now shows the old plan and the new plan both at the full monthly price, with no proration. Your pricing page says the unused part of the old plan is credited when you change plans mid-cycle. Could you check our workspace history, confirm which amounts are right, and give back the difference to the card on file? A credit on the next statement is fine too if it is clearly shown. Also, will the two seats we added be billed from the day we added them or from the next cycle? Our finance person needs to plan for it. Thank you, Maria"}],"metadata":{"team":"support","channel":"email"},"user":"cust-4821","temperature":0.2}
JSON
sed 's/"temperature":0.2}$/"temperature":0.2,"stream":true,"stream_options":{"include_usage":true}}/' "$WORK/body.json" >"$WORK/stream.json"

# Fail early and clearly if the route does not work end to end.
status=$(curl -s -o "$OUT/smoke.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/body.json" --max-time 10 "http://$HOST:$APP_PORT/v1/chat/completions")
[[ $status == 200 ]] || { echo "smoke request answered $status: $(cat "$OUT/smoke.json")" >&2; exit 1; }

if [[ $MODE == classifier ]]; then
  # The published rule set without its rules, so every request reaches the semantic classifier (examples per tier,
  # the vectoriser under test); CostConsole is restarted on it, as a publish would swap it in.
  use_vectoriser() {
    kill "$APP_PID"
    wait "$APP_PID" 2>/dev/null || true
    sqlite3 "$DB" "UPDATE RuleSets SET DefinitionJson = json_set(DefinitionJson, '\$.rules', json('[]'), '\$.classifier', json('{\"kind\":\"Semantic\",\"semantic\":{\"threshold\":0.3,\"neighbours\":3,\"vectoriser\":\"$1\",\"examples\":{\"small\":[\"Where is my parcel?\",\"How do I reset my password?\",\"What are your opening hours?\",\"How do I cancel my subscription?\"],\"medium\":[\"Summarise this customer email in three bullet points.\",\"Rewrite this paragraph in a friendlier tone.\",\"Please check our last invoice and explain the charges.\"],\"large\":[\"Analyse our quarterly churn data and explain why retention dropped, step by step.\",\"Compare three pricing strategies and recommend one with the trade-offs.\"]}}}'));"
    start_app
    status=$(curl -s -o "$OUT/smoke-$1.json" -D "$OUT/smoke-$1.headers" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
      --data-binary @"$WORK/body.json" --max-time 30 "http://$HOST:$APP_PORT/v1/chat/completions")
    [[ $status == 200 ]] || { echo "smoke request with $1 answered $status: $(cat "$OUT/smoke-$1.json")" >&2; exit 1; }
    sqlite3 "$DB" "SELECT Decision FROM RequestLog ORDER BY Id DESC LIMIT 1;" | tee -a "$OUT/run.log" >&2
  }

  for ((r = 1; r <= REPEATS; r++)); do
    for v in HashedTfIdf MiniLm; do
      use_vectoriser "$v"
      run_wrk "warmup-$v-$r" through 32 2 5
      log "round $r/$REPEATS, $v: 32 connections, ${THROUGHPUT_SECONDS} s, a new prompt per request"
      CC_VARY=1 run_wrk "classifier-new-$v-$r" through 32 2 "$THROUGHPUT_SECONDS"
      log "round $r/$REPEATS, $v: 32 connections, ${THROUGHPUT_SECONDS} s, the same prompt every request"
      run_wrk "classifier-same-$v-$r" through 32 2 "$THROUGHPUT_SECONDS"
    done
  done

  {
    echo
    echo "| Round | Prompt | TF-IDF req/s | MiniLM req/s | MiniLM / TF-IDF | TF-IDF p50 (ms) | MiniLM p50 (ms) | MiniLM p99 (ms) | non-200 |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for ((r = 1; r <= REPEATS; r++)); do
      for kind in new same; do
        t=$OUT/classifier-$kind-HashedTfIdf-$r.txt; m=$OUT/classifier-$kind-MiniLm-$r.txt
        echo "| $r | $kind | $(field rps "$t") | $(field rps "$m") | $(awk -v a="$(field rps "$m")" -v b="$(field rps "$t")" 'BEGIN { printf "%.3f×", a / b }') | $(ms_of "$(field p50_us "$t")") | $(ms_of "$(field p50_us "$m")") | $(ms_of "$(field p99_us "$m")") | $(( $(field other "$t") + $(field other "$m") )) |"
      done
    done
    for kind in new same; do
      tm=$(collect "classifier-$kind-HashedTfIdf" rps | median); mm=$(collect "classifier-$kind-MiniLm" rps | median)
      echo
      echo "Median of $REPEATS rounds, $kind prompt: TF-IDF $tm req/s, MiniLM $mm req/s ($(awk -v a="$mm" -v b="$tm" 'BEGIN { printf "%.3f×", a / b }'))."
    done
  } | tee "$OUT/summary.md"
  exit 0
fi

if [[ $MODE == soak ]]; then
  CSV=$OUT/soak-rss.csv
  echo "elapsed_s,rss_kb,answered_rows" >"$CSV"
  log "soak: up to $SOAK_REQUESTS requests or $SOAK_SECONDS s, $SOAK_CONNECTIONS connections pausing $SOAK_DELAY_MS ms between requests; RSS every 10 s into $CSV"
  (
    start=$(date +%s)
    for ((i = 0; i <= SOAK_SECONDS / 10 + 6; i++)); do
      rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$APP_PID/status" 2>/dev/null) || break
      echo "$(( $(date +%s) - start )),$rss,$(answered_rows)" >>"$CSV"
      sleep 10
    done
  ) &
  SAMPLER_PID=$!
  PIDS+=("$SAMPLER_PID")
  # wrk keeps its -d time even once every thread has stopped at its count; SIGINT ends it early, with its summary.
  (
    for ((i = 0; i < SOAK_SECONDS / 2 + 5; i++)); do
      sleep 2
      if (($(answered_rows) >= SOAK_REQUESTS)); then
        wrk_timeout=$(pgrep -P $$ -x timeout) && kill -INT "$wrk_timeout"
        break
      fi
    done
  ) &
  PIDS+=("$!")
  DELAY_MS=$SOAK_DELAY_MS run_wrk soak through "$SOAK_CONNECTIONS" 2 "$SOAK_SECONDS" $(( (SOAK_REQUESTS + 1) / 2 ))
  sleep 10
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  final_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$APP_PID/status")
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$APP_PID/status")
  total=$(answered_rows)
  echo "$(awk -F, 'NR == 2 { s = $1 } END { print $1 + 10 }' "$CSV"),$final_rss,$total" >>"$CSV"
  ok=$(field status200 "$OUT/soak.txt")
  {
    echo
    echo "| Soak | Value |"
    echo "|---|---|"
    echo "| requests answered 200 (wrk) | $ok |"
    echo "| ledger rows answered (whole run, incl. smoke) | $total |"
    echo "| throughput (req/s) | $(field rps "$OUT/soak.txt") |"
    echo "| RSS at end (MB) | $((final_rss / 1024)) |"
    echo "| peak RSS, VmHWM (MB) | $((hwm / 1024)) |"
    awk -F, 'NR > 1 { t[NR] = $1; r[NR] = $2; n = NR } END {
      first = 0; fc = 0; last = 0; lc = 0
      for (i = 2; i <= n; i++) { if (t[i] >= 10 && t[i] <= 70) { first += r[i]; fc++ } if (t[i] >= t[n] - 60) { last += r[i]; lc++ } }
      if (fc) printf "| mean RSS, first minute after warm-up (MB) | %.0f |\n", first / fc / 1024
      if (lc) printf "| mean RSS, last minute (MB) | %.0f |\n", last / lc / 1024
    }' "$CSV"
    echo "| RSS samples | $CSV |"
  } | tee "$OUT/summary.md"
  exit 0
fi

# stream_round PREFIX ROUND COUNT: COUNT streamed requests each way, alternating, one curl (one new connection)
# each; writes "status seconds-from-request-sent-to-first-byte" lines to PREFIX-direct-ROUND.txt and PREFIX-through-ROUND.txt.
stream_round() {
  local prefix=$1 round=$2 count=$3 i target port
  : >"$OUT/$prefix-direct-$round.txt"
  : >"$OUT/$prefix-through-$round.txt"
  for ((i = 0; i < count; i++)); do
    for target in direct through; do
      port=$([[ $target == direct ]] && echo "$UP_PORT" || echo "$APP_PORT")
      curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_pretransfer} %{time_starttransfer}\n' -H "Authorization: Bearer $API_KEY" \
        -H 'Content-Type: application/json' --data-binary @"$WORK/stream.json" \
        "http://$HOST:$port/v1/chat/completions" | awk '{ printf "%s %.6f\n", $1, $3 - $2 }' >>"$OUT/$prefix-$target-$round.txt"
    done
  done
}

# stream_reused PREFIX ROUND COUNT: COUNT streamed requests each way over one kept-alive connection (one curl
# making COUNT transfers), as SDK clients send them; same output format as stream_round.
stream_reused() {
  local prefix=$1 round=$2 count=$3 i target port args
  for target in direct through; do
    port=$([[ $target == direct ]] && echo "$UP_PORT" || echo "$APP_PORT")
    args=()
    for ((i = 0; i < count; i++)); do
      ((i > 0)) && args+=(--next)
      args+=(-s -o /dev/null --max-time 10 -w '%{http_code} %{time_pretransfer} %{time_starttransfer}\n' -H "Authorization: Bearer $API_KEY"
        -H 'Content-Type: application/json' --data-binary @"$WORK/stream.json" "http://$HOST:$port/v1/chat/completions")
    done
    curl "${args[@]}" | awk '{ printf "%s %.6f\n", $1, $3 - $2 }' >"$OUT/$prefix-$target-$round.txt"
  done
}

log "warming up (JIT tiering, connection pools)"
run_wrk warmup-direct direct 1 1 5
run_wrk warmup-through through 1 1 5
run_wrk warmup-through-32 through 32 2 10
stream_round warmup-stream 0 50
stream_reused warmup-stream-keepalive 0 50

for ((r = 1; r <= REPEATS; r++)); do
  log "round $r/$REPEATS: 1 connection, ${LATENCY_SECONDS} s each"
  run_wrk "latency-direct-$r" direct 1 1 "$LATENCY_SECONDS"
  run_wrk "latency-through-$r" through 1 1 "$LATENCY_SECONDS"
  log "round $r/$REPEATS: 32 connections, ${THROUGHPUT_SECONDS} s each"
  run_wrk "throughput-through-$r" through 32 2 "$THROUGHPUT_SECONDS"
  run_wrk "throughput-direct-$r" direct 32 2 "$THROUGHPUT_SECONDS"
  log "round $r/$REPEATS: streaming, $STREAM_REQUESTS requests each way"
  stream_round "ttfb" "$r" "$STREAM_REQUESTS"
  stream_reused "ttfb-keepalive" "$r" "$STREAM_REQUESTS"
done

# Summaries: per-round values, then medians.
us() { awk '{ printf "%.0f", $1 }'; }
ttfb_median() { awk '$1 == 200 { print $2 * 1e6 }' "$1" | median; }

p50_direct=$(collect latency-direct p50_us | median)
p50_through=$(collect latency-through p50_us | median)
p99_direct=$(collect latency-direct p99_us | median)
p99_through=$(collect latency-through p99_us | median)
rps_through=$(collect throughput-through rps | median)
rps_direct=$(collect throughput-direct rps | median)
added=$(awk -v a="$p50_through" -v b="$p50_direct" 'BEGIN { print a - b }')

ttfb_direct=$(for ((r = 1; r <= REPEATS; r++)); do ttfb_median "$OUT/ttfb-direct-$r.txt"; done | median)
ttfb_through=$(for ((r = 1; r <= REPEATS; r++)); do ttfb_median "$OUT/ttfb-through-$r.txt"; done | median)
ttfb_added=$(awk -v a="$ttfb_through" -v b="$ttfb_direct" 'BEGIN { print a - b }')
kttfb_direct=$(for ((r = 1; r <= REPEATS; r++)); do ttfb_median "$OUT/ttfb-keepalive-direct-$r.txt"; done | median)
kttfb_through=$(for ((r = 1; r <= REPEATS; r++)); do ttfb_median "$OUT/ttfb-keepalive-through-$r.txt"; done | median)
kttfb_added=$(awk -v a="$kttfb_through" -v b="$kttfb_direct" 'BEGIN { print a - b }')
stream_failures=$(cat "$OUT"/ttfb-*.txt "$OUT"/warmup-stream-*.txt | awk '$1 != 200' | wc -l)

# Every answer wrk received must have its ledger row; rows beyond that are requests still in flight when wrk
# stopped (answered by CostConsole after wrk closed the connection), at most one per connection.
ledger_check=$(for f in "$OUT"/latency-through-*.txt "$OUT"/throughput-through-*.txt; do
    c=$([[ $f == */latency-* ]] && echo 1 || echo 32)
    echo "$(field status200 "$f") $(sed -n 's/.*answered_rows_added=\([0-9]*\).*/\1/p' "$f") $c"
  done | awk '{ ok += $1; rows += $2; if ($2 < $1 || $2 - $1 > $3) bad++ }
    END { printf "%d answers acknowledged to wrk, %d answered rows added to the ledger: %s", ok, rows, bad ? bad " run(s) FAILED the check" : "every acknowledged request is in the ledger" }')

{
  echo
  echo "Per round"
  echo
  echo "| Round | p50 direct (µs) | p50 through (µs) | added p50 (µs) | req/s through, 32 conn | req/s direct, 32 conn | wrk 200s through | ledger rows added | non-200 | CostConsole CPU share | upstream CPU share | machine busy |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for ((r = 1; r <= REPEATS; r++)); do
    d=$(field p50_us "$OUT/latency-direct-$r.txt"); t=$(field p50_us "$OUT/latency-through-$r.txt")
    f=$OUT/throughput-through-$r.txt
    ok=$(field status200 "$f"); other=$(field other "$f")
    rows=$(sed -n 's/.*answered_rows_added=\([0-9]*\).*/\1/p' "$f")
    shares=$(sed -n 's/^CPU app_ticks=\([0-9]*\) upstream_ticks=\([0-9]*\) system_busy_ticks=\([0-9]*\) system_total_ticks=\([0-9]*\).*/\1 \2 \3 \4/p' "$f" |
      awk '{ printf "%.0f%% | %.0f%% | %.0f%%", 100 * $1 / $4, 100 * $2 / $4, 100 * $3 / $4 }')
    echo "| $r | $d | $t | $((t - d)) | $(field rps "$f") | $(field rps "$OUT/throughput-direct-$r.txt") | $ok | $rows | $other | $shares |"
  done
  echo
  echo "(CPU shares are of both cores over the 32-connection run through CostConsole; the rest of 'machine busy' is wrk and anything else running.)"
  echo
  echo "Medians of $REPEATS rounds"
  echo
  echo "| Measure | Direct to upstream | Through CostConsole | Difference | Target |"
  echo "|---|---|---|---|---|"
  echo "| p50 latency, 1 connection | $(ms_of "$p50_direct") ms | $(ms_of "$p50_through") ms | +$(ms_of "$added") ms | < +0.5 ms |"
  echo "| p99 latency, 1 connection | $(ms_of "$p99_direct") ms | $(ms_of "$p99_through") ms | +$(ms_of "$(awk -v a="$p99_through" -v b="$p99_direct" 'BEGIN { print a - b }')") ms | |"
  echo "| requests/s, 32 connections | $rps_direct | $rps_through | $(awk -v a="$rps_through" -v b="$rps_direct" 'BEGIN { printf "%.2f×", a / b }') | ≥ 5,000 through |"
  echo "| stream: request sent → first byte, new connection each (median of $REPEATS rounds' medians of $STREAM_REQUESTS) | $(ms_of "$(echo "$ttfb_direct" | us)") ms | $(ms_of "$(echo "$ttfb_through" | us)") ms | +$(ms_of "$(echo "$ttfb_added" | us)") ms | < +1 ms |"
  echo "| stream: request sent → first byte, kept-alive connection (same) | $(ms_of "$(echo "$kttfb_direct" | us)") ms | $(ms_of "$(echo "$kttfb_through" | us)") ms | +$(ms_of "$(echo "$kttfb_added" | us)") ms | < +1 ms |"
  echo
  echo "Ledger: $ledger_check."
  echo "Streamed requests not answered 200: $stream_failures. Results and raw wrk output: $OUT"
} | tee "$OUT/summary.md"
