#!/usr/bin/env bash
# Builds SwiftPACS (release) and runs it: `Scripts/run.sh [swiftpacs arguments]`.
# Without arguments it dumps a sample DICOM file (pydicom's CT_small.dcm).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product swiftpacs >&2
bin="$(swift build -c release --show-bin-path)/swiftpacs"
if [ $# -eq 0 ]; then
    sample="$(python3 -c 'import pydicom, os; print(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "CT_small.dcm"))')"
    set -- dump "$sample"
fi
exec "$bin" "$@"
