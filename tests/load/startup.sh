#!/usr/bin/env bash
# Start-up time of a published Release build: from launching the process on a fresh data folder to its first answered
# POST /v1/chat/completions (the embedded simulator answers, with no latency). Every start is bounded (START_TIMEOUT), every
# process listens on 127.0.0.1 only, and the script stops what it started.
#
#   bash tests/load/startup.sh                      publish, then 5 starts; prints each (wall and CPU time) and the medians
#   PUBLISH_ARGS="-p:PublishReadyToRun=false" bash tests/load/startup.sh    the same without ReadyToRun
#   APP_ENV="DOTNET_TieredPGO=0" NO_PUBLISH=1 bash tests/load/startup.sh     the last build with a runtime setting
#   RESTARTS=1 NO_PUBLISH=1 bash tests/load/startup.sh     restarts: every start on one data folder a first, unmeasured start created
#
# The build is published for this machine's platform (RID, default linux-x64), which makes it ReadyToRun.
#
# Knobs (environment): RID=linux-x64 STARTS=5 START_TIMEOUT=120 (seconds per start) PUBLISH_ARGS="" NO_PUBLISH=1 (reuse $OUT/publish)
#                      APP_ENV="NAME=value ..." RESTARTS=1 (one data folder for every start, created by an unmeasured start 0)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=127.0.0.1
STARTS=${STARTS:-5}
START_TIMEOUT=${START_TIMEOUT:-120}
API_KEY=cc-startup-0123456789abcdef
OUT=${OUT:-$ROOT/tests/load/results/$(date -u +%Y%m%dT%H%M%SZ)-startup}
PUBLISH=$OUT/publish
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/costconsole-startup.XXXXXX)
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

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

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

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

if [[ -z ${NO_PUBLISH:-} ]]; then
  log "publishing src/CostConsole.Web (Release, ${RID:-linux-x64}) ${PUBLISH_ARGS:-}"
  # shellcheck disable=SC2086 # PUBLISH_ARGS is a list of words
  dotnet publish "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -c Release -r "${RID:-linux-x64}" --self-contained false -o "$PUBLISH" -nologo -v q ${PUBLISH_ARGS:-} >"$OUT/publish.log" 2>&1
fi

BODY='{"model":"auto","messages":[{"role":"user","content":"Where is my order #150631? It was supposed to arrive yesterday."}]}'
: >"$OUT/starts.txt"
: >"$OUT/cpu.txt"
first=1
[[ -n ${RESTARTS:-} ]] && first=0
for ((run = first; run <= STARTS; run++)); do
  PORT=$(free_port 5801)
  DATA=$WORK/data-$run
  [[ -n ${RESTARTS:-} ]] && DATA=$WORK/data
  started=$(now_ms)
  (
    cd "$PUBLISH"
    # shellcheck disable=SC2086 # APP_ENV is a list of NAME=value words
    exec env ASPNETCORE_ENVIRONMENT=Production \
      CostConsole__DataFolder="$DATA" \
      CostConsole__DevApiKey="$API_KEY" \
      CostConsole__Simulator__LatencyScale=0 \
      Logging__LogLevel__Default=Warning \
      ${APP_ENV:-} \
      dotnet CostConsole.Web.dll --urls "http://$HOST:$PORT"
  ) >"$OUT/app-$run.log" 2>&1 &
  APP_PID=$!
  answered=
  deadline=$((started + START_TIMEOUT * 1000))
  while (($(now_ms) < deadline)); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
      -d "$BODY" "http://$HOST:$PORT/v1/chat/completions" || true)
    if [[ $status == 200 ]]; then
      answered=$(($(now_ms) - started))
      # CPU the process used until then (user + system): unlike the wall time, it hardly depends on other load.
      cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1000 / hz }' "/proc/$APP_PID/stat")
      break
    fi
    kill -0 "$APP_PID" 2>/dev/null || { echo "CostConsole exited during start $run; see $OUT/app-$run.log" >&2; exit 1; }
    sleep 0.02
  done
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=
  if [[ -z $answered ]]; then
    echo "start $run: no answer within $START_TIMEOUT s; see $OUT/app-$run.log" >&2
    exit 1
  fi
  log "start $run: first answer after $answered ms, $cpu ms of CPU (load average $(cut -d' ' -f1 /proc/loadavg))"
  ((run == 0)) && continue
  echo "$answered" >>"$OUT/starts.txt"
  echo "$cpu" >>"$OUT/cpu.txt"
done

log "median of $STARTS ${RESTARTS:+re}starts: $(median <"$OUT/starts.txt") ms to the first answered /v1/chat/completions, $(median <"$OUT/cpu.txt") ms of CPU ${PUBLISH_ARGS:-}"
