#!/usr/bin/env bash
# A batch of LINES chat requests (default 10,000) through the embedded simulator: upload, create, wait until completed,
# then report the wall time, lines per second and the process's peak memory. Everything listens on 127.0.0.1; the
# script stops by itself (bounded by TIMEOUT_SECONDS) and stops what it started.
#
#   bash tests/load/batch.sh
#
# Knobs (environment): LINES=10000 CONCURRENCY=16 LATENCY_SCALE=0 TIMEOUT_SECONDS=1800 CONFIG=Release NO_BUILD=1
# UPSTREAM=1 declares the simulator a provider with a batch interface: the lines go to /sim/v1/batches as one upstream
# batch (answered at once), are polled every second, and are then recorded line by line from its output.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1
LINES=${LINES:-10000}
CONCURRENCY=${CONCURRENCY:-16}
LATENCY_SCALE=${LATENCY_SCALE:-0}
TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-1800}
CONFIG=${CONFIG:-Release}
API_KEY=cc-batch-0123456789abcdef
APP_BIN=$ROOT/src/CostConsole.Web/bin/$CONFIG/net10.0
WORK=$(mktemp -d /tmp/costconsole-batch.XXXXXX)
APP_PID=

cleanup() {
  if [[ -n $APP_PID ]]; then
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z ${NO_BUILD:-} ]]; then
  dotnet build -c "$CONFIG" "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -nologo -v q >"$WORK/build.log" 2>&1
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
  cd "$APP_BIN"
  exec env ASPNETCORE_ENVIRONMENT=Development \
    CostConsole__DataFolder="$WORK/data" \
    CostConsole__DevApiKey="$API_KEY" \
    CostConsole__Simulator__LatencyScale="$LATENCY_SCALE" \
    CostConsole__Batches__Concurrency="$CONCURRENCY" \
    CostConsole__Batches__PollSeconds=1 \
    ${UPSTREAM:+CostConsole__Catalogue__Providers__0__Name=simulator CostConsole__Catalogue__Providers__0__BaseUrl=/sim/v1} \
    ${UPSTREAM:+CostConsole__Catalogue__Providers__0__HasBatchApi=true CostConsole__Simulator__BatchSeconds=0 CostConsole__Batches__UpstreamPollSeconds=1} \
    dotnet CostConsole.Web.dll --urls "http://$HOST:$PORT"
) >"$WORK/app.log" 2>&1 &
APP_PID=$!

for _ in $(seq 1 120); do
  curl -fsS "http://$HOST:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://$HOST:$PORT/health" >/dev/null

python3 - "$LINES" >"$WORK/batch.jsonl" <<'PY'
import json, sys
topics = ["Where is my order {}?", "Summarise ticket {}: the parcel arrived damaged and the customer wants a refund.",
          "Translate to French: your order {} has shipped.", "Classify the sentiment of review {}: 'Great service, slow delivery.'"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"custom_id": f"line-{i}", "method": "POST", "url": "/v1/chat/completions",
                      "body": {"model": "auto", "messages": [{"role": "user", "content": topics[i % len(topics)].format(i)}]}}))
PY

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
BEFORE_KB=$(rss "$APP_PID")
AUTH="Authorization: Bearer $API_KEY"
FILE_ID=$(curl -fsS -H "$AUTH" -F purpose=batch -F "file=@$WORK/batch.jsonl;type=application/jsonl" "http://$HOST:$PORT/v1/files" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
START=$(date +%s.%N)
BATCH_ID=$(curl -fsS -H "$AUTH" -H 'Content-Type: application/json' \
  -d "{\"input_file_id\":\"$FILE_ID\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" \
  "http://$HOST:$PORT/v1/batches" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
CREATED=$(date +%s.%N)

DEADLINE=$(( $(date +%s) + TIMEOUT_SECONDS ))
PEAK_KB=0
while :; do
  STATE=$(curl -fsS -H "$AUTH" "http://$HOST:$PORT/v1/batches/$BATCH_ID")
  STATUS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status"])' "$STATE")
  NOW_KB=$(rss "$APP_PID"); (( NOW_KB > PEAK_KB )) && PEAK_KB=$NOW_KB
  [[ $STATUS =~ ^(completed|failed|expired|cancelled)$ ]] && break
  if (( $(date +%s) > DEADLINE )); then
    echo "The batch did not finish within $TIMEOUT_SECONDS s: $STATE" >&2
    exit 1
  fi
  sleep 0.5
done
END=$(date +%s.%N)
HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$APP_PID/status")
OUTPUT_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["output_file_id"] or "")' "$STATE")
OUTPUT_LINES=$(curl -fsS -H "$AUTH" "http://$HOST:$PORT/v1/files/$OUTPUT_ID/content" | wc -l)

python3 - "$STATE" "$START" "$CREATED" "$END" "$BEFORE_KB" "$PEAK_KB" "$HWM_KB" "$OUTPUT_LINES" "$CONCURRENCY" "$LATENCY_SCALE" <<'PY'
import json, sys
state = json.loads(sys.argv[1]); start, created, end = map(float, sys.argv[2:5]); before, peak, hwm, out = map(int, sys.argv[5:9])
counts = state["request_counts"]
print(f"batch {state['id']}: {state['status']}, {counts['completed']:,} completed, {counts['failed']:,} failed of {counts['total']:,}; output file {out:,} lines")
print(f"concurrency {sys.argv[9]}, simulator latency scale {sys.argv[10]}")
print(f"create (validate, price the worst case, store the lines): {created - start:.1f} s")
print(f"create to completed: {end - start:.1f} s ({counts['total'] / (end - start):,.0f} lines/s)")
print(f"memory: RSS {before / 1024:,.0f} MB before, {peak / 1024:,.0f} MB at most while sampled; peak RSS of the process (VmHWM) {hwm / 1024:,.0f} MB")
PY
