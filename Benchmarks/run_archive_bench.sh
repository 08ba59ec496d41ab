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
# Databases: every run gets a new directory, and none is deleted before the end. This machine's
# root ext4 runs without a journal (/proc/fs/jbd2 is empty), and on such a filesystem ext4 skips
# inodes freed in the last 1-5 minutes when it allocates new ones (fs/ext4/ialloc.c
# recently_deleted()): right after an `rm -rf` of a 20,000-file database, creating files in the
# same block groups cost 50-65 % of SwiftPACS's CPU in perf (find_get_block_common /
# recently_deleted), so deleting the previous run's database would tax whichever server runs next.
# /tmp also sees constant create/delete churn from test suites here; the databases live elsewhere.
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

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

corpus_dir() { echo "/tmp/corpus-$1"; }

# ---------------------------------------------------------------- corpora
for c in $CORPORA; do
  d=$(corpus_dir "$c")
  if [ ! -f "$d/manifest.json" ]; then
    case $c in
      ct) log "generating $d"; python3 "$TOOLS/make_corpus.py" --patients 20 --studies 2 --series 2 --instances 25 --out "$d" ;;
      tiny) log "generating $d"; python3 "$TOOLS/make_corpus.py" --tiny --patients 500 --studies 4 --series 2 --instances 5 --id-prefix TNY --out "$d" ;;
      *) echo "unknown corpus $c (ct, tiny)" >&2; exit 2 ;;
    esac
  fi
done

# ---------------------------------------------------------------- binaries
if [[ " $SERVERS " == *" swiftpacs"* ]]; then
  if [ -z "${SWIFTPACS_BIN:-}" ]; then
    log "building swiftpacs (release, --scratch-path .build-bench)"
    (cd "$ROOT" && swift build -c release --product swiftpacs --scratch-path .build-bench >&2)
    SWIFTPACS_BIN=$ROOT/.build-bench/release/swiftpacs
  fi
  # A private copy: a rebuild during the runs must not change the binary under test.
  cp "$SWIFTPACS_BIN" "$OUT/bin/swiftpacs"
  (cd "$ROOT" && git rev-parse HEAD && git status --short Sources) > "$OUT/bin/swiftpacs.source-state" 2>/dev/null || true
fi
if [[ " $SERVERS " == *" orthanc "* ]] && [ ! -x /usr/sbin/Orthanc ]; then
  echo "Orthanc not installed: apt-get install -y orthanc orthanc-dicomweb" >&2; exit 2
fi

# ---------------------------------------------------------------- server control
SERVER_PID=
ORTHANC_ROOT=$DB_ROOT/orthanc

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then log "pid $SERVER_PID still alive after 20 s: KILL"; kill -9 "$SERVER_PID"; fi
  fi
  SERVER_PID=
}
cleanup() {
  stop_server
  if [ "${KEEP_DBS:-}" = 1 ]; then log "databases kept in $DB_ROOT"; else rm -rf "$DB_ROOT"; fi
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

wait_http() {  # url
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null -f -u "$USER_NAME:$USER_PASS" "$1/system"; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# start_server NAME DBDIR HTTP DICOM: sets SERVER_PID and STORAGE
start_server() {
  local name=$1 db=$2 http=$3 dicom=$4
  mkdir -p "$db"
  case $name in
    swiftpacs|swiftpacs-nosync)
      local sync=true; [ "$name" = swiftpacs ] || sync=false
      cat > "$db/config.json" <<EOF
{
  "Name" : "SwiftPACSBench",
  "StorageDirectory" : "$db/storage",
  "IndexDirectory" : "$db/index",
  "HttpPort" : $http,
  "DicomPort" : $dicom,
  "RemoteAccessAllowed" : false,
  "AuthenticationEnabled" : true,
  "RegisteredUsers" : { "$USER_NAME" : "$USER_PASS" },
  "SyncStorageArea" : $sync
}
EOF
      SWIFTPACS_LOG_LEVEL=warning nohup "$OUT/bin/swiftpacs" serve --config "$db/config.json" > "$db/server.log" 2>&1 &
      SERVER_PID=$!
      STORAGE=$db ;;
    orthanc)
      # orthanc_ctl.sh wipes and creates $ORTHANC_ROOT/<db>, writes the config, records the PID.
      BENCH_ROOT=$ORTHANC_ROOT HTTP_PORT=$http DICOM_PORT=$dicom ORTHANC_USER=$USER_NAME ORTHANC_PASS=$USER_PASS \
        ORTHANC_TCP_NODELAY=1 "$TOOLS/orthanc_ctl.sh" start "$(basename "$db")" > "$db.start.log" 2>&1 || { cat "$db.start.log"; return 1; }
      SERVER_PID=$(cat "$ORTHANC_ROOT/orthanc.pid")
      STORAGE=$db ;;
  esac
  if ! wait_http "http://127.0.0.1:$http"; then
    log "$name did not start"; tail -20 "$db/server.log" 2>/dev/null || tail -20 "$ORTHANC_ROOT/orthanc.log"; stop_server; return 1
  fi
}

label_of() {
  local suffix=; [ "$CLIENT_LIB" = requests ] || suffix=-$CLIENT_LIB
  case $1 in
    swiftpacs) echo "swiftpacs-sync$suffix" ;;
    swiftpacs-nosync) echo "swiftpacs-nosync$suffix" ;;
    orthanc) echo "orthanc-nodelay$suffix" ;;
  esac
}

# ---------------------------------------------------------------- runs
failures=0
for rep in $(seq 1 "$REPS"); do
  for c in $CORPORA; do
    for server in $SERVERS; do
      for k in $CLIENTS; do
        label=$(label_of "$server")
        http=$(free_port); dicom=$(free_port)
        tag=$label-$c-c$k-r$rep
        if [ "$server" = orthanc ]; then db=$ORTHANC_ROOT/db-$c-c$k-r$rep; else db=$DB_ROOT/$server/db-$c-c$k-r$rep; fi
        log "== $tag: starting $server on 127.0.0.1:$http (fresh database $db)"
        if ! start_server "$server" "$db" "$http" "$dicom"; then failures=$((failures + 1)); continue; fi
        if [ "$server" = orthanc ]; then rm -f "$ORTHANC_ROOT/orthanc.pid"; fi  # we stop it by PID ourselves
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
