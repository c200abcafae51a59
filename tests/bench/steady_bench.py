#!/usr/bin/env python3
"""errpulse and mtail side by side in the steady state: both follow a trickle of
lines in one run, so that the ratio between them is measured on the same
(shared, noisy) machine at the same time. Run by hand, never in CTest.

What: for each case, rate (--rates: 100, 1,000, 10,000, 100,000 lines/s) x
writes per second (--writes: 100, 10) x layout (--layouts: 1 file, 1,000
files), a fresh errpulsed and a fresh mtail each follow their own copy of the
same files (errpulse dir A, mtail dir B; both with their default settings: the
repository's catalog and rules, start_at end, commit_interval 25 ms; mtail
with tests/bench/mtail/errpulse_equiv.mtail and its default 250 ms poll).
The files exist, with a few corpus lines, before the daemons start; one marker
line is then written to every file and the case waits until both daemons have
counted all of them (so both follow every file). ONE writer process then
appends corpus lines (gen_corpus.py) to both copies: one write() per file
touched per tick, identical bytes; with N files the tick's lines go round-robin
over the files (at 1,000 lines/s, 100 writes/s and 1,000 files, each tick
appends one line to each of 10 files), so every file gets an equal share.
  warm-up   --warmup-seconds (2) of writing, not measured.
  phase 1   --seconds (10), no scraping, no strace: per daemon CPU % of one
            core (all threads' /proc/PID/task/*/schedstat, ns), voluntary +
            involuntary context switches per second (all threads'
            /proc/PID/task/*/status), bytes written to disk per second
            (/proc/PID/io write_bytes: errpulse's state commits to state_dir;
            the temporary directory is on the disk, not tmpfs, where it
            would read 0). Ratio = mtail CPU / errpulse CPU. Also the rate the
            writer really achieved (the Python writer may fall short at
            100,000 lines/s over 1,000 files: the table shows it).
  phase 2   --strace-seconds (6): `strace -f -c -e trace=fsync,fdatasync -p
            PID` on each daemon while writing goes on, stopped with SIGINT:
            fsync + fdatasync calls per second. A window of its own: strace
            stops the daemons at every syscall, so its cost stays out of
            phase 1.
  phase 3   --latency-seconds (default: 3 s at 100 writes/s, 10 s at 10, i.e.
            >= 100 markers): every tick's last line is a marker (a REST
            response with the uncatalogued code 999999, live_bench.py's
            marker_line); errpulse's /metrics is scraped every 3 ms, mtail's
            /json every ~25 ms from a process of its own (so that a slow
            /json does not delay errpulse's scrapes); a marker's latency runs
            from just before the tick's first write() to the first scrape
            that shows it counted.
            Reported: errpulse p99 (and mtail's p99, which is set by
            its 250 ms poll). With many files, markers in different files
            could in principle be counted out of order; the count reaching k
            is taken as marker k counted.
  check     After writing stops: errpulse's errpulse_lines_total equals the
            lines written (the warm-up markers plus the writer's lines; the
            lines there before the start are skipped by start_at: end); mtail's
            mtail_lines_total likewise. A mismatch prints a WARNING and marks
            the row.
  idle      Once per layout (in that layout's first case, before the writer
            starts, 3 s after the warm-up markers): each daemon following its
            files with no writes for --idle-seconds (20): CPU % and context
            switches per second.
Prints a Markdown table (one row per case), the idle figures, the load average
at the start and the end, the errpulsed binary and its --version.

How:   python3 tests/bench/steady_bench.py [--errpulsed PATH] [--rates 100,1000]
       [--writes 100,10] [--layouts 1,1000] [--seconds 10] [--strace-seconds 6]
       [--idle-seconds 20] [--json OUT] [--errpulse-set 'commit_interval: 50ms']
       The full matrix (16 cases) takes about 12 minutes (11.7 on 2 cores).
Needs: an errpulsed build (default build/errpulsed; Release for meaningful
       figures), mtail (Debian's package), strace, python3 (stdlib only),
       Linux /proc, root or ptrace rights over the daemons (strace -p), a
       couple of GB free under the temporary directory at 100,000 lines/s
       (each case's files are removed when it ends).
"""
import argparse
import json
import multiprocessing
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import benchlib
import live_bench
from benchlib import load_average, percentile

HERE = os.path.dirname(os.path.abspath(__file__))
MTAIL_PROGS = os.path.join(HERE, "mtail")
SOURCE = "steady"
POOL_LINES = 100_000   # corpus lines, cycled through
PRE_LINES = 3          # lines in each file before the daemons start
SCRAPE_SECONDS = 0.003
MTAIL_SCRAPE_SECONDS = 0.025
PLAIN, MARKERS, STOP = 0, 1, 2


def comma_ints(text):
    return [int(x) for x in text.replace("_", "").split(",") if x.strip()]


def parse_args():
    ap = argparse.ArgumentParser(description="errpulse and mtail in the steady state, side by side")
    ap.add_argument("--errpulsed", default=os.path.join(benchlib.REPO, "build", "errpulsed"))
    ap.add_argument("--rates", type=comma_ints, default=[100, 1000, 10000, 100000],
                    help="lines per second, comma list (default 100,1000,10000,100000)")
    ap.add_argument("--writes", type=comma_ints, default=[100, 10],
                    help="writes (ticks) per second, comma list (default 100,10)")
    ap.add_argument("--layouts", type=comma_ints, default=[1, 1000],
                    help="numbers of files, comma list (default 1,1000)")
    ap.add_argument("--seconds", type=float, default=10, help="phase 1 window (default 10)")
    ap.add_argument("--strace-seconds", type=float, default=6, help="phase 2 window (default 6)")
    ap.add_argument("--latency-seconds", type=float,
                    help="phase 3 window (default: max(3, 100 / writes per second))")
    ap.add_argument("--idle-seconds", type=float, default=20,
                    help="idle window, once per layout (default 20; 0 skips it)")
    ap.add_argument("--warmup-seconds", type=float, default=2,
                    help="writing before phase 1 (default 2)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--errpulse-set", action="append", default=[], metavar="KEY: VALUE",
                    help="a top-level line added to errpulse's config, e.g. "
                         "'commit_interval: 50ms' (repeatable; default: none, the defaults)")
    return ap.parse_args()


# ---------------------------------------------------------------- the writer

def writer_main(pairs, pool, per_tick, writes, ctl, written, conn):
    """The writer process. Tick k is due at start + k / writes; its per_tick
    lines (pool, cycled) go round-robin over the files (global line g to file
    g % N), one write() per file touched, to both copies (which copy first
    alternates by tick). In MARKERS mode the tick's last line is a marker.
    Stops when ctl is STOP; sends back the marker ticks' write times."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * len(pairs) + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fds = [(os.open(a, os.O_WRONLY | os.O_APPEND), os.open(b, os.O_WRONLY | os.O_APPEND))
           for a, b in pairs]
    n, size, period = len(fds), len(pool), 1.0 / writes
    g = k = markers = rebased = 0
    marker_times = []
    start = time.monotonic()
    while True:
        due = start + k * period
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        elif now - due > 1.0:  # more than a second behind: drop the debt, no burst
            start += now - due
            rebased += 1
        mode = ctl.value
        if mode == STOP:
            break
        s = g % size
        lines = pool[s:s + per_tick] if s + per_tick <= size else \
            pool[s:] + pool[:per_tick - (size - s)]
        if mode == MARKERS:
            markers += 1
            lines[-1] = live_bench.marker_line(markers)
        if n == 1:
            chunks = [(fds[0], b"".join(lines))]
        elif per_tick <= n:  # one line for each of per_tick files
            first = g % n
            chunks = [(fds[(first + j) % n], lines[j]) for j in range(per_tick)]
        else:
            first = g % n
            chunks = [(fds[(first + j) % n], b"".join(lines[j::n])) for j in range(n)]
        t = time.monotonic()
        if k & 1:
            for (a, b), data in chunks:
                os.write(b, data)
                os.write(a, data)
        else:
            for (a, b), data in chunks:
                os.write(a, data)
                os.write(b, data)
        if mode == MARKERS:
            marker_times.append(t)
        g += per_tick
        k += 1
        written.value = g
    for a, b in fds:
        os.close(a)
        os.close(b)
    conn.send({"marker_times": marker_times, "lines": g, "ticks": k, "rebased": rebased})
    conn.close()


class Writer:
    def __init__(self, pairs, pool, per_tick, writes):
        ctx = multiprocessing.get_context("fork")
        self.ctl = ctx.Value("i", PLAIN, lock=False)
        self.written = ctx.Value("q", 0, lock=False)
        self.receive, send = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=writer_main,
                                args=(pairs, pool, per_tick, writes, self.ctl, self.written, send))
        self.proc.start()
        send.close()
        self.result = None

    def lines(self):
        return self.written.value

    def finish(self, timeout=30):
        """Stops the writer; returns what it sent back."""
        if self.result is None and self.proc.is_alive():
            self.ctl.value = STOP
            if self.receive.poll(timeout):
                self.result = self.receive.recv()
            self.proc.join(5)
        self.kill()
        if self.result is None:
            raise RuntimeError("the writer process sent nothing back")
        return self.result

    def kill(self):
        if self.proc.is_alive():
            self.ctl.value = STOP
            self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


# ---------------------------------------------------------------- the daemons

class Mtail:
    """mtail following `logs` (a glob) with tests/bench/mtail, on 127.0.0.1:port,
    its defaults otherwise; --logtostderr (to directory/mtail.log) so that it
    leaves no glog files in /tmp."""

    def __init__(self, logs, port, directory):
        self.port = port
        self.log_path = os.path.join(directory, "mtail.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                ["mtail", "--progs", MTAIL_PROGS, "--logs", logs, "--port", str(port),
                 "--address", "127.0.0.1", "--logtostderr"],
                stdout=log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def check_alive(self):
        if self.proc.poll() is not None:
            with open(self.log_path, errors="replace") as f:
                tail = f.read()[-2000:]
            raise RuntimeError(f"mtail exited with {self.proc.returncode}:\n{tail}")

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                benchlib.http_get(self.port, timeout=1.0)
                return
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mtail not ready after {timeout}s; see {self.log_path}")
                time.sleep(0.02)

    def files_tailed(self):
        with open(self.log_path, errors="replace") as f:
            return f.read().count("] Tailing ")

    def stop(self):
        return benchlib.stop_process(self.proc)


MTAIL_LINES = re.compile(rb"^mtail_lines_total (\S+)$", re.M)


def mtail_lines(port):
    m = MTAIL_LINES.search(benchlib.http_get(port))
    return int(float(m.group(1))) if m else 0


def mtail_markers(port):
    """errpulse_errors_total{code="999999"} of the mtail program, from /json
    (the programs' metrics only: smaller than /metrics)."""
    total = 0
    for metric in json.loads(benchlib.http_get(port, "/json")):
        if metric.get("Name") == "errpulse_errors_total":
            for lv in metric.get("LabelValues", []):
                if lv.get("Labels") == [str(live_bench.MARKER_CODE)]:
                    total += int(lv["Value"]["Value"])
    return total


def errpulse_markers(port):
    return live_bench.markers_counted(benchlib.http_get(port))


def errpulse_lines(port):
    return benchlib.lines_total(benchlib.http_get(port), SOURCE)


def write_bytes(pid):
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


def snapshot(pid):
    return {"t": time.monotonic(), "cpu": benchlib.run_time_seconds(pid),
            "ctx": live_bench.context_switches(pid), "wbytes": write_bytes(pid)}


def rates_between(a, b):
    seconds = b["t"] - a["t"]
    return {"cpu_pct": (b["cpu"] - a["cpu"]) / seconds * 100,
            "ctx_per_s": (b["ctx"] - a["ctx"]) / seconds,
            "write_kib_per_s": (b["wbytes"] - a["wbytes"]) / seconds / 1024,
            "seconds": seconds}


def wait_for(predicate, timeout, what, daemons=()):
    deadline = time.monotonic() + timeout
    while True:
        for d in daemons:
            d.check_alive()
        if predicate():
            return True
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


# ---------------------------------------------------------------- strace

class Strace:
    """strace -f -c -e trace=fsync,fdatasync attached to a running process."""

    def __init__(self, pid, directory, name):
        self.out = os.path.join(directory, f"strace-{name}.txt")
        self.err = os.path.join(directory, f"strace-{name}.err")
        with open(self.err, "w") as err:
            self.proc = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync",
                                          "-o", self.out, "-p", str(pid)],
                                         stdout=subprocess.DEVNULL, stderr=err)

    def attached(self):
        with open(self.err, errors="replace") as f:
            return " attached" in f.read()  # "Process N attached [with M threads]"

    def stop(self):
        """SIGINT (strace detaches and writes its summary); {syscall: calls}."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        calls = {}
        if os.path.exists(self.out):
            with open(self.out, errors="replace") as f:
                for line in f:
                    fields = line.split()
                    if (len(fields) >= 5 and fields[-1] in ("fsync", "fdatasync")
                            and fields[3].isdigit()):
                        calls[fields[-1]] = int(fields[3])
        return calls


# ---------------------------------------------------------------- one case

def make_files(directory, count, pre):
    os.makedirs(directory)
    paths = [os.path.join(directory, f"room-{i:04d}.log") for i in range(count)]
    for p in paths:
        with open(p, "wb") as f:
            f.write(pre)
    return paths


def mtail_scrape_main(port, base, stop, counted, conn):
    """mtail's marker count every MTAIL_SCRAPE_SECONDS until `stop` is set;
    sends back [(time, markers counted since `base`)]."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    scrapes = []
    while not stop.is_set():
        tick = time.monotonic()
        count = mtail_markers(port) - base
        scrapes.append((time.monotonic(), count))
        counted.value = count
        time.sleep(max(0.0, tick + MTAIL_SCRAPE_SECONDS - time.monotonic()))
    conn.send(scrapes)
    conn.close()


class MtailScraper:
    """mtail's markers scraped in a process of its own (see phase 3)."""

    def __init__(self, port):
        self.stop = multiprocessing.Event()
        self.counted_value = multiprocessing.Value("q", 0)
        self.recv, send = multiprocessing.Pipe(duplex=False)
        self.proc = multiprocessing.Process(
            target=mtail_scrape_main,
            args=(port, mtail_markers(port), self.stop, self.counted_value, send), daemon=True)
        self.proc.start()

    def counted(self):
        return self.counted_value.value

    def finish(self):
        self.stop.set()
        scrapes = self.recv.recv()
        self.proc.join(10)
        return scrapes


def latencies(marker_times, scrapes):
    """Per marker (in write order), ms from its write to the first scrape
    [(time, markers counted)] that shows it counted; stops at the first marker
    never seen counted."""
    out, i = [], 0
    for k, written in enumerate(marker_times, start=1):
        while i < len(scrapes) and scrapes[i][1] < k:
            i += 1
        if i == len(scrapes):
            break
        out.append((scrapes[i][0] - written) * 1000)
    return out


def run_case(args, pool, rate, writes, nfiles, idle, cleanup):
    per_tick = rate // writes
    if per_tick < 1 or per_tick * writes != rate:
        raise SystemExit(f"steady_bench.py: {rate} lines/s is not a multiple of {writes} writes/s")
    case = {"rate": rate, "writes": writes, "files": nfiles, "per_tick": per_tick,
            "load_start": load_average()}
    work = tempfile.mkdtemp(prefix="errpulse-steady-")
    cleanup.append(lambda: shutil.rmtree(work, ignore_errors=True))
    pre = b"".join(pool[:PRE_LINES])
    paths_a = make_files(os.path.join(work, "a"), nfiles, pre)
    paths_b = make_files(os.path.join(work, "b"), nfiles, pre)
    port_e, port_m = benchlib.free_port(), benchlib.free_port()
    while port_m == port_e:
        port_m = benchlib.free_port()
    config = benchlib.write_config(work, port_e, [(SOURCE, [os.path.join(work, "a", "*.log")],
                                                   "end")],  # end: errpulse's default
                                   extra="\n".join(args.errpulse_set))
    ep = benchlib.Daemon(args.errpulsed, config, port_e, work)
    cleanup.append(ep.stop)
    mt = Mtail(os.path.join(work, "b", "*.log"), port_m, work)
    cleanup.append(mt.stop)
    both = (ep, mt)
    ep.wait_ready()
    mt.wait_ready()
    wait_for(lambda: benchlib.metric_sum(benchlib.http_get(port_e), "errpulse_files_open",
                                         source=SOURCE) >= nfiles, 60,
             "errpulse to open every file", both)
    wait_for(lambda: mt.files_tailed() >= nfiles, 60, "mtail to tail every file", both)

    # One marker in every file; both daemons must count them all.
    for i, (a, b) in enumerate(zip(paths_a, paths_b)):
        line = live_bench.marker_line(f"warm-{i}")
        for p in (a, b):
            with open(p, "ab") as f:
                f.write(line)
    wait_for(lambda: errpulse_markers(port_e) >= nfiles and mtail_markers(port_m) >= nfiles, 60,
             "both daemons to count the warm-up marker of every file", both)
    case["mtail_lines_at_warmup"] = mtail_lines(port_m)

    if idle:
        time.sleep(3)
        s0 = {d: snapshot(d.pid) for d in both}
        time.sleep(args.idle_seconds)
        s1 = {d: snapshot(d.pid) for d in both}
        case["idle"] = {"errpulse": rates_between(s0[ep], s1[ep]),
                        "mtail": rates_between(s0[mt], s1[mt])}
        print(f"  idle, {nfiles} file(s), {args.idle_seconds:g} s: errpulse "
              f"{case['idle']['errpulse']['cpu_pct']:.3f}% CPU, "
              f"{case['idle']['errpulse']['ctx_per_s']:.1f} ctx/s; mtail "
              f"{case['idle']['mtail']['cpu_pct']:.3f}% CPU, "
              f"{case['idle']['mtail']['ctx_per_s']:.1f} ctx/s", flush=True)

    writer = Writer(list(zip(paths_a, paths_b)), pool, per_tick, writes)
    cleanup.append(writer.kill)
    time.sleep(args.warmup_seconds)

    # Phase 1: CPU, context switches, disk writes; nothing else touches the daemons.
    for d in both:
        d.check_alive()
    w0 = (time.monotonic(), writer.lines())
    s0 = {d: snapshot(d.pid) for d in both}
    time.sleep(args.seconds)
    s1 = {d: snapshot(d.pid) for d in both}
    w1 = (time.monotonic(), writer.lines())
    case["written_per_s"] = (w1[1] - w0[1]) / (w1[0] - w0[0])
    case["errpulse"] = rates_between(s0[ep], s1[ep])
    case["mtail"] = rates_between(s0[mt], s1[mt])
    # How far behind each one was at the end of phase 1 (lines), from one scrape each.
    counted_e, counted_m = errpulse_lines(port_e), mtail_lines(port_m)
    written = nfiles + writer.lines()
    case["errpulse"]["behind_lines"] = written - counted_e
    case["mtail"]["behind_lines"] = written - counted_m

    # Phase 2: fsync and fdatasync calls under strace.
    traces = {d: Strace(d.pid, work, name) for d, name in ((ep, "errpulse"), (mt, "mtail"))}
    for t in traces.values():
        cleanup.append(t.stop)
    wait_for(lambda: all(t.attached() for t in traces.values()), 10, "strace to attach")
    t0 = time.monotonic()
    time.sleep(args.strace_seconds)
    calls = {d: t.stop() for d, t in traces.items()}
    seconds = time.monotonic() - t0
    for d, key in ((ep, "errpulse"), (mt, "mtail")):
        case[key]["fsync_calls"] = calls[d]
        case[key]["fsync_per_s"] = sum(calls[d].values()) / seconds
    case["strace_seconds"] = seconds
    time.sleep(0.5)  # let strace's delay drain before latencies are measured

    # Phase 3: markers, /metrics scraped every 3 ms (mtail's /json every ~25 ms,
    # from a process of its own: a slow /json must not delay errpulse's scrapes
    # and show up as errpulse's latency).
    markers_e0 = errpulse_markers(port_e)
    mtail_scraper = MtailScraper(port_m)
    scrapes_e = []
    phase3 = args.latency_seconds or max(3.0, 100.0 / writes)
    writer.ctl.value = MARKERS
    started = time.monotonic()
    result, stop_at = None, None
    while True:
        tick = time.monotonic()
        count = errpulse_markers(port_e) - markers_e0
        scrapes_e.append((time.monotonic(), count))
        if result is None and tick - started >= phase3:
            result = writer.finish()
            stop_at = time.monotonic()
        if result is not None:
            total = len(result["marker_times"])
            done_e = scrapes_e[-1][1] >= total
            if done_e and mtail_scraper.counted() >= total or time.monotonic() - stop_at > 15:
                break
        time.sleep(max(0.0, tick + SCRAPE_SECONDS - time.monotonic()))
    scrapes_m = mtail_scraper.finish()
    total = len(result["marker_times"])
    lat_e = latencies(result["marker_times"], scrapes_e)
    lat_m = latencies(result["marker_times"], scrapes_m)
    case["markers"] = total
    case["writer_rebased"] = result["rebased"]
    case["errpulse"]["latency_ms"] = summary(lat_e, total)
    case["mtail"]["latency_ms"] = summary(lat_m, total)
    case["scrape_interval_ms"] = ((scrapes_e[-1][0] - scrapes_e[0][0]) / max(1, len(scrapes_e) - 1)
                                  * 1000)

    # Exactness: every line written counted.
    case["lines_written"] = nfiles + result["lines"]
    try:
        wait_for(lambda: errpulse_lines(port_e) >= case["lines_written"], 30,
                 "errpulse to count every line", both)
    except RuntimeError:
        pass
    try:
        wait_for(lambda: mtail_lines(port_m) >= case["lines_written"], 60,
                 "mtail to count every line", both)
    except RuntimeError:
        pass
    case["errpulse"]["lines"] = errpulse_lines(port_e)
    case["mtail"]["lines"] = mtail_lines(port_m)
    case["errpulse"]["exact"] = case["errpulse"]["lines"] == case["lines_written"]
    case["mtail"]["exact"] = case["mtail"]["lines"] == case["lines_written"]
    for key in ("errpulse", "mtail"):
        if not case[key]["exact"]:
            print(f"  WARNING: {key} counted {case[key]['lines']:,} lines, "
                  f"{case['lines_written']:,} were written", flush=True)
    case["load_end"] = load_average()
    return case


def summary(values, expected):
    if not values:
        return {"count": 0, "expected": expected}
    return {"count": len(values), "expected": expected, "p50": percentile(values, 50),
            "p99": percentile(values, 99), "max": max(values)}


# ---------------------------------------------------------------- the table

def pct(x):
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def p99_text(lat):
    if not lat.get("count"):
        return "n/a"
    text = f"{lat['p99']:.1f}"
    return text if lat["count"] == lat["expected"] else f"{text} ({lat['count']}/{lat['expected']})"


def print_table(cases):
    head = ["rate", "writes/s", "files", "written lines/s", "errpulse CPU%", "mtail CPU%",
            "mtail÷errpulse", "ctx/s errpulse", "ctx/s mtail", "fsync/s errpulse",
            "fsync/s mtail", "write KiB/s errpulse", "write KiB/s mtail", "errpulse p99 ms",
            "mtail p99 ms", "behind errpulse / mtail", "exact", "load1"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for c in cases:
        e, m = c["errpulse"], c["mtail"]
        got = f"{c['written_per_s']:,.0f}"
        if c["written_per_s"] < 0.97 * c["rate"]:
            got += " (short!)"
        ratio = m["cpu_pct"] / e["cpu_pct"] if e["cpu_pct"] > 0 else float("inf")
        ratio_text = f"{ratio:.1f}"
        if m["behind_lines"] > c["rate"]:  # mtail could not keep up: its CPU is what it managed
            ratio_text = "≥ " + ratio_text
        exact = "yes" if e["exact"] else f"NO ({e['lines']:,}/{c['lines_written']:,})"
        if not m["exact"]:
            exact += f"; mtail {m['lines']:,}"
        row = [f"{c['rate']:,}", str(c["writes"]), f"{c['files']:,}", got, pct(e["cpu_pct"]),
               pct(m["cpu_pct"]), ratio_text, f"{e['ctx_per_s']:.0f}", f"{m['ctx_per_s']:.0f}",
               f"{e['fsync_per_s']:.1f}", f"{m['fsync_per_s']:.1f}",
               f"{e['write_kib_per_s']:.1f}", f"{m['write_kib_per_s']:.1f}",
               p99_text(e["latency_ms"]), p99_text(m["latency_ms"]),
               f"{e['behind_lines']:,} / {m['behind_lines']:,}", exact,
               c["load_start"].split()[0]]
        print("| " + " | ".join(row) + " |")


def errpulsed_version(binary):
    try:
        r = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip() or f"(--version exited {r.returncode})"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"(--version failed: {e})"


def main():
    args = parse_args()
    if not os.access(args.errpulsed, os.X_OK):
        sys.exit(f"steady_bench.py: no errpulsed at {args.errpulsed} (build it or pass --errpulsed)")
    for tool in ("mtail", "strace"):
        if not shutil.which(tool):
            sys.exit(f"steady_bench.py: {tool} is not installed (apt-get install {tool})")
    # SIGTERM (e.g. from timeout) unwinds like Ctrl-C, through every finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    version = errpulsed_version(args.errpulsed)
    load_start = load_average()
    print(f"errpulsed: {os.path.abspath(args.errpulsed)} ({version})")
    for line in args.errpulse_set:
        print(f"errpulse config: {line}")
    print(f"mtail: {subprocess.run(['mtail', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"load average at start: {load_start}", flush=True)

    pool_dir = tempfile.mkdtemp(prefix="errpulse-steady-pool-")
    try:
        pool = live_bench.corpus_lines(pool_dir, POOL_LINES)
    finally:
        shutil.rmtree(pool_dir, ignore_errors=True)

    cases, idle = [], []
    try:
        for nfiles in args.layouts:
            first = args.idle_seconds > 0
            for rate in args.rates:
                for writes in args.writes:
                    print(f"case: {rate:,} lines/s, {writes} writes/s, {nfiles:,} file(s)",
                          flush=True)
                    cleanup = []
                    try:
                        case = run_case(args, pool, rate, writes, nfiles, first, cleanup)
                    finally:
                        benchlib.run_cleanup(cleanup)
                    if first:
                        idle.append({"files": nfiles, **case["idle"]})
                        first = False
                    cases.append(case)
                    e, m = case["errpulse"], case["mtail"]
                    print(f"  written {case['written_per_s']:,.0f} lines/s; CPU errpulse "
                          f"{pct(e['cpu_pct'])}%, mtail {pct(m['cpu_pct'])}%; behind at the end "
                          f"of phase 1: errpulse {e['behind_lines']:,}, mtail "
                          f"{m['behind_lines']:,} lines; fsync/s {e['fsync_per_s']:.1f} / "
                          f"{m['fsync_per_s']:.1f}; errpulse p99 {p99_text(e['latency_ms'])} ms "
                          f"(p50 {e['latency_ms'].get('p50', float('nan')):.1f}), mtail p99 "
                          f"{p99_text(m['latency_ms'])} ms  load {case['load_end']}", flush=True)
    finally:
        load_end = load_average()
        runtime = time.monotonic() - began
        if cases:
            print()
            print_table(cases)
            print()
            print(f"(phase 1 {args.seconds:g} s per case after {args.warmup_seconds:g} s of "
                  f"warm-up; CPU% of one core, all threads; ratio = mtail CPU / errpulse CPU; "
                  f"fsync/s = fsync + fdatasync under strace for ~{args.strace_seconds:g} s; "
                  f"write KiB/s = /proc/PID/io write_bytes; p99 = write-to-/metrics latency of "
                  f"the phase 3 markers, (n/m) when only n of m were seen counted, n/a when "
                  f"none was within 15 s; behind = lines written but not yet counted at the end "
                  f"of phase 1; ≥ ratio: mtail was more than a second of lines behind, so its "
                  f"CPU is what it managed, not what keeping up would cost; 'short!': the "
                  f"Python writer did not reach the rate)")
        for i in idle:
            print(f"idle, {i['files']:,} file(s), {args.idle_seconds:g} s: errpulse "
                  f"{i['errpulse']['cpu_pct']:.3f}% CPU, {i['errpulse']['ctx_per_s']:.1f} ctx/s; "
                  f"mtail {i['mtail']['cpu_pct']:.3f}% CPU, {i['mtail']['ctx_per_s']:.1f} ctx/s")
        print(f"errpulsed: {os.path.abspath(args.errpulsed)} ({version})")
        print(f"load average at start: {load_start}; at end: {load_end}; "
              f"runtime {runtime / 60:.1f} min")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"errpulsed": os.path.abspath(args.errpulsed), "version": version,
                           "load_start": load_start, "load_end": load_end, "runtime_s": runtime,
                           "args": vars(args), "idle": idle, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
