#!/usr/bin/env bash
# Side-by-side REST benchmark: SwiftPACS (SyncStorageArea true) vs Orthanc (TCP_NODELAY=1), same
# corpora, same client (Benchmarks/archive_bench.py), fresh database for every run.
#
#   Benchmarks/run_archive_bench.sh                 # everything: ~2 × 2 × 2 × 3 runs, 30-60 min
#   REPS=1 CORPORA=tiny SERVERS=swiftpacs Benchmarks/run_archive_bench.sh
#
# Env:
#   REPS (3)                 repetitions; runs are interleaved (rep 1 of every server, then rep 2...)
#   CORPORA ("ct tiny")      ct = /tmp/corpus-ct (2,000 × 0.5 MB CT), tiny = /tmp/corpus-tiny (20,000 × 64×64)
#   SERVERS ("swiftpacs orthanc")  also: swiftpacs-nosync (SyncStorageArea false: no fsync at all,
#                            the ceiling without durability; not a like-for-like comparison)
#   CLIENTS ("1 4")          concurrent upload clients; each count is its own fresh-database run,
#                            and every run then measures /tools/find on the loaded corpus
#   OUT (/tmp/archive-bench/run-<date>)   result JSONs, logs, compare.md
#   DB_ROOT (/var/tmp/archive-bench-db/<run>)  the servers' databases. Not under /tmp on purpose:
#                            see "Databases" below. Deleted when the script ends (KEEP_DBS=1 keeps them)
#   CLIENT_LIB (requests)    upload client of archive_bench.py: requests, or httpclient (bare
#                            http.client: ~4× less client CPU per request, to show client-bound figures)
#   WORKLOADS (upload,find)
#   SWIFTPACS_BIN            use this binary instead of building (copied into OUT/bin either way)
#   HARNESS_ARGS             extra arguments for archive_bench.py run (e.g. "--query-n 40")
#
# Servers listen on 127.0.0.1 on free ports; every process this script starts is stopped, by its
# PID, when its run ends or when the script exits.
#
# Databases: see Benchmarks/lib/servers.sh (never deleted before the end of the script).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=$(cd "$ROOT/../shared/tools" && pwd)
REPS=${REPS:-3}
CORPORA=${CORPORA:-"ct tiny"}
SERVERS=${SERVERS:-"swiftpacs orthanc"}
CLIENTS=${CLIENTS:-"1 4"}
OUT=${OUT:-/tmp/archive-bench/run-$(date +%Y%m%d-%H%M%S)}
HARNESS_ARGS=${HARNESS_ARGS:-}
DB_ROOT=${DB_ROOT:-/var/tmp/archive-bench-db/$(basename "$OUT")}
CLIENT_LIB=${CLIENT_LIB:-requests}
WORKLOADS=${WORKLOADS:-upload,find}
USER_NAME=bench
USER_PASS=bench-pass
mkdir -p "$OUT/bin" "$OUT/json" "$OUT/logs" "$DB_ROOT"

log() { echo "[$(date +%H:%M:%S)] $*"; }
# shellcheck source=lib/servers.sh
. "$ROOT/Benchmarks/lib/servers.sh"

corpus_dir() { echo "/tmp/corpus-$1"; }
for c in $CORPORA; do ensure_corpus "$c"; done
if [[ " $SERVERS " == *" swiftpacs"* ]]; then prepare_swiftpacs; fi
if [[ " $SERVERS " == *" orthanc "* ]]; then require_orthanc; fi
trap 'cleanup_servers' EXIT
trap 'exit 130' INT TERM

suffix=; [ "$CLIENT_LIB" = requests ] || suffix=-$CLIENT_LIB

# ---------------------------------------------------------------- runs
failures=0
for rep in $(seq 1 "$REPS"); do
  for c in $CORPORA; do
    for server in $SERVERS; do
      for k in $CLIENTS; do
        label=$(label_of "$server" "$suffix")
        http=$(free_port); dicom=$(free_port)
        tag=$label-$c-c$k-r$rep
        db=$(database_dir "$server" "$c-c$k-r$rep")
        log "== $tag: starting $server on 127.0.0.1:$http (fresh database $db)"
        if ! start_server "$server" "$db" "$http" "$dicom"; then failures=$((failures + 1)); continue; fi
        # shellcheck disable=SC2086
        if ! python3 "$ROOT/Benchmarks/archive_bench.py" run --url "http://127.0.0.1:$http" \
            --user "$USER_NAME" --password "$USER_PASS" --corpus "$(corpus_dir "$c")" --label "$label" \
            --clients "$k" --client-lib "$CLIENT_LIB" --workloads "$WORKLOADS" --server-pid "$SERVER_PID" --storage-path "$STORAGE" \
            --out-json "$OUT/json/$tag.json" $HARNESS_ARGS > "$OUT/logs/$tag.log" 2>&1; then
          log "$tag: harness reported failures (see $OUT/logs/$tag.log)"; failures=$((failures + 1))
        fi
        grep -E "instances/s|Study by|all studies|checks:" "$OUT/logs/$tag.log" | sed 's/^/    /' || true
        if [ "$server" = orthanc ]; then cp "$ORTHANC_ROOT/orthanc.log" "$OUT/logs/$tag.orthanc.log" 2>/dev/null || true; fi
        if [ "$server" != orthanc ]; then cp "$db/server.log" "$OUT/logs/$tag.server.log" 2>/dev/null || true; fi
        stop_server
      done
    done
  done
done

log "== comparison (median of $REPS, min..max; ratios vs orthanc-nodelay)"
base=orthanc-nodelay; [ "$CLIENT_LIB" = requests ] || base=orthanc-nodelay-$CLIENT_LIB
python3 "$ROOT/Benchmarks/archive_bench.py" compare "$OUT"/json/*.json --baseline "$base" --md "$OUT/compare.md" || true
log "results: $OUT (json/, logs/, compare.md); $failures run(s) with failures"
[ "$failures" -eq 0 ]
