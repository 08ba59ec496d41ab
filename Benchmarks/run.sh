#!/bin/sh
# Builds the DICOM data layer benchmark in release mode and runs it; arguments are passed on
# (e.g. --quick, --filter ct-explicit, --iterations 2000). Works from any directory.
# A separate scratch path keeps it off the .build lock other builds and tests hold.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product DICOMBenchmarks --scratch-path .build-bench >&2
exec .build-bench/release/DICOMBenchmarks "$@"
