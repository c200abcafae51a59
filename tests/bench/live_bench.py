#!/usr/bin/env python3
"""errpulse's live-daemon benchmarks (issue 6), besides the throughput table of
tests/bench/bench.sh. Run by hand, never in CTest; each section prints its
figure and the machine's load average.

What:
  keepup   A writer process appends corpus lines (gen_corpus.py) to a tailed
           file at --rate lines/s (default 10,000) for --seconds (30), in
           batches every 10 ms; each batch ends with a marker line, a REST
           response with the uncatalogued code 999999, so errors_total{code=
           "999999"} = markers counted (lines are counted in order). /metrics
           is scraped every 3 ms; a marker's latency is from just before its
           write() to the first scrape that shows it counted (commit_interval
           25 ms is part of it). Prints p50/p90/p99/max, the rate reached, and
           the daemon's CPU% (of one core) while it ran, scrapes included;
           then writes the same lines again without scraping, for the CPU% of
           following the file alone; then its idle CPU (below): the shipped
           alert rules still evaluate windows holding the run's errors.
  files    --files (1,000) files under one glob, each appended to in 3 rounds
           (--lines-per-file 300 in all); peak RSS (VmHWM) once all are
           counted. Then idle CPU with those files open.
  idle     A daemon following 1 file of 1,000 lines (and, in keepup and
           files, those daemons afterwards): --idle-seconds (60) without
           writes or scrapes, 5 s after the last activity: CPU% (target
           <= 0.1%) from the threads' /proc/PID/task/*/schedstat
           (nanoseconds; other CPU figures come from /proc/PID/stat's 10 ms
           ticks) and context switches per second, which show wake-ups (busy
           polling).
  scrape   Enough sources (one small file each) that /metrics has ~2,000
           series (every catalogued code exists per source); --scrapes (200)
           GETs of /metrics, each on a new connection (Connection: close),
           timed from connect to the last byte with Python's http.client:
           median, p99, series count, body size, and the daemon's CPU per
           scrape.

How:   python3 tests/bench/live_bench.py [--errpulsed PATH] [--only keepup|idle|files|scrape]...
       [--rate N] [--seconds N] [--files N] [--idle-seconds N] [--scrapes N]
       Takes about 6 minutes with the defaults.
Needs: an errpulsed build (default build/errpulsed; Release for meaningful
       figures), python3 (stdlib only), Linux /proc.
"""
import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import load_average, median, percentile

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER_CODE = 999999
BATCH_SECONDS = 0.010


def parse_args():
    ap = argparse.ArgumentParser(description="errpulse live-daemon benchmarks")
    ap.add_argument("--errpulsed", default=os.path.join(benchlib.REPO, "build", "errpulsed"))
    ap.add_argument("--only", action="append", choices=["keepup", "idle", "files", "scrape"],
                    help="run only these sections (repeatable)")
    ap.add_argument("--rate", type=int, default=10_000, help="keepup: lines per second")
    ap.add_argument("--seconds", type=float, default=30, help="keepup: seconds of writing")
    ap.add_argument("--files", type=int, default=1000, help="files: how many files")
    ap.add_argument("--lines-per-file", type=int, default=300, help="files: lines appended to each")
    ap.add_argument("--idle-seconds", type=float, default=60, help="idle: measuring window")
    ap.add_argument("--series", type=int, default=2000, help="scrape: series wanted on /metrics")
    ap.add_argument("--scrapes", type=int, default=200, help="scrape: how many scrapes")
    return ap.parse_args()


def corpus_lines(work, count):
    path = os.path.join(work, "lines.log")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), str(count), path],
                   check=True)
    with open(path, "rb") as f:
        return f.read().splitlines(keepends=True)


def marker_line(k):
    return (f'2026-11-26T10:00:00.000+08:00 INFO  [bench-writer] c.a.l.RoomClient - rest response: '
            f'{{"ActionStatus":"FAIL","ErrorInfo":"bench marker {k}","ErrorCode":{MARKER_CODE},'
            f'"RequestId":"marker-{k}"}}\n').encode()


def writer(path, batches, start_at, conn):
    """The writer process: batch k (a list of lines) goes out at start_at + k x
    10 ms, in one write(); sends back the time just before each write."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    times = []
    for k, batch in enumerate(batches):
        delay = start_at + k * BATCH_SECONDS - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        data = b"".join(batch)
        times.append(time.monotonic())
        os.write(fd, data)
    os.close(fd)
    conn.send(times)
    conn.close()


MARKER_SERIES = re.compile(rb'^errpulse_errors_total\{[^}]*code="' + str(MARKER_CODE).encode()
                           + rb'"[^}]*\} (\S+)$', re.M)


def markers_counted(body):
    return sum(int(float(v)) for v in MARKER_SERIES.findall(body))


def idle_cpu(daemon, seconds, label):
    """CPU% and context switches per second of an idle daemon over `seconds`."""
    time.sleep(5)  # let the last commit and the poll after it pass
    load = load_average()
    pid = daemon.pid
    cpu0, switches0, t0 = benchlib.run_time_seconds(pid), context_switches(pid), time.monotonic()
    time.sleep(seconds)
    cpu1, switches1, t1 = benchlib.run_time_seconds(pid), context_switches(pid), time.monotonic()
    percent = (cpu1 - cpu0) / (t1 - t0) * 100
    print(f"idle CPU, {label}: {percent:.3f}% of a core over {t1 - t0:.0f} s "
          f"({(cpu1 - cpu0) * 1000:.1f} ms CPU; {(switches1 - switches0) / (t1 - t0):.1f} "
          f"context switches/s, all threads)  [target <= 0.1%]  load {load}")


def context_switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if "ctxt_switches:" in line:  # voluntary and nonvoluntary
                    total += int(line.split()[1])
    return total


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def start_writer(path, batches):
    """Starts the writer process 0.5 s from now; returns (process, pipe, start)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    start_at = time.monotonic() + 0.5
    proc = multiprocessing.get_context("fork").Process(
        target=writer, args=(path, batches, start_at, send))
    proc.start()
    time.sleep(max(0.0, start_at - time.monotonic() - 0.05))
    return proc, receive


class CpuWindow:
    """The daemon's CPU (process and main thread) between start and stop."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.cpu0, self.main0, self.t0 = daemon.cpu(), daemon.pipeline_cpu(), time.monotonic()
        self.text = None

    def stop(self):
        d, seconds = self.daemon, time.monotonic() - self.t0
        self.text = (f"{(d.cpu() - self.cpu0) / seconds * 100:.1f}% of a core (main thread "
                     f"{(d.pipeline_cpu() - self.main0) / seconds * 100:.1f}%)")


def keepup(args, work):
    per_batch = max(2, round(args.rate * BATCH_SECONDS))
    batch_count = int(args.seconds / BATCH_SECONDS)
    background = corpus_lines(work, batch_count * (per_batch - 1))
    batches = [background[k * (per_batch - 1):(k + 1) * (per_batch - 1)] + [marker_line(k + 1)]
               for k in range(batch_count)]
    path = os.path.join(work, "live.log")
    open(path, "w").close()
    port = benchlib.free_port()
    config = benchlib.write_config(work, port, [("live", [path], "beginning")])
    with benchlib.Daemon(args.errpulsed, config, port, work) as daemon:
        daemon.wait_ready()
        load = load_average()
        proc, receive = start_writer(path, batches)
        cpu = CpuWindow(daemon)
        scrapes = []  # (time the response was read, markers counted)
        counted = 0
        while counted < batch_count:
            tick = time.monotonic()
            counted = markers_counted(benchlib.http_get(port))
            scrapes.append((time.monotonic(), counted))
            if cpu.text is None and not proc.is_alive():
                cpu.stop()
            if time.monotonic() - cpu.t0 > args.seconds + 30:
                raise RuntimeError(f"only {counted} of {batch_count} markers counted")
            time.sleep(max(0.0, tick + 0.003 - time.monotonic()))
        write_times = receive.recv()
        proc.join()
        if cpu.text is None:
            cpu.stop()
        lines = benchlib.lines_total(benchlib.http_get(port), "live")
        latencies, i = [], 0
        for k, written in enumerate(write_times, start=1):
            while scrapes[i][1] < k:
                i += 1
            latencies.append((scrapes[i][0] - written) * 1000)
        span = write_times[-1] - write_times[0] + BATCH_SECONDS
        interval = (scrapes[-1][0] - scrapes[0][0]) / max(1, len(scrapes) - 1) * 1000
        print(f"keep-up: {batch_count * per_batch:,} lines ({batch_count} batches of {per_batch}) "
              f"in {span:.1f} s = {batch_count * per_batch / span:,.0f} lines/s; "
              f"{lines:,} counted  load {load}")
        print(f"  write-to-/metrics latency of {len(latencies)} markers: "
              f"p50 {percentile(latencies, 50):.1f} ms, p90 {percentile(latencies, 90):.1f} ms, "
              f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms  "
              f"[target p99 <= 50 ms]  ({len(scrapes)} scrapes, one every {interval:.1f} ms)")
        print(f"  daemon CPU while writing, scraped every 3 ms: {cpu.text}")

        # The same again without the scraper: what following the file costs.
        load = load_average()
        proc, receive = start_writer(path, batches)
        cpu = CpuWindow(daemon)
        receive.recv()
        proc.join()
        cpu.stop()
        wait_for(lambda: benchlib.lines_total(benchlib.http_get(port), "live") >= 2 * lines,
                 30, "the second pass counted")
        print(f"  daemon CPU while writing, no scrapes: {cpu.text}  load {load}")
        idle_cpu(daemon, args.idle_seconds, "1 file, after the keep-up run")


def idle_one_file(args, work):
    path = os.path.join(work, "quiet.log")
    with open(path, "wb") as f:
        f.write(b"".join(corpus_lines(work, 1000)))
    port = benchlib.free_port()
    config = benchlib.write_config(work, port, [("quiet", [path], "beginning")])
    with benchlib.Daemon(args.errpulsed, config, port, work) as daemon:
        daemon.wait_ready()
        wait_for(lambda: benchlib.lines_total(benchlib.http_get(port), "quiet") >= 1000, 30,
                 "the file counted")
        idle_cpu(daemon, args.idle_seconds, "1 file")


def many_files(args, work):
    directory = os.path.join(work, "many")
    os.makedirs(directory)
    paths = [os.path.join(directory, f"room-{i:04d}.log") for i in range(args.files)]
    lines = corpus_lines(work, args.lines_per_file * 3)
    for p in paths:
        open(p, "w").close()
    port = benchlib.free_port()
    config = benchlib.write_config(work, port, [("many", [os.path.join(directory, "*.log")],
                                                 "beginning")])
    with benchlib.Daemon(args.errpulsed, config, port, work) as daemon:
        daemon.wait_ready()
        wait_for(lambda: benchlib.metric_sum(benchlib.http_get(port), "errpulse_files_open",
                                             source="many") >= args.files, 30, "every file open")
        load = load_average()
        written = 0
        per_round = args.lines_per_file // 3
        for r in range(3):
            for n, p in enumerate(paths):
                start = ((n + r) * per_round) % (len(lines) - per_round)
                with open(p, "ab") as f:
                    f.write(b"".join(lines[start:start + per_round]))
                written += per_round
            time.sleep(0.2)
        wait_for(lambda: benchlib.lines_total(benchlib.http_get(port), "many") >= written, 60,
                 "every line counted")
        body = benchlib.http_get(port)
        print(f"{args.files} files: {written:,} lines appended and counted; peak RSS (VmHWM) "
              f"{daemon.peak_rss_kib() / 1024:.1f} MiB, RSS now "
              f"{benchlib.status_kib(daemon.pid, 'VmRSS') / 1024:.1f} MiB, files open "
              f"{benchlib.metric_sum(body, 'errpulse_files_open', source='many'):.0f}  "
              f"[target <= 32 MiB]  load {load}")
        idle_cpu(daemon, args.idle_seconds, f"{args.files} files")


def scrape(args, work):
    codes = sum(1 for line in open(os.path.join(benchlib.REPO, "data", "catalog.yaml"))
                if re.match(r"\s*- code: -?\d+", line))
    sources = max(1, round((args.series - codes) / (codes + 11)))  # see the metrics reference
    directory = os.path.join(work, "series")
    os.makedirs(directory)
    lines = corpus_lines(work, 2000)
    specs = []
    for s in range(sources):
        path = os.path.join(directory, f"source-{s:02d}.log")
        with open(path, "wb") as f:
            f.write(b"".join(lines[s * 100:(s + 1) * 100]))
        specs.append((f"source{s:02d}", [path], "beginning"))
    port = benchlib.free_port()
    config = benchlib.write_config(work, port, specs)
    with benchlib.Daemon(args.errpulsed, config, port, work) as daemon:
        daemon.wait_ready()
        wait_for(lambda: benchlib.metric_sum(benchlib.http_get(port), "errpulse_lines_total")
                 >= 100 * sources, 30, "every source read")
        body = benchlib.http_get(port)
        series = len(benchlib.parse_metrics(body))
        load = load_average()
        cpu0 = daemon.cpu()
        times = []
        for _ in range(args.scrapes):
            start = time.perf_counter()
            benchlib.http_get(port)
            times.append((time.perf_counter() - start) * 1000)
        cpu1 = daemon.cpu()
        print(f"/metrics with {series:,} series ({sources} sources, {len(body) / 1024:.0f} KiB): "
              f"{args.scrapes} scrapes, new connection each: median {median(times):.2f} ms, "
              f"p99 {percentile(times, 99):.2f} ms, max {max(times):.2f} ms; daemon CPU "
              f"{(cpu1 - cpu0) / args.scrapes * 1000:.2f} ms per scrape  [target <= 5 ms]  "
              f"load {load}")


def main():
    args = parse_args()
    if not os.access(args.errpulsed, os.X_OK):
        sys.exit(f"live_bench.py: no errpulsed at {args.errpulsed} (build it or pass --errpulsed)")
    print(f"errpulsed: {args.errpulsed}; load before: {load_average()}", flush=True)
    sections = [("keepup", keepup), ("idle", idle_one_file), ("files", many_files),
                ("scrape", scrape)]
    for name, run in sections:
        if args.only and name not in args.only:
            continue
        work = tempfile.mkdtemp(prefix=f"errpulse-live-{name}-")
        try:
            run(args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        sys.stdout.flush()
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    main()
