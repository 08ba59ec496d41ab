#!/usr/bin/env python3
"""The reference answers for DICOMTests: what pydicom (the oracle) reads from its own test files.

Prints one JSON object: {"root": <pydicom data dir>, "files": {relative path: {"json": <to_json_dict>}
or {"error": "<type>: <message>"}}}, for every file under data/test_files and data/charset_files.
Bulk data: binary values longer than THRESHOLD raw bytes get the BulkDataURI "bulk:<tag>", the same
rule the Swift side uses (pydicom's threshold counts base64 characters: 4/3 of the raw size).
"""
import json
import os
import sys
import warnings

import pydicom
from pydicom.errors import InvalidDicomError

THRESHOLD = int(sys.argv[1]) if len(sys.argv) > 1 else 768


def main():
    warnings.simplefilter("ignore")
    root = os.path.join(os.path.dirname(pydicom.__file__), "data")
    files = {}
    for folder in ("test_files", "charset_files"):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            path = os.path.join(root, folder, name)
            if not os.path.isfile(path) or not name.endswith(".dcm"):
                continue
            rel = f"{folder}/{name}"
            try:
                try:
                    ds = pydicom.dcmread(path)
                except InvalidDicomError:
                    ds = pydicom.dcmread(path, force=True)
                files[rel] = {
                    "json": ds.to_json_dict(
                        bulk_data_threshold=THRESHOLD * 4 // 3,
                        bulk_data_element_handler=lambda e: f"bulk:{e.tag:08X}",
                    ),
                    "patientName": str(ds.get("PatientName", "")),
                }
            except Exception as exc:  # the file is broken, or pydicom cannot convert a value
                files[rel] = {"error": f"{type(exc).__name__}: {exc}"}
    json.dump({"root": root, "version": pydicom.__version__, "files": files}, sys.stdout)


if __name__ == "__main__":
    main()
