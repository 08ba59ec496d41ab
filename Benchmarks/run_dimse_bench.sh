#!/usr/bin/env bash
# Side-by-side DIMSE benchmark: SwiftPACS (SyncStorageArea true) vs Orthanc (TCP_NODELAY=1), driven by
# ../shared/tools/pacs_bench.py (dcmtk storescu, one association and four in parallel), same corpora,
# fresh database for every run, runs interleaved (rep 1 of every server, then rep 2, ...).
#
#   Benchmarks/run_dimse_bench.sh                   # CT and tiny corpora, 3 reps each: ~15 min
#   REPS=1 CORPORA=tiny SERVERS=swiftpacs Benchmarks/run_dimse_bench.sh
#
# Env:
#   REPS (3); CORPORA ("ct tiny"); SERVERS ("swiftpacs orthanc"; also swiftpacs-nosync: no fsync,
#   the ceiling without durability, not like-for-like; storescp-sink: dcmtk's storescp writing files
#   and nothing else, the machine's receive ceiling for store/store_par)
#   WORKLOADS_ct (echo,store,store_par), WORKLOADS_tiny (store,store_par): pacs_bench.py workloads;
#   the corpus is split by patient, 40 % for `store` (one association) and 40 % for `store_par`
#   (four storescu processes at once)
#   OUT (/tmp/dimse-bench/run-<date>): result JSONs, logs, compare-<corpus>.md
#   DB_ROOT (/var/tmp/dimse-bench-db/<run>): databases, deleted at the end (KEEP_DBS=1 keeps them)
#   SWIFTPACS_BIN: use this binary instead of building
#
# Every process this script starts is stopped, by its PID, when its run ends or when the script exits.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=$(cd "$ROOT/../shared/tools" && pwd)
REPS=${REPS:-3}
CORPORA=${CORPORA:-"ct tiny"}
SERVERS=${SERVERS:-"swiftpacs orthanc"}
OUT=${OUT:-/tmp/dimse-bench/run-$(date +%Y%m%d-%H%M%S)}
DB_ROOT=${DB_ROOT:-/var/tmp/dimse-bench-db/$(basename "$OUT")}
USER_NAME=bench
USER_PASS=bench-pass
mkdir -p "$OUT/bin" "$OUT/json" "$OUT/logs" "$DB_ROOT"

log() { echo "[$(date +%H:%M:%S)] $*"; }
# shellcheck source=lib/servers.sh
. "$ROOT/Benchmarks/lib/servers.sh"

for c in $CORPORA; do ensure_corpus "$c"; done
if [[ " $SERVERS " == *" swiftpacs"* ]]; then prepare_swiftpacs; fi
if [[ " $SERVERS " == *" orthanc "* ]]; then require_orthanc; fi
trap 'cleanup_servers' EXIT
trap 'exit 130' INT TERM

workloads_of() {
  case $1 in
    ct) echo "${WORKLOADS_ct:-echo,store,store_par}" ;;
    *) echo "${WORKLOADS_tiny:-store,store_par}" ;;
  esac
}

failures=0
for rep in $(seq 1 "$REPS"); do
  for c in $CORPORA; do
    for server in $SERVERS; do
      label=$(label_of "$server")
      http=$(free_port); dicom=$(free_port)
      tag=$label-$c-r$rep
      db=$(database_dir "$server" "$c-r$rep")
      aet=SWIFTPACS; [ "$server" = orthanc ] && aet=ORTHANC
      log "== $tag: starting $server, DICOM 127.0.0.1:$dicom (fresh database $db)"
      if ! start_server "$server" "$db" "$http" "$dicom"; then failures=$((failures + 1)); continue; fi
      if ! python3 "$TOOLS/pacs_bench.py" --host 127.0.0.1 --port "$dicom" --aet "$aet" --calling-aet BENCHSCU \
          --dicomweb "http://127.0.0.1:$http/dicom-web" --user "$USER_NAME" --password "$USER_PASS" \
          --server-pid "$SERVER_PID" --storage-path "$STORAGE" --corpus "/tmp/corpus-$c" --label "$label-$c" \
          --workloads "$(workloads_of "$c")" --dcmtk-bin /usr/bin --out-json "$OUT/json/$tag.json" > "$OUT/logs/$tag.log" 2>&1; then
        log "$tag: harness reported failures (see $OUT/logs/$tag.log)"; failures=$((failures + 1))
      fi
      grep -E "inst/s|VmHWM|C-ECHO" "$OUT/logs/$tag.log" | sed 's/^/    /' || true
      if [ "$server" = orthanc ]; then cp "$ORTHANC_ROOT/orthanc.log" "$OUT/logs/$tag.orthanc.log" 2>/dev/null || true
      else cp "$db/server.log" "$OUT/logs/$tag.server.log" 2>/dev/null || true; fi
      stop_server
    done
  done
done

for c in $CORPORA; do
  log "== $c: median of $REPS (min..max)"
  python3 "$TOOLS/bench_compare.py" "$OUT"/json/*-"$c"-r*.json --md "$OUT/compare-$c.md" || true
done
log "results: $OUT (json/, logs/, compare-*.md); $failures run(s) with failures"
[ "$failures" -eq 0 ]
