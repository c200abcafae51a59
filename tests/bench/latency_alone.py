#!/usr/bin/env python3
"""errpulse's write-to-/metrics latency with no peer beside it. Run by hand,
never in CTest.

steady_bench.py measures errpulse and mtail side by side, as the ratio needs;
on a 2-core machine mtail's polls of 1,000 files every 250 ms then compete
with errpulse for the CPU, and errpulse's latency there is partly mtail's.
This measures the same writer shape with errpulse alone.

What: N files (--files, default 1,000) exist empty before errpulsed starts
(repository catalog and rules, start_at end, default settings; extra config
lines with --errpulse-set). After 2 s of warm-up writing, for --seconds
(default 4) the writer appends --rate lines/s (default 1,000) in --writes
writes/s (default 100), round-robin over the files, one write() per line
(per_tick lines go to per_tick consecutive files; with one file, one write
per tick); each tick's last line is a marker (a REST response with the
uncatalogued code 999999). /metrics is scraped every 3 ms in a thread; a
marker's latency runs from just before its write() to the first scrape that
shows the marker count reaching it. Prints p50, p90, p99 and max.

How:   python3 tests/bench/latency_alone.py [--errpulsed build/errpulsed]
       [--files 1000] [--rate 1000] [--writes 100] [--seconds 4]
Needs: an errpulsed build (Release for meaningful figures), python3 (stdlib).
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

import benchlib
import live_bench
from steady_bench import latencies as latencies_of


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errpulsed", default=os.path.join(benchlib.REPO, "build", "errpulsed"))
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--errpulse-set", action="append", default=[], metavar="KEY: VALUE")
    args = ap.parse_args()
    per_tick = args.rate // args.writes
    if per_tick < 1 or per_tick * args.writes != args.rate:
        raise SystemExit("latency_alone.py: --rate must be a multiple of --writes")
    work = tempfile.mkdtemp(prefix="errpulse-latency-")
    daemon = None
    try:
        os.makedirs(os.path.join(work, "a"))
        paths = [os.path.join(work, "a", f"f{i:04d}.log") for i in range(args.files)]
        for path in paths:
            open(path, "w").close()
        pool = live_bench.corpus_lines(work, 20000)
        port = benchlib.free_port()
        config = benchlib.write_config(work, port, [("app", [os.path.join(work, "a", "*.log")],
                                                      "end")], extra="\n".join(args.errpulse_set))
        daemon = benchlib.Daemon(args.errpulsed, config, port, work)
        daemon.wait_ready()
        time.sleep(1.0)  # every file opened and watched
        fds = [os.open(p, os.O_WRONLY | os.O_APPEND) for p in paths]
        state = {"line": 0, "file": 0}
        marks = []

        def write_for(seconds, mark):
            start = time.monotonic()
            tick = 0
            while time.monotonic() - start < seconds:
                lines = [pool[(state["line"] + j) % len(pool)] for j in range(per_tick)]
                state["line"] += per_tick
                if mark:
                    lines[-1] = live_bench.marker_line(len(marks) + 1)
                    marks.append(time.monotonic())
                if args.files == 1:
                    os.write(fds[0], b"".join(lines))
                else:
                    for line in lines:
                        os.write(fds[state["file"]], line)
                        state["file"] = (state["file"] + 1) % args.files
                tick += 1
                delay = start + tick / args.writes - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

        write_for(2.0, mark=False)
        base = live_bench.markers_counted(benchlib.http_get(port))
        scrapes, stop = [], threading.Event()

        def scraper():
            while not stop.is_set():
                tick = time.monotonic()
                counted = live_bench.markers_counted(benchlib.http_get(port)) - base
                scrapes.append((time.monotonic(), counted))
                time.sleep(max(0.0, tick + 0.003 - time.monotonic()))

        thread = threading.Thread(target=scraper)
        thread.start()
        write_for(args.seconds, mark=True)
        deadline = time.monotonic() + 15
        while (not scrapes or scrapes[-1][1] < len(marks)) and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        thread.join()
        latencies = sorted(latencies_of(marks, scrapes))
        if not latencies:
            raise SystemExit("latency_alone.py: no marker was seen counted within 15 s")

        def pct(p):
            return benchlib.percentile(latencies, p)

        print(f"errpulsed {args.errpulsed}; {args.files} file(s), {args.rate} lines/s in "
              f"{args.writes} writes/s; {len(latencies)}/{len(marks)} markers seen counted")
        print(f"write-to-/metrics latency: p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, "
              f"p99 {pct(99):.1f} ms, max {latencies[-1]:.1f} ms")
    finally:
        if daemon is not None:
            benchlib.stop_process(daemon.proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
