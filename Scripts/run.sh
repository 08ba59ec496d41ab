#!/usr/bin/env bash
# Builds SwiftPACS (release) and runs it: `Scripts/run.sh [swiftpacs arguments]`.
# Without arguments it starts the server on the embedded default configuration: storage and
# index in ./swiftpacs-data, HTTP on 127.0.0.1:8042, DICOM port 4242, AE title SWIFTPACS.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product swiftpacs >&2
bin="$(swift build -c release --show-bin-path)/swiftpacs"
exec "$bin" "$@"
