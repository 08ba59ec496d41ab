#!/usr/bin/env python3
"""What a durable acknowledgement costs on this machine, whatever the server.

A PACS that answers C-STORE success (or an upload's 200) only once the instance is on disk must
wait, after the object's last byte arrived, for that file's fsync. On one association the client
waits for that answer before it sends the next instance, so this wait adds to every instance's
round trip, on top of what a receiver that writes without syncing (dcmtk's storescp, the
benchmarks' "sink") takes. This script measures that wait the way SwiftPACS pays it at best:
the file is written in 128 KiB pieces, its writeback started every 256 KiB while it is written
(sync_file_range), then renamed into a new directory and fsync'd; only the fsync is timed.

    python3 Benchmarks/fsync_tail.py --size 524288 --files 300 --dir /var/tmp/fsync-tail
    python3 Benchmarks/fsync_tail.py --size 9728 --files 1000

Prints the median and quartiles of the fsync, the median of the file work before it (no DICOM,
no index: the least any content-addressed store does per object), and the ceiling the fsync sets
on one association for a given sink rate: 1 / (1 / sink + fsync).

Deleting many files makes creating new ones slower for minutes on this machine's journal-less
ext4: do not run it right after a benchmark cleaned up its databases.
"""
import argparse
import ctypes
import os
import shutil
import statistics
import time

SYNC_FILE_RANGE_WRITE = 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=524288, help="bytes per file (CT corpus: ~525 KB; tiny: ~9.7 KB)")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--dir", default="/var/tmp/fsync-tail")
    ap.add_argument("--sink", type=float, action="append", default=[],
                    help="a sink rate (inst/s) to turn into a one-association ceiling (repeatable)")
    args = ap.parse_args()

    libc = ctypes.CDLL(None, use_errno=True)
    libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir + "/tmp")
    data = os.urandom(args.size)
    piece, writeback = 128 << 10, 256 << 10
    waits, work = [], []
    for i in range(args.files):
        tmp = f"{args.dir}/tmp/{i}"
        started_at = time.perf_counter()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        started = 0
        for off in range(0, args.size, piece):
            os.write(fd, data[off:off + piece])
            end = min(off + piece, args.size)
            if end - started >= writeback:
                libc.sync_file_range(fd, started, end - started, SYNC_FILE_RANGE_WRITE)
                started = end
        if args.size > started:
            libc.sync_file_range(fd, started, args.size - started, SYNC_FILE_RANGE_WRITE)
        bucket = f"{args.dir}/{i % 256:02x}/{i:04x}"  # a new `ab/cd` bucket, as in a young store
        os.makedirs(bucket, exist_ok=True)
        os.rename(tmp, bucket + "/f")
        t0 = time.perf_counter()
        work.append(t0 - started_at)
        os.fsync(fd)
        waits.append(time.perf_counter() - t0)
        os.close(fd)
    shutil.rmtree(args.dir, ignore_errors=True)
    q = statistics.quantiles(waits, n=4)
    med = statistics.median(waits)
    print(f"fsync after the last byte, {args.size} B files, {args.files} files: "
          f"median {med * 1e6:.0f} us (quartiles {q[0] * 1e6:.0f}..{q[2] * 1e6:.0f})")
    print(f"  before it: create, write, start writeback, make the bucket, rename: median "
          f"{statistics.median(work) * 1e6:.0f} us (system calls from Python)")
    for sink in args.sink:
        print(f"  sink {sink:.0f} inst/s -> one-association ceiling with a durable answer: "
              f"{1 / (1 / sink + med):.0f} inst/s")


if __name__ == "__main__":
    main()
