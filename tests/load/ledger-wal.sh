#!/usr/bin/env bash
# What one ledger row costs SQLite's commit with the indexes a ledger file has: write-ahead-log bytes per row (pages the
# commit dirtied, the same on any machine) and CPU per row, for rows as the gateway writes them without a conversation,
# end user, experiment, cache verdict, shadow or batch. The file is copied first; the original is never written.
#   bash tests/load/ledger-wal.sh PATH/costconsole.db [ROWS=20000] [ROWS_PER_COMMIT=27]
# Needs python3 (its sqlite3 module). Compare two ledgers (e.g. a copy before and after a migration) in the same run.
set -euo pipefail
DB=${1:?usage: ledger-wal.sh PATH/costconsole.db [ROWS] [ROWS_PER_COMMIT]}
ROWS=${2:-20000}
BATCH=${3:-27}
[ -f "$DB" ] || { echo "no such ledger file: $DB" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$DB" "$WORK/ledger.db"
python3 - "$WORK/ledger.db" "$ROWS" "$BATCH" "$DB" <<'PY'
import os, random, sqlite3, sys, time
path, rows, batch, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
db = sqlite3.connect(path, isolation_level=None)
# As the ledger writer runs: WAL, synchronous NORMAL, no checkpoint inside a commit, 16 MB of page cache.
for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=0", "cache_size=-16384"):
    db.execute("PRAGMA " + pragma)
page = db.execute("PRAGMA page_size").fetchone()[0]
start = (db.execute('SELECT MAX("Timestamp") FROM "RequestLog"').fetchone()[0] or 1765000000000) + 1
insert = ('INSERT INTO "RequestLog" ("RequestId", "Timestamp", "ApiKeyId", "Tier", "Model", "Provider", "Rule", "RequestedModel", '
          '"PromptTokens", "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd", "Priced", "LatencyMs", "Status", "HttpStatus", '
          '"PromptHash", "CachedTokens", "Stream", "Fallbacks", "Escalations", "Review", "EscalationCostNanoUsd", "Protocol", '
          '"PromptRedacted", "CacheAvoidedCostNanoUsd", "CacheWriteTokens", "Explored", "ColdCacheCostNanoUsd") '
          'VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1,?,0,200,?,0,0,0,0,0,0,?,0,0,0,0,0)')
tiers = ("small", "medium", "large")
rules = ("faq", "drafting", "analysis", "default")
cpu, commits, at = time.process_time(), 0, start
for first in range(0, rows, batch):
    db.execute("BEGIN")
    for i in range(first, min(rows, first + batch)):
        at += 3
        prompt, completion = 200 + random.randrange(300), 100 + random.randrange(500)
        # Time-ordered ids, as the gateway makes them; cost, baseline and latency vary with the tokens.
        db.execute(insert, ("req_%032x" % ((at << 64) | random.getrandbits(64)), at, 1 + i % 20, tiers[i % 3], "simulator/" + tiers[i % 3],
                            "simulator", rules[i % 4], "auto", prompt, completion, 100 * prompt + 400 * completion,
                            2000 * prompt + 8000 * completion, 300.0 + random.randrange(900), "0" * 64, "chat.completions"))
    db.execute("COMMIT")
    commits += 1
cpu = time.process_time() - cpu
wal = os.path.getsize(path + "-wal")
print(f"{name}: {rows:,} rows in {commits:,} commits; WAL {wal / rows:,.0f} bytes per row "
      f"({wal / (page + 24) / commits:.1f} pages per commit); CPU {cpu / rows * 1e6:.1f} µs per row (SQLite {sqlite3.sqlite_version})")
PY
