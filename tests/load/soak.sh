#!/usr/bin/env bash
# Soak: CostConsole in Production on 127.0.0.1 with its embedded simulator, mixed traffic from
# tests/CostConsole.LoadTest (soak mode) for SOAK_MINUTES (default 30), RSS printed at start, quarters and end.
# Not run in CI. Usage: bash tests/load/soak.sh [minutes]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MINUTES=${1:-${SOAK_MINUTES:-30}}
CLIENTS=${SOAK_CLIENTS:-8}
HOST=127.0.0.1
API_KEY=cc-soak-0123456789abcdef
OUT=${OUT:-$ROOT/tests/load/results/$(date -u +%Y%m%dT%H%M%SZ)-soak-mixed}
APP_BIN=$ROOT/src/CostConsole.Web/bin/Release/net10.0
DRIVER=$ROOT/tests/CostConsole.LoadTest/bin/Release/net10.0/CostConsole.LoadTest.dll

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/costconsole-soak.XXXXXX)
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
  echo "building Release" >&2
  dotnet build -c Release "$ROOT/src/CostConsole.Web/CostConsole.Web.csproj" -nologo -v q >"$OUT/build.log" 2>&1
  dotnet build -c Release "$ROOT/tests/CostConsole.LoadTest/CostConsole.LoadTest.csproj" -nologo -v q >>"$OUT/build.log" 2>&1
fi

PORT=${SOAK_PORT:-5690}
while ss -Htln "sport = :$PORT" | grep -q .; do PORT=$((PORT + 1)); done

# The simulator answers at a tenth of its modelled latency: streams last long enough to be cut mid-way.
(
  cd "$APP_BIN"
  exec env ASPNETCORE_ENVIRONMENT=Production \
    CostConsole__DataFolder="$WORK/data" \
    CostConsole__DevApiKey="$API_KEY" \
    CostConsole__Simulator__LatencyScale=0.1 \
    Logging__LogLevel__Default=Warning \
    dotnet CostConsole.Web.dll --urls "http://$HOST:$PORT"
) >"$OUT/app.log" 2>&1 &
APP_PID=$!

for ((i = 0; i < 120; i++)); do
  curl -sf -o /dev/null --max-time 1 "http://$HOST:$PORT/health" && break
  kill -0 "$APP_PID" 2>/dev/null || { echo "CostConsole exited; see $OUT/app.log" >&2; exit 1; }
  sleep 0.5
done

dotnet "$DRIVER" soak --target "http://$HOST:$PORT" --key "$API_KEY" --pid "$APP_PID" --minutes "$MINUTES" \
  --clients "$CLIENTS" --csv "$OUT/rss.csv" | tee "$OUT/summary.md"
kill -0 "$APP_PID" 2>/dev/null || { echo "CostConsole exited during the soak; see $OUT/app.log" >&2; exit 1; }
echo "results in $OUT" >&2
