#!/usr/bin/env python3
"""Drives SwiftPACS's Orthanc-compatible REST API with Python `requests`, as Orthanc scripts do.

usage:
  rest_client.py expect TEST_FILES_DIR
      Prints, as JSON, what each pydicom test file should give when uploaded: its Orthanc IDs
      (computed here, independently of the server) and whether it has the UIDs a store needs.
  rest_client.py scenario BASE_URL TEST_FILES_DIR WORK_DIR
      Uploads, lists, expands, pages, reads tags, finds, deletes, checks statistics and changes.
      Exit status 0 when every check passed; failures are listed on stderr.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import zipfile

import pydicom
import requests
from pydicom.uid import generate_uid

SKIPPED = {"MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"}


def orthanc_id(*parts):
    """Orthanc's identifiers: SHA-1 of the UIDs joined by '|', as five dash-separated groups."""
    h = hashlib.sha1("|".join(parts).encode()).hexdigest()
    return "-".join(h[i:i + 8] for i in range(0, 40, 8))


def ids_of(ds):
    pid = str(ds.get("PatientID", "") or "").strip()
    st, se, sop = str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
    return {
        "patient": orthanc_id(pid),
        "study": orthanc_id(pid, st),
        "series": orthanc_id(pid, st, se),
        "instance": orthanc_id(pid, st, se, sop),
    }


def expect(directory):
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".dcm"):
            continue
        path = os.path.join(directory, name)
        entry = {"file": path, "name": name, "skipped": name in SKIPPED, "storable": False}
        try:
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
            needed = all(ds.get(k) for k in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"))
            if needed:
                entry.update(storable=True, sop=str(ds.SOPInstanceUID), ids=ids_of(ds))
        except Exception as e:  # noqa: BLE001 - pydicom cannot read it either
            entry["error"] = str(e)
        out.append(entry)
    print(json.dumps(out))


def json_string(text):
    """A JSON string escaped as jsoncpp (and SwiftPACS) write it: UTF-8 kept, control characters escaped."""
    named = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return '"' + "".join(named.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) < 0x20 else ch) for ch in text) + '"'


def styled(value, indent=0):
    """jsoncpp's StyledWriter layout, which Orthanc answers with: sorted keys, three-space indents,
    arrays of scalars on one line while they stay under 74 columns."""
    def scalar(v):
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json_string(v)
        return str(v)
    pad = " " * (indent + 3)
    if isinstance(value, dict):
        if not value:
            return "{}"
        members = [f"{pad}{json_string(k)} : {styled(value[k], indent + 3)}" for k in sorted(value)]
        return "{\n" + ",\n".join(members) + "\n" + " " * indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(v, (dict, list)) for v in value):
            parts = [scalar(v) for v in value]
            if sum(len(p.encode()) + 2 for p in parts) + indent < 74:
                return "[ " + ", ".join(parts) + " ]"
        return "[\n" + ",\n".join(pad + styled(v, indent + 3) for v in value) + "\n" + " " * indent + "]"
    return scalar(value)


class Checks:
    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, condition, what):
        self.count += 1
        if not condition:
            self.failures.append(what)
        return condition

    def equal(self, actual, expected, what):
        return self.check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def scenario(base, directory, work):
    c = Checks()
    s = requests.Session()

    def get(path, **kw):
        r = s.get(base + path, **kw)
        return r

    def read(name):
        with open(os.path.join(directory, name), "rb") as f:
            return f.read()

    # --- uploads -------------------------------------------------------------------------
    files = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "JPEG-lossy.dcm", "rtplan.dcm", "rtdose.dcm"]
    uploaded = {}
    for name in files:
        data = read(name)
        r = s.post(base + "/instances", data=data)
        c.equal(r.status_code, 200, f"upload {name}")
        answer = r.json()
        ds = pydicom.dcmread(io.BytesIO(data))
        ids = ids_of(ds)
        c.equal(answer.get("Status"), "Success", f"upload {name} status")
        c.equal(answer.get("ID"), ids["instance"], f"{name} instance ID")
        c.equal(answer.get("ParentPatient"), ids["patient"], f"{name} patient ID")
        c.equal(answer.get("ParentStudy"), ids["study"], f"{name} study ID")
        c.equal(answer.get("ParentSeries"), ids["series"], f"{name} series ID")
        c.equal(answer.get("Path"), "/instances/" + ids["instance"], f"{name} path")
        uploaded[name] = (ds, ids, data)

    ct_ds, ct, ct_bytes = uploaded["CT_small.dcm"]
    r = s.post(base + "/instances", data=ct_bytes, headers={"Content-Type": "application/dicom"})
    c.equal(r.json().get("Status"), "AlreadyStored", "second upload of CT_small")

    # gzip (Content-Encoding) and ZIP uploads of fresh instances made from CT_small
    def variant(template, series=None):
        ds = pydicom.dcmread(io.BytesIO(template))
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        if series:
            ds.SeriesInstanceUID = series
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        return ds, buf.getvalue()

    gz_ds, gz_bytes = variant(ct_bytes)
    r = s.post(base + "/instances", data=gzip.compress(gz_bytes), headers={"Content-Encoding": "gzip"})
    c.equal(r.status_code, 200, "gzip upload")
    c.equal(r.json().get("ID"), ids_of(gz_ds)["instance"], "gzip upload ID")
    c.equal(get(f"/instances/{ids_of(gz_ds)['instance']}/file").content, gz_bytes, "gzip upload stored inflated")
    br_ds, br_bytes = variant(ct_bytes)
    r = s.post(base + "/instances", data=br_bytes, headers={"Content-Encoding": "br"})
    c.equal(r.status_code, 415, "unsupported Content-Encoding")
    c.check("Content-Encoding" in r.json().get("Message", ""), f"415 says why: {r.text}")
    c.equal(s.get(base + f"/instances/{ids_of(br_ds)['instance']}").status_code, 404, "refused upload stored nothing")

    zip_series = generate_uid()
    zipped = [variant(ct_bytes, zip_series) for _ in range(3)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (_, data) in enumerate(zipped):
            z.writestr(f"dir/IM{i}.dcm", data)
    r = s.post(base + "/instances", data=buf.getvalue())
    c.equal(r.status_code, 200, "ZIP upload")
    answer = r.json()
    if c.check(isinstance(answer, list) and len(answer) == 3, f"ZIP upload answers one object per file: {answer}"):
        c.equal(sorted(a["ID"] for a in answer), sorted(ids_of(d)["instance"] for d, _ in zipped), "ZIP upload IDs")
        c.equal({a["Status"] for a in answer}, {"Success"}, "ZIP upload statuses")

    r = s.post(base + "/instances", data=b"this is not a DICOM file" * 20)
    c.equal(r.status_code, 400, "upload of a text file")
    body = r.json()
    c.equal(body.get("Status"), "Failure", "failed upload status")
    c.equal(body.get("HttpStatus"), 400, "failed upload HttpStatus")
    c.equal(body.get("OrthancError"), "Bad file format", "failed upload OrthancError")
    c.check("DICOM" in body.get("Message", ""), f"failed upload says why: {body}")

    # --- lists, expand, paging ------------------------------------------------------------
    instances = get("/instances").json()
    c.equal(len(instances), 6 + 1 + 3, "number of instances")
    c.check(all(isinstance(i, str) and len(i) == 44 for i in instances), "instance IDs are Orthanc IDs")
    paged = get("/instances?limit=4&since=0").json() + get("/instances?limit=4&since=4").json() + \
        get("/instances?since=8&limit=100").json()
    c.equal(paged, instances, "limit/since pages concatenate to the whole list")
    c.equal(get("/instances?limit=0&since=0").json(), [], "limit=0")
    expanded = get("/studies?expand").json()
    c.equal([e["ID"] for e in expanded], get("/studies").json(), "expanded studies in list order")
    c.equal({e["Type"] for e in expanded}, {"Study"}, "expanded types")
    c.equal(get("/patients?expand=true&limit=1").json()[0]["Type"], "Patient", "expanded patient")

    # --- resource objects ---------------------------------------------------------------
    study = get(f"/studies/{ct['study']}").json()
    c.equal(sorted(study), ["ID", "IsStable", "Labels", "LastUpdate", "MainDicomTags", "ParentPatient",
                            "PatientMainDicomTags", "Series", "Type"], "study keys")
    c.equal(study["MainDicomTags"].get("StudyInstanceUID"), str(ct_ds.StudyInstanceUID), "study UID")
    c.equal(study["MainDicomTags"].get("StudyDate"), "20040119", "StudyDate")
    c.equal(study["PatientMainDicomTags"].get("PatientName"), "CompressedSamples^CT1", "study's PatientName")
    c.equal(study["ParentPatient"], ct["patient"], "study parent")
    c.check(ct["series"] in study["Series"], "study lists its series")
    c.equal(study["IsStable"], False, "a study just written is not stable")

    patient = get(f"/patients/{ct['patient']}").json()
    c.equal(sorted(patient), ["ID", "IsStable", "Labels", "LastUpdate", "MainDicomTags", "Studies", "Type"], "patient keys")
    c.equal(patient["MainDicomTags"].get("PatientID"), "1CT1", "PatientID")

    series = get(f"/series/{ct['series']}").json()
    c.equal(sorted(series), ["ExpectedNumberOfInstances", "ID", "Instances", "IsStable", "Labels", "LastUpdate",
                             "MainDicomTags", "ParentStudy", "Status", "Type"], "series keys")
    c.equal(series["MainDicomTags"].get("Modality"), "CT", "Modality")
    c.equal(series["ExpectedNumberOfInstances"], None, "ExpectedNumberOfInstances")
    c.equal(series["Status"], "Unknown", "series Status")
    c.check(ct["instance"] in series["Instances"], "series lists its instance")

    instance = get(f"/instances/{ct['instance']}").json()
    c.equal(sorted(instance), ["FileSize", "FileUuid", "ID", "IndexInSeries", "Labels", "MainDicomTags",
                               "ParentSeries", "Type"], "instance keys")
    c.equal(instance["FileSize"], len(ct_bytes), "FileSize")
    c.equal(instance["FileUuid"], hashlib.sha256(ct_bytes).hexdigest(), "FileUuid is the content hash")
    c.equal(instance["IndexInSeries"], 1, "IndexInSeries")
    c.equal(instance["MainDicomTags"].get("SOPInstanceUID"), str(ct_ds.SOPInstanceUID), "SOPInstanceUID")

    # children and parents
    children = get(f"/patients/{ct['patient']}/instances").json()
    c.equal({x["ID"] for x in children}, {ct["instance"], ids_of(gz_ds)["instance"]} | {ids_of(d)["instance"] for d, _ in zipped},
            "patient's instances")
    c.equal(get(f"/studies/{ct['study']}/series?expand=false").json().count(ct["series"]), 1, "study's series IDs")
    c.equal(get(f"/instances/{ct['instance']}/patient").json()["ID"], ct["patient"], "instance's patient")
    c.equal(get(f"/instances/{ct['instance']}/study").json()["Type"], "Study", "instance's study")
    c.equal(get(f"/series/{ct['series']}/study").json()["ID"], ct["study"], "series' study")

    # Byte for byte as Orthanc lays its answers out (jsoncpp), for every kind of resource object.
    for path in ["/patients?expand", "/studies?expand", "/series?expand", "/instances?expand",
                 f"/studies/{ct['study']}", f"/instances/{ct['instance']}", f"/patients/{ct['patient']}/series"]:
        r = get(path)
        c.equal(r.content.decode(), styled(r.json()) + "\n", f"{path} laid out as jsoncpp's StyledWriter")

    # --- tags ---------------------------------------------------------------------------
    tags = get(f"/instances/{ct['instance']}/tags").json()
    c.equal(tags.get("0010,0010"), {"Name": "PatientName", "Type": "String", "Value": "CompressedSamples^CT1"},
            "full tags PatientName")
    c.equal(tags.get("7fe0,0010"), {"Name": "PixelData", "Type": "Null", "Value": None}, "full tags PixelData")
    c.equal(tags.get("0028,0010", {}).get("Value"), "128", "Rows as a string")
    c.check("0002,0010" not in tags, "no File Meta Information in tags")
    simplified = get(f"/instances/{ct['instance']}/simplified-tags").json()
    c.equal(simplified.get("PatientName"), "CompressedSamples^CT1", "simplified PatientName")
    orientation = simplified.get("ImageOrientationPatient", "").split("\\")
    c.equal([float(x) for x in orientation], [float(x) for x in ct_ds.ImageOrientationPatient], "multi-valued DS")
    c.equal(get(f"/instances/{ct['instance']}/tags?simplify").json(), simplified, "tags?simplify = simplified-tags")
    c.equal(get(f"/instances/{ct['instance']}/tags?short").json().get("0010,0010"), "CompressedSamples^CT1", "short tags")
    plan = get(f"/instances/{uploaded['rtplan.dcm'][1]['instance']}/simplified-tags").json()
    beams = plan.get("BeamSequence")
    if c.check(isinstance(beams, list) and len(beams) == len(uploaded["rtplan.dcm"][0].BeamSequence),
               f"sequences as arrays of objects: {beams!r:.200}"):
        c.equal(beams[0].get("BeamName"), str(uploaded["rtplan.dcm"][0].BeamSequence[0].BeamName), "nested value")
    full_plan = get(f"/instances/{uploaded['rtplan.dcm'][1]['instance']}/tags").json()
    c.equal(full_plan.get("300a,00b0", {}).get("Type"), "Sequence", "full format sequence type")

    # --- /tools/find --------------------------------------------------------------------
    def find(body, status=200):
        r = s.post(base + "/tools/find", json=body)
        c.equal(r.status_code, status, f"find {body}")
        return r.json()

    studies = find({"Level": "Study", "Query": {"PatientName": "compressedsamples*"}})
    c.equal(sorted(studies), sorted({uploaded[n][1]["study"] for n in ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm"]}),
            "find by PatientName wildcard, case-insensitive")
    c.equal(find({"Level": "Study", "Query": {"PatientName": "compressedsamples*"}, "CaseSensitive": True}), [],
            "CaseSensitive find")
    c.equal(find({"Level": "Patient", "Query": {"PatientName": "*CT1"}}), [ct["patient"]], "find patient")
    c.equal(sorted(find({"Level": "Study", "Query": {"StudyDate": "20040101-20041231"}})),
            sorted({uploaded[n][1]["study"] for n in ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm"]}), "date range")
    c.equal(find({"Level": "Study", "Query": {"StudyDate": "-20031231"}}),
            [uploaded["rtplan.dcm"][1]["study"], uploaded["rtdose.dcm"][1]["study"]], "open date range")
    c.equal(find({"Level": "Series", "Query": {"Modality": "NM"}}), [uploaded["JPEG2000.dcm"][1]["series"]], "find series")
    expanded = find({"Level": "Instance", "Query": {"PatientID": "8NM1"}, "Expand": True})
    c.equal(sorted(e["ID"] for e in expanded),
            sorted([uploaded["JPEG2000.dcm"][1]["instance"], uploaded["JPEG-lossy.dcm"][1]["instance"]]), "expanded find")
    c.equal({e["Type"] for e in expanded}, {"Instance"}, "expanded find types")
    everything = find({"Level": "Instance", "Query": {}})
    c.equal(everything, instances, "find without keys lists everything in order")
    c.equal(find({"Level": "Instance", "Query": {}, "Limit": 3, "Since": 2}), instances[2:5], "find Limit/Since")
    req = find({"Level": "Study", "Query": {"PatientID": "1CT1"}, "Expand": True,
                "RequestedTags": ["PatientName", "NumberOfStudyRelatedInstances", "ModalitiesInStudy"]})
    c.equal(req[0].get("RequestedTags"), {"PatientName": "CompressedSamples^CT1", "NumberOfStudyRelatedInstances": "5",
                                          "ModalitiesInStudy": "CT"}, "RequestedTags")
    r = s.post(base + "/tools/find", json={"Level": "Study", "Query": {}, "Expand": True, "RequestedTags": ["StudyDate"]})
    c.equal(r.content.decode(), styled(r.json()) + "\n", "expanded find laid out as jsoncpp's StyledWriter")

    bad = find({"Level": "Study", "Query": {"NoSuchKeyword": "x"}}, 400)
    c.check("NoSuchKeyword" in bad.get("Message", ""), f"unknown keyword named: {bad}")
    c.equal(find({"Level": "Galaxy", "Query": {}}, 400).get("HttpStatus"), 400, "unknown level")
    r = s.post(base + "/tools/find", data="{not json")
    c.equal(r.status_code, 400, "invalid JSON")
    c.equal(r.json().get("OrthancError"), "Cannot parse a JSON document", "invalid JSON error")

    # --- statistics and changes ----------------------------------------------------------
    stats = get("/statistics").json()
    c.equal((stats["CountPatients"], stats["CountStudies"], stats["CountSeries"], stats["CountInstances"]),
            (5, 5, 6, 10), "statistics counts")
    total = sum(len(uploaded[n][2]) for n in files) + len(gz_bytes) + sum(len(d) for _, d in zipped)
    c.equal(stats["TotalDiskSize"], str(total), "TotalDiskSize (a string)")
    c.equal(stats["TotalDiskSizeMB"], total // (1024 * 1024), "TotalDiskSizeMB")
    c.equal(stats["TotalUncompressedSize"], str(total), "TotalUncompressedSize")

    changes = get("/changes?limit=1000").json()
    c.equal(changes["Done"], True, "changes Done")
    c.equal(changes["Last"], changes["Changes"][-1]["Seq"], "changes Last")
    new_instances = [x["ID"] for x in changes["Changes"] if x["ChangeType"] == "NewInstance"]
    c.equal(sorted(new_instances), sorted(instances), "one NewInstance per instance")
    first = changes["Changes"][0]
    c.equal(sorted(first), ["ChangeType", "Date", "ID", "Path", "ResourceType", "Seq"], "change keys")
    page = get("/changes?since=0&limit=2").json()
    c.equal((len(page["Changes"]), page["Done"], page["Last"]), (2, False, changes["Changes"][1]["Seq"]), "changes paging")
    last = get("/changes?last").json()
    c.equal(last["Changes"][0]["Seq"], changes["Last"], "changes?last")

    # --- delete -------------------------------------------------------------------------
    nm = uploaded["JPEG2000.dcm"][1]
    r = s.delete(base + f"/instances/{nm['instance']}")
    c.equal(r.json(), {"RemainingAncestor": {"ID": nm["series"], "Path": f"/series/{nm['series']}", "Type": "Series"}},
            "delete one instance of two")
    c.equal(get(f"/instances/{nm['instance']}").status_code, 404, "deleted instance is gone")
    r = s.delete(base + f"/studies/{uploaded['MR_small.dcm'][1]['study']}")
    c.equal(r.json(), {"RemainingAncestor": None}, "delete the only study of a patient")
    c.equal(get(f"/patients/{uploaded['MR_small.dcm'][1]['patient']}").status_code, 404, "empty patient removed")
    r = s.delete(base + "/series/00000000-00000000-00000000-00000000-00000000")
    c.equal(r.status_code, 404, "delete unknown")
    stats = get("/statistics").json()
    c.equal((stats["CountPatients"], stats["CountInstances"]), (4, 8), "statistics after deletes")
    deleted = [x for x in get("/changes?limit=1000").json()["Changes"] if x["ChangeType"] == "Deleted"]
    c.check(any(x["ID"] == nm["instance"] and x["ResourceType"] == "Instance" for x in deleted), "Deleted change logged")

    # --- errors -------------------------------------------------------------------------
    r = get("/studies/unknown-id")
    c.equal(r.status_code, 404, "unknown study")
    body = r.json()
    c.equal((body.get("HttpError"), body.get("OrthancStatus"), body.get("Method"), body.get("Uri")),
            ("Not Found", 17, "GET", "/studies/unknown-id"), "404 body")
    r = get("/no/such/route")
    c.equal(r.status_code, 404, "unknown route")
    c.equal(r.json().get("HttpStatus"), 404, "unknown route body")
    c.equal(get("/instances?limit=x").status_code, 400, "bad limit")

    system = get("/system").json()
    c.equal((system.get("Name"), system.get("DicomAet"), system.get("StorageAreaPlugin"), system.get("PluginsEnabled")),
            ("RESTTest", "SWIFTPACS", None, False), "/system")
    c.check(isinstance(system.get("ApiVersion"), int) and isinstance(system.get("DatabaseVersion"), int), "/system versions")

    print(json.dumps({"checks": c.count, "failures": len(c.failures)}))
    for f in c.failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if c.failures else 0


if __name__ == "__main__":
    if sys.argv[1] == "expect":
        expect(sys.argv[2])
    elif sys.argv[1] == "scenario":
        sys.exit(scenario(sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4]))
    else:
        sys.exit(__doc__)
