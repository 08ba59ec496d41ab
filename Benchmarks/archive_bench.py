#!/usr/bin/env python3
"""Upload throughput and /tools/find latency of an Orthanc-compatible REST server.

Runs against any server speaking Orthanc's REST shapes (SwiftPACS, Orthanc): the same corpus,
the same client, the same targets, so two servers can be compared side by side.

    # one run on a FRESH database (the caller starts/stops the server):
    python3 Benchmarks/archive_bench.py run --url http://127.0.0.1:8042 --user bench --password bench-pass \
        --corpus /tmp/corpus-tiny --label swiftpacs --clients 4 --workloads upload,find \
        --server-pid PID --storage-path DIR --out-json /tmp/archive-bench/x.json
    # merge runs (same label = repetitions: median and min..max) with ratios against a baseline:
    python3 Benchmarks/archive_bench.py compare /tmp/archive-bench/*.json --baseline orthanc-nodelay

Workloads
  upload  POST /instances with the raw file bytes (like `curl --data-binary`), --clients threads,
          each with its own keep-alive session, pulling files from one shared queue in corpus
          order. Files are read into memory before the clock starts. Every answer must be 200
          with Status Success; /statistics must then count the whole corpus.
  find    POST /tools/find at Study level: by PatientID, by AccessionNumber, by PatientName
          prefix wildcard (`SMI*`), by StudyDate range (~10 % of the studies), and the listing
          of all studies with "Expand": false and true. --query-n iterations each with rotating
          targets from manifest.json (the listings: --list-n, every loop capped at --time-cap s).
          Every result count (and, for the key searches, the returned study IDs, computed
          from the manifest as Orthanc does) is checked; a mismatch is a failed check.

Per workload the server's CPU seconds (from /proc/PID/stat, with --server-pid) and the harness'
own CPU seconds are recorded, to tell a server-bound figure from a client-bound one on a small
machine where both share the cores.

The JSON has the shape of ../shared/tools/pacs_bench.py's (label, figures, checks, errors), so
../shared/tools/bench_compare.py can merge it too.
"""
import argparse
import base64
import datetime as dt
import http.client
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict

import requests

MB = 1e6


class Fatal(Exception):
    pass


# --------------------------------------------------------------------------- results
class Results:
    def __init__(self, quiet=False):
        self.figures, self.checks, self.errors, self.notes = [], [], [], {}
        self.quiet = quiet

    def fig(self, workload, metric, value, unit, **extra):
        row = {"workload": workload, "metric": metric, "value": value, "unit": unit}
        row.update(extra)
        self.figures.append(row)
        if not self.quiet:
            v = f"{value:.3f}" if isinstance(value, float) else str(value)
            ex = " ".join(f"{k}={x}" for k, x in extra.items())
            print(f"  {workload:<8} {metric:<44} {v:>11} {unit:<7} {ex}", flush=True)

    def check(self, name, ok, detail=""):
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail})
        if not ok:
            print(f"  CHECK FAILED: {name}: {detail}", flush=True)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))]


def orthanc_id(*parts):
    """Orthanc's resource ID: SHA-1 of the UID chain joined by '|', 5 dash-separated groups."""
    h = hashlib.sha1("|".join(parts).encode()).hexdigest()
    return "-".join(h[i:i + 8] for i in range(0, 40, 8))


# --------------------------------------------------------------------------- corpus
class Corpus:
    def __init__(self, root):
        self.root = root
        path = os.path.join(root, "manifest.json")
        if not os.path.exists(path):
            raise Fatal(f"{path} not found (generate it with ../shared/tools/make_corpus.py)")
        with open(path) as f:
            self.m = json.load(f)
        self.patients = self.m["patients"]
        self.studies = []
        self.files = []
        for p in self.patients:
            for st in p["studies"]:
                st = dict(st)
                st["PatientID"], st["PatientName"] = p["PatientID"], p["PatientName"]
                st["ID"] = orthanc_id(p["PatientID"], st["StudyInstanceUID"])
                self.studies.append(st)
                for se in st["series"]:
                    for i in se["instances"]:
                        self.files.append(os.path.join(root, i["path"]))
        self.n_instances = self.m["n_instances"]
        self.n_series = sum(len(s["series"]) for s in self.studies)

    def query_targets(self, n, seed):
        """Rotating targets, chosen as ../shared/tools/pacs_bench.py chooses them."""
        rnd = random.Random(seed + 7)
        pats = [rnd.choice(self.patients) for _ in range(n)]
        studies = [rnd.choice(self.studies) for _ in range(n)]
        dates = sorted(s["StudyDate"] for s in self.studies)
        w = max(1, len(dates) // 10)
        ranges = []
        for _ in range(n):
            j = rnd.randrange(0, max(1, len(dates) - w))
            lo, hi = dates[j], dates[min(len(dates) - 1, j + w)]
            ranges.append((lo, hi, sum(1 for d in dates if lo <= d <= hi)))
        prefixes = []
        for p in pats:
            pre = p["PatientName"][:3]
            prefixes.append((pre, sum(1 for s in self.studies if s["PatientName"].upper().startswith(pre.upper()))))
        return pats, studies, ranges, prefixes


# --------------------------------------------------------------------------- server process
def proc_cpu(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError):
        return None


def proc_mem(pid):
    if not pid:
        return None
    try:
        out = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])
        return out
    except (FileNotFoundError, ProcessLookupError):
        return None


def du_bytes(paths):
    alloc = apparent = 0
    for p in paths:
        if os.path.exists(p):
            alloc += int(subprocess.run(["du", "-s", "--block-size=1", p], capture_output=True, text=True).stdout.split()[0])
            apparent += int(subprocess.run(["du", "-sb", p], capture_output=True, text=True).stdout.split()[0])
    return alloc, apparent


# --------------------------------------------------------------------------- the benchmark
class Bench:
    def __init__(self, a):
        self.a = a
        self.url = a.url.rstrip("/")
        self.auth = (a.user, a.password) if a.user else None
        self.res = Results()
        self.corpus = Corpus(a.corpus)
        self.session = self.new_session()

    def new_session(self):
        s = requests.Session()
        s.auth = self.auth
        s.headers["Accept-Encoding"] = "identity"
        return s

    def preflight(self):
        try:
            r = self.session.get(self.url + "/system", timeout=10)
        except requests.RequestException as e:
            raise Fatal(f"{self.url} unreachable: {e}")
        if r.status_code == 401:
            raise Fatal(f"{self.url}/system: 401 (wrong --user/--password?)")
        if r.status_code != 200:
            raise Fatal(f"{self.url}/system: HTTP {r.status_code}")
        system = r.json()
        self.res.notes["system"] = {k: system.get(k) for k in ("Name", "Version", "DatabaseVersion", "ApiVersion")}
        if self.a.server_pid and proc_cpu(self.a.server_pid) is None:
            raise Fatal(f"server PID {self.a.server_pid} not found")

    def statistics(self):
        r = self.session.get(self.url + "/statistics", timeout=self.a.http_timeout)
        r.raise_for_status()
        return r.json()

    # ---- upload
    def wl_upload(self):
        a, res, c = self.a, self.res, self.corpus
        k = a.clients
        stats = self.statistics()
        if int(stats.get("CountInstances", 0)) != 0:
            res.check("upload: database empty before upload", False,
                      f"{stats.get('CountInstances')} instances already stored (restart the server on a fresh database)")
        files = c.files[: a.limit_files] if a.limit_files else c.files
        t0 = time.time()
        blobs = []
        for path in files:
            with open(path, "rb") as f:
                blobs.append(f.read())
        total_bytes = sum(len(b) for b in blobs)
        print(f"  read {len(blobs)} files ({total_bytes / MB:.1f} MB) in {time.time() - t0:.1f} s", flush=True)

        lock = threading.Lock()
        next_index = [0]
        latencies = [[] for _ in range(k)]
        failures = []
        ids = [None] * len(blobs)
        start = threading.Barrier(k + 1)

        def poster():
            """A function posting one body and returning (HTTP status, body bytes)."""
            if a.client_lib == "requests":
                s = self.new_session()
                s.headers["Content-Type"] = "application/dicom"
                url = self.url + "/instances"

                def post(data):
                    r = s.post(url, data=data, timeout=a.http_timeout)
                    return r.status_code, r.content
                return post
            # http.client: the same requests on one keep-alive connection, without requests'
            # per-call overhead (to tell how much of a figure is the client's).
            u = urllib.parse.urlsplit(self.url)
            headers = {"Content-Type": "application/dicom", "Accept-Encoding": "identity"}
            if self.auth:
                headers["Authorization"] = "Basic " + base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
            path = (u.path.rstrip("/") or "") + "/instances"
            conn = [None]

            def post(data):
                for attempt in (0, 1):
                    if conn[0] is None:
                        conn[0] = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=a.http_timeout)
                    try:
                        conn[0].request("POST", path, body=data, headers=headers)
                        r = conn[0].getresponse()
                        body = r.read()
                        if r.getheader("Connection", "").lower() == "close":
                            conn[0].close()
                            conn[0] = None
                        return r.status, body
                    except (http.client.HTTPException, OSError):
                        conn[0].close()
                        conn[0] = None
                        if attempt:
                            raise
            return post

        def worker(w):
            post = poster()
            start.wait()
            lat = latencies[w]
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= len(blobs):
                    break
                t = time.perf_counter()
                try:
                    code, body = post(blobs[i])
                except (requests.RequestException, http.client.HTTPException, OSError) as e:
                    failures.append(f"{files[i]}: {e.__class__.__name__}: {e}")
                    continue
                lat.append(time.perf_counter() - t)
                status = None
                if code == 200:
                    try:
                        j = json.loads(body)
                        status, ids[i] = j.get("Status"), j.get("ID")
                    except ValueError:
                        pass
                if code != 200 or status != "Success":
                    failures.append(f"{os.path.relpath(files[i], c.root)}: HTTP {code} Status={status} {body[:200]!r}")

        threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(k)]
        for t in threads:
            t.start()
        cpu0, ccpu0 = proc_cpu(a.server_pid), time.process_time()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu1, ccpu1 = proc_cpu(a.server_pid), time.process_time()
        n = len(blobs)
        tag = f"upload {k} client{'s' if k > 1 else ''}" + ("" if a.client_lib == "requests" else f" ({a.client_lib})")
        all_lat = [x * 1000 for lat in latencies for x in lat]
        res.fig("upload", f"{tag}: instances/s", round(n / wall, 1), "inst/s", n=n, wall_s=round(wall, 2))
        res.fig("upload", f"{tag}: MB/s", round(total_bytes / MB / wall, 1), "MB/s")
        res.fig("upload", f"{tag}: request latency", round(med(all_lat), 3), "ms",
                p90=round(pct(all_lat, 90), 3), max=round(max(all_lat), 1) if all_lat else None)
        if cpu0 is not None and cpu1 is not None:
            res.fig("upload", f"{tag}: server CPU per instance", round((cpu1 - cpu0) * 1000 / n, 3), "ms",
                    server_cpu_s=round(cpu1 - cpu0, 2), server_cores_busy=round((cpu1 - cpu0) / wall, 2))
        res.fig("upload", f"{tag}: client CPU per instance", round((ccpu1 - ccpu0) * 1000 / n, 3), "ms",
                client_cpu_s=round(ccpu1 - ccpu0, 2), client_cores_busy=round((ccpu1 - ccpu0) / wall, 2))
        res.check(f"{tag}: every POST /instances answered 200 Success", not failures,
                  f"{len(failures)} failed; " + "; ".join(failures[:3]))
        stats = self.statistics()
        want = {"CountInstances": n}
        if not a.limit_files:
            want.update(CountStudies=len(c.studies), CountSeries=c.n_series, CountPatients=len(c.patients))
        got = {key: int(stats.get(key, -1)) for key in want}
        res.check(f"{tag}: /statistics counts the corpus", got == want, f"got {got}, expected {want}")
        mem = proc_mem(a.server_pid)
        if mem:
            res.fig("upload", "server VmRSS after upload", round(mem["VmRSS"] / 1024, 1), "MiB",
                    VmHWM_MiB=round(mem["VmHWM"] / 1024, 1), threads=mem["Threads"])
        if a.storage_path:
            subprocess.run(["sync"])
            alloc, apparent = du_bytes(a.storage_path)
            res.fig("upload", "disk used (allocated) per instance", round(alloc / n / 1024, 2), "KiB",
                    total_MB=round(alloc / MB, 1), apparent_MB=round(apparent / MB, 1),
                    ratio_to_corpus=round(alloc / total_bytes, 3))

    # ---- find
    def find(self, session, body):
        t = time.perf_counter()
        r = session.post(self.url + "/tools/find", data=json.dumps(body), timeout=self.a.http_timeout,
                         headers={"Content-Type": "application/json"})
        content = r.content
        el = time.perf_counter() - t
        answer = json.loads(content) if r.status_code == 200 and content else None
        return el, r.status_code, answer

    def wl_find(self):
        a, res, c = self.a, self.res, self.corpus
        n = a.query_n
        pats, studies, ranges, prefixes = c.query_targets(n, a.seed)
        study_ids_of = {}
        for s in c.studies:
            study_ids_of.setdefault(s["PatientID"], set()).add(s["ID"])

        def q(query, expand=False, **extra):
            body = {"Level": "Study", "Query": query, "Expand": expand}
            body.update(extra)
            return body

        n_list = max(1, min(n, a.list_n))
        all_ids = {s["ID"] for s in c.studies}
        listing, n_listed, listed_ids, suffix = {}, len(c.studies), all_ids, ""
        if a.list_limit:
            # The first Limit studies in index order: the count is checked, not the IDs.
            listing, n_listed, listed_ids = {"Limit": a.list_limit}, min(a.list_limit, len(c.studies)), None
            suffix = f" (Limit {a.list_limit})"
        plans = [
            ("Study by PatientID", [(q({"PatientID": p["PatientID"]}), len(p["studies"]),
                                     study_ids_of[p["PatientID"]]) for p in pats]),
            ("Study by AccessionNumber", [(q({"AccessionNumber": s["AccessionNumber"]}), 1, {s["ID"]}) for s in studies]),
            ("Study by PatientName wildcard XXX*", [(q({"PatientName": pre + "*"}), e, None) for pre, e in prefixes]),
            ("Study by StudyDate range (~10%)", [(q({"StudyDate": f"{lo}-{hi}"}), e, None) for lo, hi, e in ranges]),
            ("all studies, Expand false" + suffix, [(q({}, **listing), n_listed, listed_ids)] * n_list),
            ("all studies, Expand true" + suffix, [(q({}, True, **listing), n_listed, listed_ids)] * n_list),
        ]
        s = self.session
        for name, qs in plans:
            samples, bad = [], []
            t_end = time.time() + a.time_cap
            self.find(s, qs[0][0])  # warm-up
            cpu0, ccpu0 = proc_cpu(a.server_pid), time.process_time()
            for body, expected, expected_ids in qs:
                el, code, answer = self.find(s, body)
                samples.append(el * 1000)
                if not isinstance(answer, list):
                    bad.append(f"HTTP {code} for {json.dumps(body)}")
                    continue
                got_ids = [x["ID"] if isinstance(x, dict) else x for x in answer]
                if len(answer) != expected:
                    bad.append(f"got {len(answer)} expected {expected} for {json.dumps(body['Query'])}")
                elif expected_ids is not None and set(got_ids) != expected_ids:
                    bad.append(f"wrong study IDs for {json.dumps(body['Query'])}")
                elif body["Expand"] and not all(isinstance(x, dict) and "MainDicomTags" in x for x in answer):
                    bad.append("Expand true: an answer without MainDicomTags")
                if time.time() > t_end:
                    break
            cpu1, ccpu1 = proc_cpu(a.server_pid), time.process_time()
            res.check(f"find {name}: result counts", not bad, f"{len(bad)} wrong; " + "; ".join(bad[:3]))
            extra = {}
            if cpu0 is not None and cpu1 is not None:
                extra["server_cpu_ms"] = round((cpu1 - cpu0) * 1000 / len(samples), 3)
            extra["client_cpu_ms"] = round((ccpu1 - ccpu0) * 1000 / len(samples), 3)
            res.fig("find", name, round(med(samples), 3), "ms", n=len(samples), p90=round(pct(samples, 90), 3),
                    min=round(min(samples), 3), max=round(max(samples), 3), matches=qs[0][1], **extra)

    def run(self, workloads):
        self.preflight()
        for w in workloads:
            print(f"== {w}", flush=True)
            cpu0, t0 = proc_cpu(self.a.server_pid), time.time()
            try:
                getattr(self, "wl_" + w)()
            except Fatal:
                raise
            except Exception as e:
                import traceback
                traceback.print_exc()
                self.res.errors.append(f"{w}: {e.__class__.__name__}: {e}")
            cpu1 = proc_cpu(self.a.server_pid)
            if cpu0 is not None and cpu1 is not None:
                self.res.fig(w, "server CPU during workload", round(cpu1 - cpu0, 2), "s", wall_s=round(time.time() - t0, 1),
                             loadavg_1min=round(os.getloadavg()[0], 2))


def table(figs):
    lines = [f"{'workload':<8} {'metric':<44} {'value':>11} {'unit':<7} extra", "-" * 110]
    for f in figs:
        v = f["value"]
        vs = f"{v:.3f}" if isinstance(v, float) else str(v)
        ex = " ".join(f"{k}={x}" for k, x in f.items() if k not in ("workload", "metric", "value", "unit"))
        lines.append(f"{f['workload']:<8} {f['metric']:<44} {vs:>11} {f['unit']:<7} {ex}")
    return "\n".join(lines)


def cmd_run(a):
    workloads = [w.strip() for w in a.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in ("upload", "find"):
            sys.exit(f"unknown workload {w!r} (upload, find)")
    t_start = time.time()
    try:
        b = Bench(a)
        print(f"corpus {a.corpus}: {b.corpus.n_instances} instances, {len(b.corpus.studies)} studies; "
              f"server {a.url} ({a.label}); clients {a.clients}", flush=True)
        b.run(workloads)
    except Fatal as e:
        print(f"FATAL: {e}", file=sys.stderr)
        sys.exit(2)
    res = b.res
    out = {
        "label": a.label,
        "started": dt.datetime.fromtimestamp(t_start, dt.timezone.utc).isoformat(),
        "duration_s": round(time.time() - t_start, 1),
        "target": {"url": a.url},
        "corpus": {"path": a.corpus, "name": os.path.basename(os.path.normpath(a.corpus)),
                   "params": b.corpus.m["params"], "n_instances": b.corpus.n_instances,
                   "n_studies": len(b.corpus.studies), "total_bytes": b.corpus.m["total_bytes"]},
        "settings": {k: getattr(a, k) for k in ("clients", "client_lib", "workloads", "query_n", "list_n", "list_limit", "time_cap", "seed",
                                                 "limit_files")},
        "client": {"python": platform.python_version(), "requests": requests.__version__,
                   "cpus": os.cpu_count(), "kernel": platform.release()},
        "figures": res.figures, "checks": res.checks, "errors": res.errors, "notes": res.notes,
    }
    print("\n" + table(res.figures))
    nfail = sum(1 for c in res.checks if not c["ok"])
    print(f"\nchecks: {len(res.checks) - nfail} ok, {nfail} failed; errors: {len(res.errors)}")
    for e in res.errors:
        print("  ERROR", e)
    path = a.out_json or os.path.join("/tmp", f"archive_bench-{a.label}-{int(t_start)}.json")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1, default=str)
    print(f"json: {path}")
    if nfail or res.errors:
        sys.exit(1)


# --------------------------------------------------------------------------- compare
def fmt(v):
    if v is None or v != v:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


# The goals: (corpus name, metric) -> (kind, threshold). "ratio" goals compare the
# candidate's median with the baseline's (higher is better); "max" goals cap the candidate's median.
GOALS = {
    ("*", "upload 1 client: instances/s"): ("ratio", 3.0),
    ("*", "upload 4 clients: instances/s"): ("ratio", 3.0),
    ("corpus-tiny", "Study by PatientID"): ("max", 2.0),
    ("corpus-tiny", "Study by AccessionNumber"): ("max", 2.0),
    ("corpus-tiny", "all studies, Expand false"): ("max", 60.0),
    ("corpus-tiny", "all studies, Expand true"): ("max", 60.0),
    # The 1M-instance synthetic archive (ArchiveBenchmarks --export-manifest).
    ("syn-1m", "Study by PatientID"): ("max", 5.0),
    ("syn-1m", "Study by AccessionNumber"): ("max", 5.0),
}


def cmd_compare(a):
    labels = OrderedDict()
    rows = OrderedDict()   # (corpus, workload, metric) -> unit
    vals = {}              # (label, corpus, workload, metric) -> [values]
    p90s = {}
    problems = []
    for path in a.runs:
        with open(path) as f:
            d = json.load(f)
        lab, corpus = d["label"], d["corpus"]["name"]
        labels.setdefault(lab, set()).add(path)
        for fig in d["figures"]:
            if fig["metric"] == "server CPU during workload":
                continue
            key = (corpus, fig["workload"], fig["metric"])
            rows.setdefault(key, fig["unit"])
            vals.setdefault((lab,) + key, []).append(fig["value"])
            if "p90" in fig:
                p90s.setdefault((lab,) + key, []).append(fig["p90"])
        for c in d["checks"]:
            if not c["ok"]:
                problems.append(f"{lab} {corpus} ({path}): check failed: {c['name']}: {c['detail']}")
        for e in d["errors"]:
            problems.append(f"{lab} {corpus} ({path}): error: {e}")
    names = list(labels)
    base = a.baseline if a.baseline in labels else None
    cands = [x for x in names if x != base]
    hdr = "| corpus | metric | unit | " + " | ".join(f"{x} (median, min..max)" for x in names)
    if base:
        hdr += " | " + " | ".join(f"{x} vs {base} (>1: {x} better)" for x in cands)
    hdr += " | goal |"
    out = [hdr, "|" + "---|" * (hdr.count("|") - 1)]
    for (corpus, wl, metric), unit in rows.items():
        cells = []
        meds = {}
        for lab in names:
            v = vals.get((lab, corpus, wl, metric))
            if not v:
                cells.append("")
                continue
            meds[lab] = statistics.median(v)
            cell = fmt(meds[lab]) if len(v) == 1 else f"{fmt(meds[lab])} ({fmt(min(v))}..{fmt(max(v))})"
            p = p90s.get((lab, corpus, wl, metric))
            if p and wl == "find":
                cell += f" p90 {fmt(statistics.median(p))}"
            cells.append(cell)
        line = f"| {corpus} | {metric} | {unit} | " + " | ".join(cells)
        ratios = {}
        if base:
            rc = []
            for lab in cands:
                if lab in meds and base in meds and meds[lab] and meds[base]:
                    lower_better = unit in ("ms", "KiB", "MiB")
                    r = meds[base] / meds[lab] if lower_better else meds[lab] / meds[base]
                    ratios[lab] = r
                    rc.append(f"{r:.2f}×")
                else:
                    rc.append("")
            line += " | " + " | ".join(rc)
        plain = metric.replace(" (httpclient)", "")
        goal = GOALS.get((corpus, plain)) or GOALS.get(("*", plain))
        gcell = ""
        if goal and wl in ("upload", "find"):
            kind, th = goal
            verdicts = []
            for lab in cands:
                if kind == "ratio" and lab in ratios:
                    verdicts.append(f"≥{th:g}× {'met' if ratios[lab] >= th else 'MISSED'}")
                elif kind == "max" and lab in meds:
                    verdicts.append(f"≤{th:g} ms {'met' if meds[lab] <= th else 'MISSED'}")
            gcell = "; ".join(verdicts)
        line += f" | {gcell} |"
        out.append(line)
    if problems:
        out += ["", "Problems:"] + [f"- {p}" for p in problems]
    text = "\n".join(out)
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="one run against a server on a fresh database")
    r.add_argument("--url", default="http://127.0.0.1:8042", help="REST base URL")
    r.add_argument("--user")
    r.add_argument("--password")
    r.add_argument("--corpus", required=True, help="directory written by make_corpus.py")
    r.add_argument("--label", default="server")
    r.add_argument("--clients", type=int, default=1, help="concurrent upload clients (threads)")
    r.add_argument("--workloads", default="upload,find")
    r.add_argument("--client-lib", choices=["requests", "httpclient"], default="requests",
                   help="upload client: requests sessions (default) or bare http.client connections (lighter)")
    r.add_argument("--query-n", type=int, default=20, help="iterations per key search (rotating targets)")
    r.add_argument("--list-n", type=int, default=20, help="iterations of the all-studies listings")
    r.add_argument("--list-limit", type=int, default=0,
                   help='"Limit" of the all-studies listings (0: none; e.g. 2000 on a 1M-instance archive)')
    r.add_argument("--time-cap", type=float, default=60, help="seconds cap per latency loop")
    r.add_argument("--http-timeout", type=float, default=300)
    r.add_argument("--limit-files", type=int, default=0, help="upload only the first N files (smoke tests)")
    r.add_argument("--seed", type=int, default=42)
    r.add_argument("--server-pid", type=int, help="server PID: CPU seconds, RSS")
    r.add_argument("--storage-path", action="append", default=[], help="server storage/index dir (repeatable): du")
    r.add_argument("--out-json")
    c = sub.add_parser("compare", help="merge run JSONs: median (min..max) per label, ratios to --baseline")
    c.add_argument("runs", nargs="+")
    c.add_argument("--baseline", default="orthanc-nodelay")
    c.add_argument("--md")
    a = ap.parse_args()
    if a.command == "run":
        if a.clients < 1:
            sys.exit("--clients must be ≥ 1")
        cmd_run(a)
    else:
        cmd_compare(a)


if __name__ == "__main__":
    main()
