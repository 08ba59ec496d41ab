#!/usr/bin/env python3
"""Crash test: kill -9 the server during concurrent uploads, several times; then prove that every
acknowledged instance is there, byte-identical, and that `swiftpacs check` is clean.

usage: crash_test.py SWIFTPACS_BINARY WORKDIR [ROUNDS]
Prints a JSON summary; exit status 0 only when nothing acknowledged was lost.
"""
import copy
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import pydicom
import requests
from pydicom.uid import generate_uid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, config_path, port):
    proc = subprocess.Popen([binary, "serve", "--config", config_path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/system", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise RuntimeError("server exited: " + proc.stderr.read().decode(errors="replace"))
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def make_instances(template, count):
    """Distinct instances (new SOP/series UIDs) from one template, encoded once."""
    out = []
    for i in range(count):
        ds = copy.deepcopy(template)
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        if i % 10 == 0:
            series = generate_uid()
        ds.SeriesInstanceUID = series
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        out.append(buf.getvalue())
    return out


def main():
    binary, workdir = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(workdir, exist_ok=True)
    port = free_port()
    config_path = os.path.join(workdir, "config.json")
    with open(config_path, "w") as f:
        json.dump({"StorageDirectory": os.path.join(workdir, "data"), "HttpPort": port,
                   "DicomPort": free_port(), "SyncStorageArea": True}, f)
    template = pydicom.dcmread(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "CT_small.dcm"))
    acknowledged = {}  # instance ID -> bytes
    lock = threading.Lock()
    errors_after_kill = 0
    rng = random.Random(1)

    for r in range(rounds):
        instances = make_instances(template, 400)
        proc = start(binary, config_path, port)
        stop = threading.Event()

        def uploader(chunk):
            nonlocal errors_after_kill
            session = requests.Session()
            for body in chunk:
                if stop.is_set():
                    return
                try:
                    resp = session.post(f"http://127.0.0.1:{port}/instances", data=body, timeout=10)
                except requests.RequestException:
                    errors_after_kill += 1
                    return
                if resp.status_code == 200 and resp.json().get("Status") == "Success":
                    with lock:
                        acknowledged[resp.json()["ID"]] = body

        threads = [threading.Thread(target=uploader, args=(instances[k::4],)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.4, 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        proc.wait()

    # Restart (recovery runs), then every acknowledged instance must be there, byte-identical.
    proc = start(binary, config_path, port)
    missing, different = [], []
    session = requests.Session()
    for instance_id, body in acknowledged.items():
        resp = session.get(f"http://127.0.0.1:{port}/instances/{instance_id}/file", timeout=10)
        if resp.status_code != 200:
            missing.append(instance_id)
        elif resp.content != body:
            different.append(instance_id)
    stats = session.get(f"http://127.0.0.1:{port}/statistics", timeout=10).json()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    check = subprocess.run([binary, "check", "--config", config_path], capture_output=True, text=True)
    summary = {
        "rounds": rounds,
        "acknowledged": len(acknowledged),
        "missing": missing,
        "different": different,
        "instancesAfterRestart": int(stats.get("CountInstances", -1)),
        "checkExitStatus": check.returncode,
        "checkOutput": check.stdout[-2000:],
    }
    print(json.dumps(summary))
    ok = acknowledged and not missing and not different and check.returncode == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
