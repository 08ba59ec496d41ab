#!/usr/bin/env bash
# Installs what building and testing SwiftPACS needs, only when it is missing:
# Debian packages (system libraries and dcmtk) and the Python DICOM clients the tests drive.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

APT_PACKAGES=(libsqlite3-dev libjpeg-dev zlib1g-dev dcmtk)
# Pinned: the DICOM tests compare our output with pydicom's, so its version is part of the oracle.
PY_PACKAGES=(pydicom==3.0.2 pynetdicom==3.0.4 dicomweb-client==0.61.2)

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH (Swift 6.2 or later is needed; see README)" >&2
    exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq || true
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 - "${PY_PACKAGES[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, wanted = spec.split("==")
    if version(name) != wanted:
        sys.exit(1)
PY
then
    echo "setup: installing ${PY_PACKAGES[*]}"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${PY_PACKAGES[@]}" \
        || python3 -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
fi
