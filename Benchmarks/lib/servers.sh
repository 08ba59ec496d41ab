# Shared by the side-by-side benchmark scripts (source it): starts and stops one server at a time,
# SwiftPACS or Orthanc, each on a fresh database, on free ports of 127.0.0.1.
#
# Needs: ROOT (the repository), TOOLS (../shared/tools), OUT (results; OUT/bin/swiftpacs is the
# binary under test), DB_ROOT, USER_NAME, USER_PASS, and log().
#
# Databases: every run gets a new directory, and none is deleted before the end. This machine's
# root ext4 runs without a journal (/proc/fs/jbd2 is empty), and on such a filesystem ext4 skips
# inodes freed in the last 1-5 minutes when it allocates new ones (fs/ext4/ialloc.c
# recently_deleted()): right after an `rm -rf` of a 20,000-file database, creating files in the
# same block groups cost 50-65 % of SwiftPACS's CPU in perf (find_get_block_common /
# recently_deleted), so deleting the previous run's database would tax whichever server runs next.
# /tmp also sees constant create/delete churn from test suites here; the databases live elsewhere.

SERVER_PID=
ORTHANC_ROOT=$DB_ROOT/orthanc

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Builds (unless SWIFTPACS_BIN is given) and copies the binary under test to OUT/bin: a rebuild
# during the runs must not change it.
prepare_swiftpacs() {
  if [ -z "${SWIFTPACS_BIN:-}" ]; then
    log "building swiftpacs (release, --scratch-path .build-bench)"
    (cd "$ROOT" && swift build -c release --product swiftpacs --scratch-path .build-bench >&2)
    SWIFTPACS_BIN=$ROOT/.build-bench/release/swiftpacs
  fi
  cp "$SWIFTPACS_BIN" "$OUT/bin/swiftpacs"
  (cd "$ROOT" && git rev-parse HEAD && git status --short Sources) > "$OUT/bin/swiftpacs.source-state" 2>/dev/null || true
}

require_orthanc() {
  if [ ! -x /usr/sbin/Orthanc ]; then
    echo "Orthanc not installed: apt-get install -y orthanc orthanc-dicomweb" >&2; exit 2
  fi
}

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then log "pid $SERVER_PID still alive after 20 s: KILL"; kill -9 "$SERVER_PID"; fi
  fi
  SERVER_PID=
}

cleanup_servers() {
  stop_server
  if [ "${KEEP_DBS:-}" = 1 ]; then log "databases kept in $DB_ROOT"; else rm -rf "$DB_ROOT"; fi
}

wait_http() {  # url
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null -f -u "$USER_NAME:$USER_PASS" "$1/system"; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

wait_dicom() {  # port
  for _ in $(seq 1 100); do
    if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_server NAME DBDIR HTTP DICOM: sets SERVER_PID and STORAGE. NAME: swiftpacs (SyncStorageArea
# true), swiftpacs-nosync, orthanc (TCP_NODELAY=1), or storescp-sink (DICOM only: the receive
# ceiling). The servers know the harness' AE titles: BENCHSCU (calling, may do everything) and
# BENCHSCP (C-MOVE destination on MOVE_DEST_PORT, default 11112); storescp accepts any.
start_server() {
  local name=$1 db=$2 http=$3 dicom=$4
  mkdir -p "$db"
  case $name in
    swiftpacs|swiftpacs-nosync)
      local sync=true; [ "$name" = swiftpacs ] || sync=false
      cat > "$db/config.json" <<JSON
{
  "Name" : "SwiftPACSBench",
  "StorageDirectory" : "$db/storage",
  "IndexDirectory" : "$db/index",
  "HttpPort" : $http,
  "DicomPort" : $dicom,
  "DicomAet" : "SWIFTPACS",
  "RemoteAccessAllowed" : false,
  "AuthenticationEnabled" : true,
  "RegisteredUsers" : { "$USER_NAME" : "$USER_PASS" },
  "DicomModalities" : {
    "BENCHSCU" : [ "BENCHSCU", "127.0.0.1", 11113 ],
    "BENCHSCP" : [ "BENCHSCP", "127.0.0.1", ${MOVE_DEST_PORT:-11112} ]
  },
  "SyncStorageArea" : $sync
}
JSON
      SWIFTPACS_LOG_LEVEL=warning nohup "$OUT/bin/swiftpacs" serve --config "$db/config.json" > "$db/server.log" 2>&1 &
      SERVER_PID=$!
      STORAGE=$db ;;
    storescp-sink)
      # The ceiling, not a PACS: dcmtk's storescp writes what it receives to files and does nothing
      # else (no hash, no index, no fsync); --fork serves every association in its own process.
      mkdir -p "$db/storage"
      TCP_NODELAY=1 nohup /usr/bin/storescp --fork -od "$db/storage" "$dicom" > "$db/server.log" 2>&1 &
      SERVER_PID=$!
      STORAGE=$db/storage
      if ! wait_dicom "$dicom"; then log "storescp did not start"; tail -20 "$db/server.log"; stop_server; return 1; fi
      return 0 ;;
    orthanc)
      # orthanc_ctl.sh wipes and creates $ORTHANC_ROOT/<db>, writes the config, records the PID.
      BENCH_ROOT=$ORTHANC_ROOT HTTP_PORT=$http DICOM_PORT=$dicom ORTHANC_USER=$USER_NAME ORTHANC_PASS=$USER_PASS \
        ORTHANC_TCP_NODELAY=1 "$TOOLS/orthanc_ctl.sh" start "$(basename "$db")" > "$db.start.log" 2>&1 || { cat "$db.start.log"; return 1; }
      SERVER_PID=$(cat "$ORTHANC_ROOT/orthanc.pid")
      rm -f "$ORTHANC_ROOT/orthanc.pid"  # stopped by PID, by stop_server
      STORAGE=$db ;;
  esac
  if ! wait_http "http://127.0.0.1:$http"; then
    log "$name did not start"; tail -20 "$db/server.log" 2>/dev/null || tail -20 "$ORTHANC_ROOT/orthanc.log"; stop_server; return 1
  fi
}

# The result label of a server: what it is and how it runs (suffix: e.g. the client library).
label_of() {  # server [suffix]
  case $1 in
    swiftpacs) echo "swiftpacs-sync${2:-}" ;;
    swiftpacs-nosync) echo "swiftpacs-nosync${2:-}" ;;
    orthanc) echo "orthanc-nodelay${2:-}" ;;
    storescp-sink) echo "storescp-sink${2:-}" ;;
  esac
}

# The database directory of a run (Orthanc's must live under ORTHANC_ROOT).
database_dir() {  # server tag
  if [ "$1" = orthanc ]; then echo "$ORTHANC_ROOT/db-$2"; else echo "$DB_ROOT/$1/db-$2"; fi
}

# Generates /tmp/corpus-ct or /tmp/corpus-tiny when missing.
ensure_corpus() {  # ct|tiny
  local d=/tmp/corpus-$1
  [ -f "$d/manifest.json" ] && return 0
  case $1 in
    ct) log "generating $d"; python3 "$TOOLS/make_corpus.py" --patients 20 --studies 2 --series 2 --instances 25 --out "$d" ;;
    tiny) log "generating $d"; python3 "$TOOLS/make_corpus.py" --tiny --patients 500 --studies 4 --series 2 --instances 5 --id-prefix TNY --out "$d" ;;
    *) echo "unknown corpus $1 (ct, tiny)" >&2; exit 2 ;;
  esac
}
