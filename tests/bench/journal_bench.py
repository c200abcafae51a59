#!/usr/bin/env python3
"""errpulse's systemd-journal source against the naive way (journalctl -o cat
piped into errpulse), side by side in ONE run, so that the ratios are measured
on the same (shared, noisy) machine at the same time. Run by hand, never in
CTest.

The journal: real journal files written by systemd-journal-remote from the
Journal Export Format on its standard input. Every entry carries the fields
journald gives a service's stdout line (_BOOT_ID, _MACHINE_ID, _HOSTNAME,
_TRANSPORT, PRIORITY, _PID, _UID, _COMM, _EXE, _CMDLINE, _SYSTEMD_CGROUP,
_SYSTEMD_UNIT=app.service, SYSLOG_IDENTIFIER=app, ...) and a one-line MESSAGE
of ~120 bytes; --error-share (5%) of the messages report a catalogued error
code in a shape the shipped rules extract (`... failed ErrorCode: 60007 ...`,
`code=-2`, `onError(-2340, ...)`), the rest are plain info messages with the
usual hard negatives (status=200, port:8000, codecMode=0, seq=N). The
generator keeps its own truth (entries, errors) to check the counts against.

What:
  bulk   --entries (1,000,000) entries written by journal-remote into
         DIR/bulk/bulk.journal (journal-remote rotates it when its header
         limits are reached, ~175,000 entries with unique messages, as
         journald's files do: all the resulting files are read, by both).
         Then, alternating, --repeats (3) times each:
           (a) errpulsed replay --journal-file F [--journal-file F...] --json
               --no-alerts
           (b) journalctl --file F [--file F...] -o cat | errpulsed replay -
               --json --no-alerts
         CPU = the child's own rusage (wait4: user + system, all threads),
         summed over journalctl and errpulsed for (b); replay's own
         cpu_seconds (its counting loop) is shown beside it. Entries per
         CPU-second = lines / CPU. Both must count the same lines and errors
         (and the generator's truth): a mismatch prints a WARNING and marks
         the row. The figures are the medians of the repeats. Peak RSS is
         ru_maxrss, which counts the journal files sd-journal maps (file
         pages, reclaimable); peak RssAnon (sampled every 5 ms) is the
         process's own memory.
  live   journal-remote appends to DIR/jdir/live.journal at --rate (1,000)
         entries/s (ticks of 10 ms) for --warmup-seconds (2) + --seconds
         (30); --other-share (2%) of the entries are of another unit
         (other.service), which neither reader selects. Following it at the
         same time:
           errpulsed with a journal source (units [app.service], directory
             DIR/jdir, start_at end, everything else its defaults);
           journalctl --directory DIR/jdir -f -n 0 -o cat _SYSTEMD_UNIT=
             app.service, its output read (and its lines counted) by this
             script: the naive way's cost BEFORE any counting (there is no
             follower to pipe it into: replay reads to the end and stops).
         CPU % of one core (all threads, /proc/PID/task/*/schedstat) and
         context switches per second of errpulsed, journalctl -f and
         journal-remote (the writer, for scale), over the same --seconds
         window after the warm-up. The journal holds --pre-entries (200)
         entries before errpulsed starts (start_at end skips them); marker
         entries then confirm both readers follow before the writer starts.
         Check: once writing stops, errpulsed's errpulse_lines_total{source=
         "app"} grows by exactly the app entries written (polled with a
         deadline), its errors_total by exactly the errors written, and
         journalctl's line count by the app entries written. Also shown:
         errpulsed's CPU per thread, its self-metrics for the source, and
         its RssAnon and RssFile (mapped journal files) at the end.
         --file-peer: a second errpulsed with a FILE source follows the same
           app messages, written by the same writer thread as lines of a
           plain file (one write() per tick), in the same window: the journal
           source's cost against the file source's.
  idle   After the live check, --idle-seconds (10) with no writes: CPU % and
         context switches per second of the readers.
Prints two Markdown tables (bulk, live), the checks, and a JSON summary
(also to --json OUT).

How:   python3 tests/bench/journal_bench.py [--errpulsed PATH] [--entries N]
       [--repeats N] [--rate N] [--seconds N] [--idle-seconds N] [--file-peer]
       [--only bulk|live] [--catalog FILE] [--rules GLOB] [--json OUT]
       About 4 minutes with the defaults on 2 cores (most of it journal-remote
       writing the bulk journal, ~1 minute per million entries).
Needs: an errpulsed build with `replay --journal-file` (default
       build/errpulsed; Release for meaningful figures), systemd-journal-remote
       (Debian: systemd-journal-remote) and journalctl, python3 (stdlib only),
       Linux /proc, ~0.5 GB free under the temporary directory per million
       entries (removed at the end, also on failure or Ctrl-C).
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import benchlib
import steady_bench
from benchlib import load_average, median

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
UNIT = "app.service"
OTHER_UNIT = "other.service"
SOURCE = "app"
BOOT_ID = "6b1f0c0e8f4d4a4f9a3c2d1e0f9a8b7c"
MACHINE_ID = "0f5e2a8c1b7d4e6f8a9b0c1d2e3f4a5b"
TICK_SECONDS = 0.010

# Catalogued codes, each in a shape the shipped rules (rules/codes.yaml) take.
SERVER_CODES = [60007, 60011, 100001]
CLIENT_CODES = [-2, -2340, -1101]


def parse_args():
    ap = argparse.ArgumentParser(description="errpulse's journal source against journalctl")
    ap.add_argument("--errpulsed", default=os.path.join(benchlib.REPO, "build", "errpulsed"))
    ap.add_argument("--only", action="append", choices=["bulk", "live"],
                    help="run only this part (repeatable; default both)")
    ap.add_argument("--entries", type=int, default=1_000_000, help="bulk: entries (default 1,000,000)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="bulk: runs of each way, alternating; medians (default 3)")
    ap.add_argument("--rate", type=int, default=1000, help="live: entries per second (default 1,000)")
    ap.add_argument("--seconds", type=float, default=30, help="live: measured window (default 30)")
    ap.add_argument("--warmup-seconds", type=float, default=2,
                    help="live: writing before the window (default 2)")
    ap.add_argument("--pre-entries", type=int, default=200,
                    help="live: entries in the journal before errpulsed starts (default 200)")
    ap.add_argument("--error-share", type=float, default=0.05,
                    help="share of messages with an error code (default 0.05)")
    ap.add_argument("--other-share", type=float, default=0.02,
                    help="live: share of entries of another unit (default 0.02)")
    ap.add_argument("--idle-seconds", type=float, default=10,
                    help="live: then CPU with no writes for this long (default 10; 0 skips it)")
    ap.add_argument("--file-peer", action="store_true",
                    help="live: also a second errpulsed following the same messages written as "
                         "lines of a plain file (the file source's cost, for comparison)")
    ap.add_argument("--catalog", default=os.path.join(benchlib.REPO, "data", "catalog.yaml"),
                    help="the catalog every errpulsed uses (default: the repository's)")
    ap.add_argument("--rules", default=os.path.join(benchlib.REPO, "rules", "*.yaml"),
                    help="the rules (a glob) every errpulsed uses (default: the repository's)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="also write the results to this file")
    return ap.parse_args()


# ---------------------------------------------------------------- the entries

class Messages:
    """Deterministic ~120-byte one-line messages; counts the errors it makes."""

    def __init__(self, seed, error_share):
        self.rnd = random.Random(seed)
        self.error_share = error_share
        self.errors = 0
        self.i = 0

    def next(self):
        r, i = self.rnd, self.i
        self.i += 1
        if r.random() < self.error_share:
            self.errors += 1
            return self.error(r, i)
        return self.info(r, i)

    @staticmethod
    def info(r, i):
        return Messages.info_text(r, i) + f" node=app-{r.randrange(8)} trace={r.getrandbits(64):016x}"

    @staticmethod
    def info_text(r, i):
        kind = i % 5
        if kind == 0:
            return (f"GET /api/v1/rooms/{r.randrange(10**6)}/members?limit=50 status=200 "
                    f"bytes={r.randrange(200, 90000)} duration_ms={r.randrange(1, 900)} "
                    f"user={r.randrange(10**9):09d}")
        if kind == 1:
            return (f"room {r.randrange(10**6)} heartbeat ok: members={r.randrange(1, 500)} seq={i} "
                    f"upstream=10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)} "
                    f"port:8000 rtt_ms={r.randrange(5, 300)}")
        if kind == 2:
            return (f"[worker-{r.randrange(16)}] pushed message to group @TGS#{r.getrandbits(40):010x} "
                    f"seq={i} size={r.randrange(50, 4000)} bytes, queue depth {r.randrange(64)}")
        if kind == 3:
            return (f"video encode config updated: width=368 height=640 fps=15 "
                    f"bitrate={r.randrange(300, 1500)}kbps codecMode=0 gop=2 stream={r.randrange(3)}")
        return (f"user {r.randrange(10**9):09d} entered room {r.randrange(10**6)} role=anchor "
                f"appId=1400{r.randrange(10**6):06d} sdkVersion=11.2.0.{r.randrange(20000)}")

    @staticmethod
    def error(r, i):
        kind = i % 3
        if kind == 0:
            code = r.choice(SERVER_CODES)
            return (f"REST call v4/group_open_http_svc/send_group_msg failed ErrorCode: {code} "
                    f"ErrorInfo: \"rejected\" RequestId={r.getrandbits(64):016x}")
        code = r.choice(CLIENT_CODES)
        if kind == 1:
            return (f"enter room {r.randrange(10**6)} failed code={code} msg=\"enter room failed\" "
                    f"user={r.randrange(10**9):09d} retry in 2s")
        return (f"TRTCCloud onError({code}, \"operation failed\") room={r.randrange(10**6)} "
                f"user={r.randrange(10**9):09d}")


def export_entry(message, realtime_us, monotonic_us, unit=UNIT, pid=4242):
    """One entry in the Journal Export Format: the fields journald gives a
    service's stdout line."""
    ident = unit.split(".")[0]
    return (f"__REALTIME_TIMESTAMP={realtime_us}\n"
            f"__MONOTONIC_TIMESTAMP={monotonic_us}\n"
            f"_BOOT_ID={BOOT_ID}\n"
            f"_MACHINE_ID={MACHINE_ID}\n"
            f"_HOSTNAME=bench-host\n"
            f"_TRANSPORT=stdout\n"
            f"PRIORITY=6\n"
            f"SYSLOG_FACILITY=3\n"
            f"_UID=998\n"
            f"_GID=998\n"
            f"_PID={pid}\n"
            f"_COMM={ident}\n"
            f"_EXE=/usr/bin/{ident}\n"
            f"_CMDLINE=/usr/bin/{ident} --serve\n"
            f"_CAP_EFFECTIVE=0\n"
            f"_SYSTEMD_CGROUP=/system.slice/{unit}\n"
            f"_SYSTEMD_SLICE=system.slice\n"
            f"_SYSTEMD_UNIT={unit}\n"
            f"_SYSTEMD_INVOCATION_ID=9d3c4b2a1f0e4d5c8b7a6f5e4d3c2b1a\n"
            f"_STREAM_ID=4c2b7e9a0d1f4e3a8b5c6d7e8f9a0b1c\n"
            f"SYSLOG_IDENTIFIER={ident}\n"
            f"MESSAGE={message}\n\n")


class JournalRemote:
    """systemd-journal-remote writing `output` (…/name.journal) from its stdin."""

    def __init__(self, output, directory):
        self.log_path = os.path.join(directory, "journal-remote-" + os.path.basename(output) + ".log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([JOURNAL_REMOTE, f"--output={output}", "-"],
                                         stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.fd = self.proc.stdin.fileno()

    def write(self, text):
        write_all(self.fd, text.encode())

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"journal-remote exited with {self.proc.returncode}:\n"
                               f"{self.log_tail()}")

    def log_tail(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-2000:]

    def finish(self, timeout=120):
        """Closes its stdin; it writes what it has and exits. Returns the
        entries it says it wrote (None if it did not say)."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError("journal-remote did not finish")
        text = self.log_tail()
        marker = "Finishing after writing "
        if marker in text:
            return int(text.rsplit(marker, 1)[1].split()[0])
        return None

    def stop(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        return benchlib.stop_process(self.proc)


# ---------------------------------------------------------------- config

def config_head(args, directory, port=None):
    """The top of a config: listen, state_dir, catalog and rules (--catalog,
    --rules: the repository's by default)."""
    lines = [f"listen: 127.0.0.1:{port}"] if port else []
    return lines + [f"state_dir: {directory}/state",
                    f"catalog: ['{args.catalog}']",
                    f"rules: ['{args.rules}']"]


def write_source_config(args, directory, port, name, source):
    """A config in `directory` with the one source `SOURCE`, read as `source` says."""
    lines = config_head(args, directory, port) + ["sources:", f"  - name: {SOURCE}"] + source + [
        "    start_at: end"]
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def write_journal_config(args, work, port, directory):
    return write_source_config(args, work, port, "errpulse-journal.yaml",
                               ["    journal:", f"      units: [{UNIT}]",
                                f"      directory: {directory}"])


def write_file_config(args, directory, port, path):
    return write_source_config(args, directory, port, "errpulse-file.yaml",
                               [f"    paths: ['{path}']"])


def write_replay_config(args, work):
    """The catalog and rules, no sources: what replay counts with."""
    path = os.path.join(work, "errpulse-replay.yaml")
    with open(path, "w") as f:
        f.write("\n".join(config_head(args, os.path.join(work, "replay")) + ["sources: []"]) + "\n")
    return path


# ---------------------------------------------------------------- processes

def rusage_cpu(ru):
    return ru.ru_utime + ru.ru_stime


def rss_anon_kib(pid):
    try:
        return benchlib.status_kib(pid, "RssAnon")
    except (OSError, KeyError, ValueError, IndexError):
        return 0


def wait_rusage(proc, timeout, what):
    """Waits for a Popen child with wait4: (exit status, CPU seconds, peak
    RSS KiB (ru_maxrss: mapped journal files included), peak RssAnon KiB
    (sampled every 5 ms)). Kills it at the deadline."""
    deadline = time.monotonic() + timeout
    anon = 0
    while True:
        anon = max(anon, rss_anon_kib(proc.pid))
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage_cpu(ru), ru.ru_maxrss, anon
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{what} did not finish within {timeout:g} s")
        time.sleep(0.005)


def kill_quietly(proc):
    if proc.poll() is None:
        proc.kill()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


def parse_replay_json(text, what):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{what}: no JSON on its output:\n{text[-2000:]}")


# ---------------------------------------------------------------- bulk

def write_bulk_journal(args, work, cleanup):
    directory = os.path.join(work, "bulk")
    os.makedirs(directory)
    remote = JournalRemote(os.path.join(directory, "bulk.journal"), work)
    cleanup.append(remote.stop)
    messages = Messages(args.seed, args.error_share)
    base = int(time.time() * 1e6) - args.entries * 1000  # 1,000 entries per second of log time
    t0 = time.monotonic()
    batch = []
    for i in range(args.entries):
        batch.append(export_entry(messages.next(), base + i * 1000, 5_000_000 + i * 1000))
        if len(batch) == 2000:
            remote.check_alive()
            remote.write("".join(batch))
            batch = []
    if batch:
        remote.write("".join(batch))
    said = remote.finish(timeout=max(120, args.entries / 2000))
    files = sorted(glob.glob(os.path.join(directory, "*.journal")))
    size = sum(os.path.getsize(f) for f in files)
    print(f"  journal-remote wrote {said if said is not None else '?'} entries into "
          f"{len(files)} file(s), {size / 2**20:,.0f} MiB, in {time.monotonic() - t0:.0f} s "
          f"({messages.errors:,} with an error code)", flush=True)
    if said is not None and said != args.entries:
        raise RuntimeError(f"journal-remote wrote {said} entries, {args.entries} were sent")
    return files, {"entries": args.entries, "errors": messages.errors, "files": len(files),
                   "bytes": size}


def run_direct(args, files, config):
    cmd = [args.errpulsed, "replay", "--config", config, "--json", "--no-alerts"]
    for f in files:
        cmd += ["--journal-file", f]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        try:
            status, cpu, rss, anon = wait_rusage(proc, 3600, "replay --journal-file")
        finally:
            kill_quietly(proc)
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        text, errtext = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if status != 0:
        raise RuntimeError(f"replay --journal-file exited with {status}:\n{errtext[-2000:]}")
    result = parse_replay_json(text, "replay --journal-file")
    return {"lines": result["lines"], "errors": result["errors"], "cpu": cpu,
            "cpu_errpulsed": cpu, "cpu_journalctl": 0.0,
            "replay_cpu_seconds": result["cpu_seconds"], "replay_wall_seconds": result["wall_seconds"],
            "wall": wall, "peak_rss_kib": rss, "peak_rss_anon_kib": anon, "by_code": result.get("by_code", {})}


def run_naive(args, files, config):
    jcmd = ["journalctl", "--no-pager", "-o", "cat"]
    for f in files:
        jcmd += ["--file", f]
    rcmd = [args.errpulsed, "replay", "--config", config, "--json", "--no-alerts", "-"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as jerr:
        t0 = time.monotonic()
        journalctl = subprocess.Popen(jcmd, stdout=subprocess.PIPE, stderr=jerr)
        try:
            replay = subprocess.Popen(rcmd, stdin=journalctl.stdout, stdout=out, stderr=err)
            journalctl.stdout.close()  # replay holds the read end now
            try:
                jstatus, jcpu, _, _ = wait_rusage(journalctl, 3600, "journalctl -o cat")
                rstatus, rcpu, rss, anon = wait_rusage(replay, 3600, "replay -")
            finally:
                kill_quietly(replay)
        finally:
            kill_quietly(journalctl)
        wall = time.monotonic() - t0
        for f in (out, err, jerr):
            f.seek(0)
        text = out.read().decode(errors="replace")
        errtext = err.read().decode(errors="replace")
        jerrtext = jerr.read().decode(errors="replace")
    if jstatus != 0:
        raise RuntimeError(f"journalctl exited with {jstatus}:\n{jerrtext[-2000:]}")
    if rstatus != 0:
        raise RuntimeError(f"replay - exited with {rstatus}:\n{errtext[-2000:]}")
    result = parse_replay_json(text, "replay -")
    return {"lines": result["lines"], "errors": result["errors"], "cpu": jcpu + rcpu,
            "cpu_errpulsed": rcpu, "cpu_journalctl": jcpu,
            "replay_cpu_seconds": result["cpu_seconds"], "replay_wall_seconds": result["wall_seconds"],
            "wall": wall, "peak_rss_kib": rss, "peak_rss_anon_kib": anon, "by_code": result.get("by_code", {})}


def summarize_runs(runs):
    keys = ("cpu", "cpu_errpulsed", "cpu_journalctl", "replay_cpu_seconds", "wall",
            "replay_wall_seconds", "peak_rss_kib", "peak_rss_anon_kib")
    out = {k: median([r[k] for r in runs]) for k in keys}
    out["lines"] = runs[0]["lines"]
    out["errors"] = runs[0]["errors"]
    out["consistent"] = all(r["lines"] == runs[0]["lines"] and r["errors"] == runs[0]["errors"]
                            for r in runs)
    out["entries_per_cpu_s"] = out["lines"] / out["cpu"] if out["cpu"] > 0 else float("inf")
    out["cpu_all_runs"] = [r["cpu"] for r in runs]
    out["by_code"] = runs[0]["by_code"]
    return out


def bulk(args, work, cleanup):
    print(f"bulk: writing {args.entries:,} entries with journal-remote  load {load_average()}",
          flush=True)
    files, truth = write_bulk_journal(args, work, cleanup)
    config = write_replay_config(args, work)
    result = {"truth": truth, "load_start": load_average()}
    direct, naive = [], []
    for k in range(args.repeats):
        # Alternate which goes first, so drift in the machine's load hits both.
        order = (("direct", run_direct, direct), ("naive", run_naive, naive))
        if k % 2:
            order = order[::-1]
        for name, run, into in order:
            r = run(args, files, config)
            into.append(r)
            print(f"  run {k + 1}/{args.repeats} {name:6s}: {r['lines']:,} lines, "
                  f"{r['errors']:,} errors, CPU {r['cpu']:.2f} s (journalctl "
                  f"{r['cpu_journalctl']:.2f} + errpulsed {r['cpu_errpulsed']:.2f}; replay's own "
                  f"{r['replay_cpu_seconds']:.2f}), wall {r['wall']:.2f} s  load {load_average()}",
                  flush=True)
    result["direct"], result["naive"] = summarize_runs(direct), summarize_runs(naive)
    result["load_end"] = load_average()
    d, n = result["direct"], result["naive"]
    problems = []
    if not (d["consistent"] and n["consistent"]):
        problems.append("the repeats of one way did not all count the same")
    if (d["lines"], d["errors"]) != (n["lines"], n["errors"]):
        problems.append(f"direct counted {d['lines']:,} lines / {d['errors']:,} errors, naive "
                        f"{n['lines']:,} / {n['errors']:,}")
    if d["by_code"] != n["by_code"]:
        problems.append(f"errors by code differ: direct {d['by_code']}, naive {n['by_code']}")
    if d["lines"] != truth["entries"]:
        problems.append(f"direct counted {d['lines']:,} lines, {truth['entries']:,} entries were written")
    if d["errors"] != truth["errors"]:
        problems.append(f"direct counted {d['errors']:,} errors, the generator wrote "
                        f"{truth['errors']:,} messages with an error code")
    result["problems"] = problems
    result["equal"] = (d["lines"], d["errors"]) == (n["lines"], n["errors"])
    for p in problems:
        print(f"  WARNING: {p}", flush=True)
    return result


def print_bulk(b):
    t, d, n = b["truth"], b["direct"], b["naive"]
    print(f"### bulk: {t['entries']:,} entries ({t['errors']:,} with an error code) in "
          f"{t['files']} journal file(s), {t['bytes'] / 2**20:,.0f} MiB; medians of the runs")
    head = ["way", "lines", "errors", "CPU s (all processes)", "journalctl CPU s",
            "errpulsed CPU s", "replay's own cpu_seconds", "wall s", "entries per CPU-s",
            "errpulsed peak RSS MiB (incl. mapped journal files)", "errpulsed peak RssAnon MiB"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for name, r in (("errpulsed replay --journal-file", d),
                    ("journalctl -o cat \\| errpulsed replay -", n)):
        row = [name, f"{r['lines']:,}", f"{r['errors']:,}", f"{r['cpu']:.2f}",
               f"{r['cpu_journalctl']:.2f}", f"{r['cpu_errpulsed']:.2f}",
               f"{r['replay_cpu_seconds']:.2f}", f"{r['wall']:.2f}",
               f"{r['entries_per_cpu_s']:,.0f}", f"{r['peak_rss_kib'] / 1024:.1f}",
               f"{r['peak_rss_anon_kib'] / 1024:.1f}"]
        print("| " + " | ".join(row) + " |")
    ratio = n["cpu"] / d["cpu"] if d["cpu"] > 0 else float("inf")
    same = "yes" if b["equal"] else "NO"
    print(f"naive CPU / direct CPU = {ratio:.2f}; same lines and errors: {same} "
          f"(direct {d['lines']:,} / {d['errors']:,}, naive {n['lines']:,} / {n['errors']:,}, "
          f"generator {t['entries']:,} / {t['errors']:,}); CPU of every run: direct "
          f"{', '.join(f'{c:.2f}' for c in d['cpu_all_runs'])}; naive "
          f"{', '.join(f'{c:.2f}' for c in n['cpu_all_runs'])}")


# ---------------------------------------------------------------- live

class LineCounter:
    """Reads a child's stdout in a thread, counting newlines."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        fd = self.stream.fileno()
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                return
            if not data:
                return
            self.count += data.count(b"\n")


class LiveWriter:
    """A thread appending entries to journal-remote's stdin at `rate` per
    second, in ticks of TICK_SECONDS; app entries and errors counted. With
    `file_fd`, each tick's app messages also go to that file as lines, in
    one write() (the file-source peer)."""

    def __init__(self, remote, messages, rate, other_share, seed, file_fd=None):
        self.remote, self.messages, self.rate = remote, messages, rate
        self.other_share = other_share
        self.file_fd = file_fd
        self.rnd = random.Random(seed + 7)
        self.app = self.other = 0
        self.written = 0
        self.failure = None
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def entries(self, count):
        """`count` entries (now-stamped) in the export format, and the app
        messages as lines; counts them."""
        now_rt, now_mono = time.time_ns() // 1000, time.monotonic_ns() // 1000
        parts, lines = [], []
        for _ in range(count):
            if self.rnd.random() < self.other_share:
                parts.append(export_entry(Messages.info(self.rnd, self.written), now_rt, now_mono,
                                          unit=OTHER_UNIT, pid=5151))
                self.other += 1
            else:
                message = self.messages.next()
                parts.append(export_entry(message, now_rt, now_mono))
                lines.append(message + "\n")
                self.app += 1
            self.written += 1
        return "".join(parts), "".join(lines)

    def start(self):
        self.thread.start()

    def run(self):
        try:
            start = time.monotonic()
            k = 0
            while not self.stop_event.is_set():
                due = start + k * TICK_SECONDS
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                n = int(round((k + 1) * TICK_SECONDS * self.rate)) - self.written
                if n > 0:
                    export, lines = self.entries(n)
                    self.remote.write(export)
                    if self.file_fd is not None and lines:
                        write_all(self.file_fd, lines.encode())
                k += 1
        except Exception as e:  # reported by the main thread
            self.failure = e

    def finish(self):
        self.stop_event.set()
        self.thread.join(10)
        if self.failure:
            raise RuntimeError(f"the writer failed: {self.failure!r}")


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def thread_snapshot(pid):
    """{tid: (name, CPU seconds (schedstat), context switches)} of a process."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                cpu = int(f.read().split()[0]) / 1e9
            ctx = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        ctx += int(line.split()[1])
        except FileNotFoundError:
            continue
        out[tid] = (name, cpu, ctx)
    return out


def threads_between(a, b, seconds):
    return [{"tid": int(tid), "name": b[tid][0],
             "cpu_pct": (b[tid][1] - a.get(tid, (None, 0, 0))[1]) / seconds * 100,
             "ctx_per_s": (b[tid][2] - a.get(tid, (None, 0, 0))[2]) / seconds}
            for tid in sorted(b, key=int)]


def journal_count(directory, unit=UNIT):
    r = subprocess.run(["journalctl", "--no-pager", "--directory", directory, "-o", "cat",
                        f"_SYSTEMD_UNIT={unit}"], capture_output=True)
    return r.stdout.count(b"\n")


def errpulse_counts(port):
    body = benchlib.http_get(port)
    by_code, successes = benchlib.counts_from_metrics(body, SOURCE)
    return benchlib.lines_total(body, SOURCE), sum(by_code.values()), body


def marker_message(k):
    return f"journal bench marker {k}: both readers follow the journal"


def live(args, work, cleanup):
    jdir = os.path.join(work, "jdir")
    os.makedirs(jdir)
    result = {"rate": args.rate, "seconds": args.seconds, "load_start": load_average()}
    print(f"live: {args.rate:,} entries/s for {args.warmup_seconds:g} + {args.seconds:g} s  "
          f"load {result['load_start']}", flush=True)
    remote = JournalRemote(os.path.join(jdir, "live.journal"), work)
    cleanup.append(remote.stop)
    messages = Messages(args.seed + 1, args.error_share)

    # Entries there before errpulsed starts: start_at end skips them.
    pre = Messages(args.seed + 2, args.error_share)
    now_rt, now_mono = time.time_ns() // 1000, time.monotonic_ns() // 1000
    remote.write("".join(export_entry(pre.next(), now_rt, now_mono)
                         for _ in range(args.pre_entries)))
    steady_bench.wait_for(lambda: os.path.exists(os.path.join(jdir, "live.journal"))
                          and journal_count(jdir) >= args.pre_entries, 30,
                          "journal-remote to write the entries before the start", [remote])

    port = benchlib.free_port()
    config = write_journal_config(args, work, port, jdir)
    daemon = benchlib.Daemon(args.errpulsed, config, port, work)
    cleanup.append(daemon.stop)
    daemons = [daemon]
    peer, peer_fd = None, None
    if args.file_peer:
        # The same app messages as lines of a plain file, followed by a second
        # errpulsed with a file source (start_at end): the file source's cost.
        peer_dir = os.path.join(work, "peer")
        os.makedirs(peer_dir)
        peer_path = os.path.join(peer_dir, "app.log")
        with open(peer_path, "wb") as f:
            f.write(b"".join((pre.next() + "\n").encode() for _ in range(args.pre_entries)))
        peer_port = benchlib.free_port()
        while peer_port == port:
            peer_port = benchlib.free_port()
        peer_config = write_file_config(args, peer_dir, peer_port, peer_path)
        peer = benchlib.Daemon(args.errpulsed, peer_config, peer_port, peer_dir)
        cleanup.append(peer.stop)
        daemons.append(peer)
        peer_fd = os.open(peer_path, os.O_WRONLY | os.O_APPEND)
        cleanup.append(lambda: os.close(peer_fd))
    for d in daemons:
        d.wait_ready()
    jctl = subprocess.Popen(["journalctl", "--no-pager", "--directory", jdir, "-f", "-n", "0",
                             "-o", "cat", f"_SYSTEMD_UNIT={UNIT}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    cleanup.append(lambda: benchlib.stop_process(jctl))
    counter = LineCounter(jctl.stdout)

    def all_follow():
        return (errpulse_counts(port)[0] >= 1 and counter.count >= 1
                and (peer is None or errpulse_counts(peer.port)[0] >= 1))

    # Markers until every reader has counted one: then all follow.
    markers = 0
    deadline = time.monotonic() + 30
    while True:
        for d in daemons:
            d.check_alive()
        remote.check_alive()
        if jctl.poll() is not None:
            raise RuntimeError(f"journalctl -f exited with {jctl.returncode}")
        markers += 1
        now_rt, now_mono = time.time_ns() // 1000, time.monotonic_ns() // 1000
        remote.write(export_entry(marker_message(markers), now_rt, now_mono))
        if peer_fd is not None:
            write_all(peer_fd, (marker_message(markers) + "\n").encode())
        t = time.monotonic()
        while time.monotonic() - t < 1.0 and not all_follow():
            time.sleep(0.02)
        if all_follow():
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"errpulsed ({errpulse_counts(port)[0]} lines) and journalctl -f "
                               f"({counter.count} lines) did not both see a marker within 30 s; "
                               f"see {daemon.log_path}")
    time.sleep(0.5)  # let any marker still in flight land
    lines0, errors0, _ = errpulse_counts(port)
    jlines0 = counter.count
    peer0 = errpulse_counts(peer.port)[:2] if peer else None
    result["markers"] = markers
    result["errpulse_lines_at_start"] = lines0
    result["journalctl_lines_at_start"] = jlines0
    if lines0 > markers:
        print(f"  WARNING: errpulsed counted {lines0} lines after {markers} marker(s): start_at "
              f"end did not skip the {args.pre_entries} entries already there", flush=True)

    procs = {"errpulsed": daemon.pid, "journalctl -f": jctl.pid, "journal-remote": remote.pid}
    if peer:
        procs["file peer"] = peer.pid
    writer = LiveWriter(remote, messages, args.rate, args.other_share, args.seed, peer_fd)
    cleanup.append(writer.finish)
    writer.start()
    time.sleep(args.warmup_seconds)
    for d in daemons:
        d.check_alive()
    w0 = (time.monotonic(), writer.written)
    t0 = thread_snapshot(daemon.pid)
    s0 = {name: steady_bench.snapshot(pid) for name, pid in procs.items()}
    time.sleep(args.seconds)
    s1 = {name: steady_bench.snapshot(pid) for name, pid in procs.items()}
    t1 = thread_snapshot(daemon.pid)
    w1 = (time.monotonic(), writer.written)
    # Counted first, then written (the writer counts an entry before it
    # writes it): behind is exact or over by at most a tick's entries.
    counted = (errpulse_counts(port)[0], counter.count,
               errpulse_counts(peer.port)[0] if peer else None)
    app = writer.app
    behind_e = lines0 + app - counted[0]
    behind_j = jlines0 + app - counted[1]
    behind_p = peer0[0] + app - counted[2] if peer else None
    writer.finish()
    result["written_per_s"] = (w1[1] - w0[1]) / (w1[0] - w0[0])
    result["procs"] = {name: steady_bench.rates_between(s0[name], s1[name]) for name in procs}
    result["errpulsed_threads"] = threads_between(t0, t1, s1["errpulsed"]["t"] - s0["errpulsed"]["t"])
    entries_in_window = w1[1] - w0[1]
    for name, r in result["procs"].items():
        cpu_s = r["cpu_pct"] / 100 * r["seconds"]
        r["cpu_us_per_entry"] = cpu_s / entries_in_window * 1e6 if entries_in_window else 0
    result["procs"]["errpulsed"]["behind_lines"] = behind_e
    result["procs"]["journalctl -f"]["behind_lines"] = behind_j
    if peer:
        result["procs"]["file peer"]["behind_lines"] = behind_p

    # Exactness.
    result["app_written"], result["other_written"] = writer.app, writer.other
    result["errors_written"] = messages.errors
    want_e, want_j = lines0 + writer.app, jlines0 + writer.app
    try:
        steady_bench.wait_for(lambda: errpulse_counts(port)[0] >= want_e, 30,
                              "errpulsed to count every entry", [daemon])
    except RuntimeError:
        pass
    try:
        steady_bench.wait_for(lambda: counter.count >= want_j, 30,
                              "journalctl -f to print every entry")
    except RuntimeError:
        pass
    if peer:
        try:
            steady_bench.wait_for(lambda: errpulse_counts(peer.port)[0] >= peer0[0] + writer.app,
                                  30, "the file peer to count every line", [peer])
        except RuntimeError:
            pass
    time.sleep(0.5)  # anything more (other.service's entries, say) would show now
    lines1, errors1, body = errpulse_counts(port)
    result["errpulse_lines"] = lines1 - lines0
    result["errpulse_errors"] = errors1 - errors0
    result["journalctl_lines"] = counter.count - jlines0
    result["exact"] = (result["errpulse_lines"] == writer.app
                       and result["errpulse_errors"] == messages.errors)
    result["journalctl_exact"] = result["journalctl_lines"] == writer.app
    if peer:
        p1 = errpulse_counts(peer.port)[:2]
        result["peer_lines"], result["peer_errors"] = p1[0] - peer0[0], p1[1] - peer0[1]
        result["peer_exact"] = (result["peer_lines"] == writer.app
                                and result["peer_errors"] == messages.errors)
    result["self_metrics"] = {
        name: benchlib.metric_sum(body, name, source=SOURCE)
        for name in ("errpulse_read_errors_total", "errpulse_lines_cut_total",
                     "errpulse_file_rotations_total", "errpulse_files_lost_total",
                     "errpulse_files_open", "errpulse_read_bytes_total", "errpulse_lag_bytes")}
    result["peak_rss_kib"] = daemon.peak_rss_kib()
    result["rss_anon_kib"] = benchlib.status_kib(daemon.pid, "RssAnon")
    result["rss_file_kib"] = benchlib.status_kib(daemon.pid, "RssFile")

    # Idle: nothing written; the readers still follow.
    if args.idle_seconds > 0:
        time.sleep(3)
        idle_procs = {k: v for k, v in procs.items() if k != "journal-remote"}
        i0 = {name: steady_bench.snapshot(pid) for name, pid in idle_procs.items()}
        time.sleep(args.idle_seconds)
        i1 = {name: steady_bench.snapshot(pid) for name, pid in idle_procs.items()}
        result["idle"] = {name: steady_bench.rates_between(i0[name], i1[name])
                          for name in idle_procs}

    said = remote.finish()
    result["journal_remote_wrote"] = said
    expected_remote = args.pre_entries + markers + writer.written
    if said is not None and said != expected_remote:
        print(f"  WARNING: journal-remote says it wrote {said:,} entries, {expected_remote:,} "
              f"were sent", flush=True)
    if not result["exact"]:
        print(f"  WARNING: errpulsed counted {result['errpulse_lines']:,} lines and "
              f"{result['errpulse_errors']:,} errors; {writer.app:,} app entries with "
              f"{messages.errors:,} errors were written", flush=True)
    if not result["journalctl_exact"]:
        print(f"  WARNING: journalctl -f printed {result['journalctl_lines']:,} lines; "
              f"{writer.app:,} app entries were written", flush=True)
    if peer and not result["peer_exact"]:
        print(f"  WARNING: the file peer counted {result['peer_lines']:,} lines and "
              f"{result['peer_errors']:,} errors; {writer.app:,} lines with "
              f"{messages.errors:,} errors were written", flush=True)
    with open(daemon.log_path, errors="replace") as f:
        log = f.read()
    result["errpulsed_log_warnings"] = [l for l in log.splitlines()
                                        if "[warn" in l or "[error" in l][:20]
    result["load_end"] = load_average()
    return result


def print_live(lv):
    print(f"### live: {lv['rate']:,} entries/s asked, {lv['written_per_s']:,.0f} written, "
          f"measured over {lv['seconds']:g} s (the same window for every process)")
    head = ["process", "CPU % of a core", "CPU µs per entry", "ctx switches/s",
            "behind at window end (entries)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    labels = {"errpulsed": "errpulsed, journal source (reads and counts)",
              "journalctl -f": "journalctl -f -o cat alone (reads only; before any counting)",
              "journal-remote": "systemd-journal-remote (the writer, for scale)",
              "file peer": "errpulsed, file source, same messages as lines of a file (--file-peer)"}
    for name, r in lv["procs"].items():
        behind = r.get("behind_lines")
        row = [labels[name], steady_bench.pct(r["cpu_pct"]), f"{r['cpu_us_per_entry']:.1f}",
               f"{r['ctx_per_s']:.0f}", "" if behind is None else f"{behind:,}"]
        print("| " + " | ".join(row) + " |")
    e, j = lv["procs"]["errpulsed"], lv["procs"]["journalctl -f"]
    ratio = j["cpu_pct"] / e["cpu_pct"] if e["cpu_pct"] > 0 else float("inf")
    text = f"journalctl -f CPU / errpulsed CPU = {ratio:.2f}"
    if "file peer" in lv["procs"]:
        f = lv["procs"]["file peer"]
        text += (f"; errpulsed journal source CPU / file source CPU = "
                 f"{e['cpu_pct'] / f['cpu_pct'] if f['cpu_pct'] > 0 else float('inf'):.2f}")
    print(text)
    print("errpulsed's threads over the window: " + "; ".join(
        f"{t['name']} ({t['tid']}) {steady_bench.pct(t['cpu_pct'])}% {t['ctx_per_s']:.0f} ctx/s"
        for t in lv["errpulsed_threads"]))
    print(f"exact: errpulsed {'yes' if lv['exact'] else 'NO'} ({lv['errpulse_lines']:,} lines, "
          f"{lv['errpulse_errors']:,} errors counted; {lv['app_written']:,} app entries with "
          f"{lv['errors_written']:,} errors written, plus {lv['other_written']:,} of "
          f"{OTHER_UNIT}); journalctl -f {'yes' if lv['journalctl_exact'] else 'NO'} "
          f"({lv['journalctl_lines']:,} lines)"
          + (f"; file peer {'yes' if lv['peer_exact'] else 'NO'} ({lv['peer_lines']:,} lines, "
             f"{lv['peer_errors']:,} errors)" if "peer_exact" in lv else ""))
    print(f"errpulsed at the start: {lv['errpulse_lines_at_start']} line(s) after "
          f"{lv['markers']} marker(s); self-metrics: "
          + ", ".join(f"{k.replace('errpulse_', '')} {v:g}" for k, v in lv["self_metrics"].items())
          + f"; peak RSS (VmHWM) {lv['peak_rss_kib'] / 1024:.1f} MiB, now RssAnon "
          f"{lv['rss_anon_kib'] / 1024:.1f} MiB + RssFile {lv['rss_file_kib'] / 1024:.1f} MiB "
          f"(mapped journal files)")
    if "idle" in lv:
        print(f"idle (no writes) for {lv['idle']['errpulsed']['seconds']:.0f} s: " + "; ".join(
            f"{name} {r['cpu_pct']:.3f}% CPU, {r['ctx_per_s']:.1f} ctx/s"
            for name, r in lv["idle"].items()))
    if lv["errpulsed_log_warnings"]:
        print("errpulsed logged:")
        for line in lv["errpulsed_log_warnings"]:
            print(f"  {line}")


# ---------------------------------------------------------------- main

def check_tools(args):
    if not os.access(args.errpulsed, os.X_OK):
        sys.exit(f"journal_bench.py: no errpulsed at {args.errpulsed} (build it or pass --errpulsed)")
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        sys.exit(f"journal_bench.py: no {JOURNAL_REMOTE} (apt-get install systemd-journal-remote)")
    if not shutil.which("journalctl"):
        sys.exit("journal_bench.py: no journalctl")
    help_text = subprocess.run([args.errpulsed, "--help"], capture_output=True, text=True,
                               timeout=30)
    if "--journal-file" not in help_text.stdout + help_text.stderr:
        sys.exit(f"journal_bench.py: {args.errpulsed} replay has no --journal-file (too old a build)")


def main():
    args = parse_args()
    check_tools(args)
    # SIGTERM (e.g. from timeout) unwinds like Ctrl-C, through every finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    version = steady_bench.errpulsed_version(args.errpulsed)
    jversion = subprocess.run(["journalctl", "--version"], capture_output=True,
                              text=True).stdout.splitlines()[0]
    load_start = load_average()
    print(f"errpulsed: {os.path.abspath(args.errpulsed)} ({version})")
    print(f"journalctl / journal-remote: {jversion}")
    print(f"load average at start: {load_start}; {os.cpu_count()} CPUs", flush=True)
    parts = args.only or ["bulk", "live"]
    results = {}
    work = tempfile.mkdtemp(prefix="errpulse-journal-bench-")
    cleanup = []
    try:
        # The catalog and rules load in this build (before minutes of writing).
        r = subprocess.run([args.errpulsed, "replay", "--config", write_replay_config(args, work),
                            "--json", "--no-alerts", "/dev/null"], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise SystemExit(f"journal_bench.py: {args.errpulsed} does not take the catalog "
                             f"{args.catalog} and rules {args.rules} (see --catalog, --rules):\n"
                             f"{r.stderr[-2000:]}")
        if "bulk" in parts:
            results["bulk"] = bulk(args, work, cleanup)
        if "live" in parts:
            results["live"] = live(args, work, cleanup)
    finally:
        benchlib.run_cleanup(cleanup)
        shutil.rmtree(work, ignore_errors=True)
        load_end = load_average()
        runtime = time.monotonic() - began
        print()
        if "bulk" in results:
            print_bulk(results["bulk"])
            print()
        if "live" in results:
            print_live(results["live"])
            print()
        print(f"errpulsed: {os.path.abspath(args.errpulsed)} ({version})")
        print(f"load average at start: {load_start}; at end: {load_end}; "
              f"runtime {runtime / 60:.1f} min")
        summary = {"errpulsed": os.path.abspath(args.errpulsed), "version": version,
                   "journalctl": jversion, "load_start": load_start, "load_end": load_end,
                   "runtime_s": runtime, "args": vars(args)}
        if "bulk" in results:
            b = results["bulk"]
            summary["bulk"] = {
                "truth": b["truth"], "equal": b["equal"], "problems": b["problems"],
                **{way: {k: v for k, v in b[way].items() if k != "by_code"}
                   for way in ("direct", "naive")},
                "by_code": b["direct"]["by_code"],
                "naive_cpu_over_direct_cpu": b["naive"]["cpu"] / b["direct"]["cpu"]
                if b["direct"]["cpu"] else None}
        if "live" in results:
            summary["live"] = results["live"]
        print("JSON summary:")
        print(json.dumps(summary, indent=1, default=str))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(summary, f, indent=1, default=str)
    # The checks: the figures stand, but a count that is off fails the run.
    failed = []
    if "bulk" in results and results["bulk"]["problems"]:
        failed.append("bulk: " + "; ".join(results["bulk"]["problems"]))
    lv = results.get("live")
    if lv:
        # journalctl -f's own count is only warned about (above): it is the
        # naive peer, not what this checks.
        for key, what in (("exact", "errpulsed's journal source"), ("peer_exact", "the file peer")):
            if lv.get(key) is False:
                failed.append(f"live: {what} did not count exactly what was written")
    if failed:
        sys.exit("journal_bench.py: FAILED: " + " | ".join(failed))


if __name__ == "__main__":
    main()
