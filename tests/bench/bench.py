#!/usr/bin/env python3
"""The whole-process benchmark of issue 6; run it through tests/bench/bench.sh,
whose header says what it measures, how, and what it needs.

One run, one corpus: errpulse replay (without and with the shipped alert
rules), the live daemon tailing the corpus from its beginning, mtail
--one_shot, rg -c and cat, and errpulse replay of the same corpus written as
.clog, .xlog (deflate and zstd blocks), CRI and docker json-file logs
(gen_formats.py; plus the .clog inflated by Python first), each `--runs` times
in interleaved rounds; prints
the medians as a table, the issue's targets, and whether errpulse and mtail
counted exactly the generator's truth (exit 1 when one did not).
Python 3 stdlib only; single-threaded.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import REPO, load_average, median

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    ap = argparse.ArgumentParser(prog="bench.sh", description="errpulse whole-process benchmark")
    ap.add_argument("--lines", type=int, default=2_000_000, help="corpus lines (default 2,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool; the median is reported")
    ap.add_argument("--errpulsed", default=os.path.join(REPO, "build", "errpulsed"),
                    help="the errpulsed binary (default build/errpulsed)")
    ap.add_argument("--workdir", help="keep the corpus here and reuse it (default: a temp dir)")
    ap.add_argument("--skip", action="append", default=[],
                    choices=["replay", "alerts", "live", "mtail", "mtail1", "rg", "cat"]
                    + FORMAT_KEYS + ["formats"],
                    help="leave a tool out (repeatable); 'formats' leaves out every "
                         "decoded-format row")
    ap.add_argument("--json", help="also write every run's raw figures to this file")
    ap.add_argument("--live-poll-ms", type=float, default=50,
                    help="live daemon: how often /metrics is polled for the line count (default "
                         "50; every 10 ms the polls cost the daemon and the harness a third of "
                         "a core on 2 cores)")
    ap.add_argument("--live-config", action="append", default=[], metavar="YAML",
                    help="live daemon: a top-level config line, e.g. 'scan_threads: 1' (repeatable)")
    return ap.parse_args()


# The decoded-format rows: key -> (gen_formats.py format, replay --format, file suffix).
FORMATS = {
    "clog": ("clog", "clog", ".clog"),
    "xlog-zlib": ("xlog-zlib", "xlog", ".zlib.xlog"),
    "xlog-zstd": ("xlog-zstd", "xlog", ".zstd.xlog"),
    "cri": ("cri", "cri", ".cri.log"),
    "docker": ("docker", "docker", ".docker.log"),
}
FORMAT_KEYS = list(FORMATS) + ["clog-naive"]


def python_with(module):
    """A python3 that can import `module`: this one, else Debian's /usr/bin/python3
    (where python3-zstandard installs), else None."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.access(exe, os.X_OK) and subprocess.run(
                [exe, "-c", f"import {module}"], capture_output=True).returncode == 0:
            return exe
    return None


def format_corpora(log, keys):
    """The plain corpus rewritten in each format of `keys` (gen_formats.py),
    generated beside it once and reused (named by the generator's version)."""
    with open(os.path.join(HERE, "gen_formats.py"), "rb") as f:
        version = hashlib.sha256(f.read()).hexdigest()[:8]
    files = {}
    for key in keys:
        gen_format, _, suffix = FORMATS[key]
        path = f"{log[:-4]}-{version}{suffix}"
        if not os.path.exists(path):
            python = python_with("zstandard") if key == "xlog-zstd" else sys.executable
            if python is None:
                print(f"bench.sh: no python3 with the zstandard module (apt-get install "
                      f"python3-zstandard); skipping {key}", file=sys.stderr)
                continue
            start = time.monotonic()
            subprocess.run([python, os.path.join(HERE, "gen_formats.py"), gen_format, log, path],
                           check=True)
            print(f"  generated {os.path.basename(path)} in {time.monotonic() - start:.0f} s",
                  flush=True)
        files[key] = path
    return files


def corpus(workdir, lines):
    """Generates (or reuses) the corpus and its truth; returns their paths."""
    with open(os.path.join(HERE, "gen_corpus.py"), "rb") as f:
        version = hashlib.sha256(f.read()).hexdigest()[:8]
    log = os.path.join(workdir, f"corpus-{lines}-{version}.log")
    truth = log[:-4] + ".truth.json"
    if not (os.path.exists(log) and os.path.exists(truth)):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), str(lines), log,
                        "--truth", truth], check=True)
    with open(truth) as f:
        return log, json.load(f)


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def timed(cmd, out_path, work, ok_exits=(0,), env=None):
    """Runs cmd under /usr/bin/time with stdout to out_path (None: /dev/null).
    Peak RSS is GNU time's %M (the tool's own: a child forked from this Python
    would inherit Python's peak); CPU (user + sys) and wall come from wait4 on
    GNU time, to the microsecond rather than %U's 10 ms, and so include GNU
    time's own ~1 ms."""
    load = load_average()
    err_path = os.path.join(work, "stderr.txt")
    rss_path = os.path.join(work, "rss.txt")
    with open(out_path or os.devnull, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_path] + cmd,
                                stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_exits:
        with open(err_path, errors="replace") as f:
            raise RuntimeError(f"{' '.join(cmd[:3])}... exited with {proc.returncode}:\n"
                               f"{f.read()[-2000:]}")
    with open(rss_path) as f:
        rss_kib = int(f.read().split()[-1])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": rss_kib,
            "load": load, "exit": proc.returncode}


def truth_matches(truth, by_code, successes):
    return (by_code == truth["by_code"] and sum(by_code.values()) == truth["errors"]
            and successes == truth["successes"])


def run_replay(args, log, truth, work, alerts):
    out = os.path.join(work, "replay.json")
    cmd = [args.errpulsed, "replay", "--config", args.config, "--json", log]
    if not alerts:
        cmd.insert(-1, "--no-alerts")
    r = timed(cmd, out, work)
    with open(out) as f:
        got = json.load(f)
    r["counted"] = got["lines"] == truth["lines"] and truth_matches(truth, got["by_code"],
                                                                  got["successes"])
    r["note"] = f"{len(got.get('alerts', []))} alert transitions" if alerts else ""
    return r


def run_format(args, log, truth, work, key):
    """errpulse replay of the corpus written in a decoded format: the same text
    (so the same truth), plus the decoding."""
    out = os.path.join(work, "replay.json")
    path = args.format_files[key]
    r = timed([args.errpulsed, "replay", "--config", args.config, "--json", "--no-alerts",
               "--format", FORMATS[key][1], path], out, work)
    with open(out) as f:
        got = json.load(f)
    r["counted"] = (got["lines"] == truth["lines"] and got["decode_errors"] == 0
                    and truth_matches(truth, got["by_code"], got["successes"]))
    size = os.path.getsize(path)
    r["note"] = (f"{size / 1e6:.1f} MB on disk ({size / args.corpus_size:.2f} of the text); "
                 f"MB/cpu-s counts the decoded text")
    return r


NAIVE_CLOG = ("import sys, zlib\n"
              "d = zlib.decompressobj(-15)\n"
              "o = sys.stdout.buffer\n"
              "with open(sys.argv[1], 'rb') as f:\n"
              "    for b in iter(lambda: f.read(1 << 20), b''):\n"
              "        o.write(d.decompress(b))\n")


def run_clog_naive(args, log, truth, work):
    """The .clog the naive way: Python's zlib inflates it to a file, then plain
    errpulse replay of that file; CPU of both (a shell runs the two, and GNU
    time's wait4 sums its children). Not a pipe: replay reads with pread, which
    a pipe or FIFO refuses (ESPIPE). The file goes to /dev/shm when there is one."""
    out = os.path.join(work, "replay.json")
    scratch_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else work
    text = os.path.join(scratch_dir, f"errpulse-bench-{os.getpid()}.log")
    script = (f'"$1" -c "$2" "$3" > "$4" && "$5" replay --config "$6" --json --no-alerts '
              f'--format plain "$4"; status=$?; rm -f "$4"; exit $status')
    try:
        r = timed(["sh", "-c", script, "sh", sys.executable, NAIVE_CLOG,
                   args.format_files["clog"], text, args.errpulsed, args.config], out, work)
    finally:
        if os.path.exists(text):
            os.remove(text)
    with open(out) as f:
        got = json.load(f)
    r["counted"] = got["lines"] == truth["lines"] and truth_matches(truth, got["by_code"],
                                                                  got["successes"])
    r["note"] = "python3 zlib.decompressobj(-15) > file, then replay --format plain; cpu summed"
    return r


def run_live(args, log, truth, work):
    """The daemon tails the corpus from its beginning; the run ends at the first
    /metrics scrape (every --live-poll-ms) that shows every line counted."""
    d = tempfile.mkdtemp(dir=work)
    port = benchlib.free_port()
    config = benchlib.write_config(d, port, [("bench", [log], "beginning")],
                                   "\n".join(args.live_config))
    load = load_average()
    ready = None
    with benchlib.Daemon(args.errpulsed, config, port, d) as daemon:
        while True:
            tick = time.monotonic()
            daemon.check_alive()
            try:
                body = benchlib.http_get(port, timeout=2.0)
            except (OSError, RuntimeError):
                body = None
            now = time.monotonic()
            if body is not None:
                ready = ready if ready is not None else now - daemon.started_at
                if benchlib.lines_total(body, "bench") >= truth["lines"]:
                    r = {"wall": now - daemon.started_at, "cpu": daemon.cpu(),
                         "pipeline_cpu": daemon.pipeline_cpu(), "rss_kib": daemon.peak_rss_kib(),
                         "ready": ready, "load": load, "poll_ms": args.live_poll_ms}
                    break
            if now - daemon.started_at > 600:
                raise RuntimeError("the live daemon did not count the corpus in 600 s")
            time.sleep(max(0.0, tick + args.live_poll_ms / 1000 - time.monotonic()))
        r["exit"] = daemon.stop()
    by_code, successes = benchlib.counts_from_metrics(body, "bench")
    r["counted"] = truth_matches(truth, by_code, successes)
    r["note"] = ""
    shutil.rmtree(d)
    return r


def run_mtail(args, log, truth, work, one_core=False):
    """mtail as installed; with one_core, GOMAXPROCS=1: on 2 cores Go's runtime
    spends about a quarter more CPU for the same work than on one."""
    out = os.path.join(work, "mtail.json")
    env = dict(os.environ, GOMAXPROCS="1") if one_core else None
    r = timed(["mtail", "--one_shot", "--progs", os.path.join(HERE, "mtail"), "--logs", log,
               "--emit_prog_label=false", "--logtostderr"], out, work, env=env)
    with open(out) as f:
        got = json.load(f)
    by_code = {lv["Labels"][0]: int(lv["Value"]["Value"])
               for m in got.get("errpulse_errors_total", []) for lv in m["LabelValues"]}
    successes = sum(int(lv["Value"]["Value"])
                    for m in got.get("errpulse_successes_total", []) for lv in m["LabelValues"])
    r["counted"] = truth_matches(truth, by_code, successes)
    r["note"] = ""
    return r


def shipped_union_pattern():
    """rules/codes.yaml's patterns as one Rust-regex union for rg: named groups
    made non-capturing (rg refuses duplicate names), each rule in its own group
    (so its (?i) stays inside), and (?-u) for RE2's ASCII \\b \\w \\d \\s."""
    patterns = []
    with open(os.path.join(REPO, "rules", "codes.yaml"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*pattern:\s*'(.*)'\s*$", line)
            if m:
                patterns.append(m.group(1).replace("''", "'"))
    union = "|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", p) + ")" for p in patterns)
    return "(?-u)" + re.sub(r"([^\x00-\x7f]+)", r"(?u:\1)", union)


def run_rg(args, log, truth, work):
    out = os.path.join(work, "rg.txt")
    # --no-mmap: peak RSS is rg's own memory, not the mapped corpus (same CPU).
    r = timed(["rg", "--no-mmap", "-c", "-e", args.rg_pattern, log], out, work, ok_exits=(0, 1))
    with open(out) as f:
        matched = int(f.read().strip() or 0)
    r["counted"] = None
    r["note"] = (f"{matched} lines matched "
                 f"(errors + successes: {truth['errors'] + truth['successes']})")
    return r


def run_cat(args, log, truth, work):
    r = timed(["cat", log], None, work)
    r["counted"] = None
    r["note"] = ""
    return r


TOOLS = [  # key, label, runner
    ("replay", "errpulse replay --no-alerts", lambda *a: run_replay(*a, alerts=False)),
    ("alerts", "errpulse replay, shipped alerts", lambda *a: run_replay(*a, alerts=True)),
    ("live", "errpulse live daemon", run_live),
    ("mtail", "mtail --one_shot", run_mtail),
    ("mtail1", "mtail --one_shot, GOMAXPROCS=1", lambda *a: run_mtail(*a, one_core=True)),
    ("rg", "rg -c (scan ceiling)", run_rg),
    ("cat", "cat > /dev/null (I/O)", run_cat),
    ("clog", "clog replay (SDK's deflate)", lambda *a: run_format(*a, key="clog")),
    ("clog-naive", "clog: python zlib, then replay", run_clog_naive),
    ("xlog-zlib", "xlog replay, 0x09 deflate blocks", lambda *a: run_format(*a, key="xlog-zlib")),
    ("xlog-zstd", "xlog replay, 0x0D zstd blocks", lambda *a: run_format(*a, key="xlog-zstd")),
    ("cri", "cri replay (containerd)", lambda *a: run_format(*a, key="cri")),
    ("docker", "docker replay (json-file)", lambda *a: run_format(*a, key="docker")),
]


def summarize(runs, size, lines):
    cpu = median([r["cpu"] for r in runs])
    wall = median([r["wall"] for r in runs])
    return {"cpu": cpu, "wall": wall, "rss_mib": median([r["rss_kib"] for r in runs]) / 1024,
            "mb_per_cpu_s": size / 1e6 / cpu if cpu else float("inf"),
            "lines_per_cpu_s": lines / cpu if cpu else float("inf"),
            "lines_per_wall_s": lines / wall if wall else float("inf"),
            "mb_per_wall_s": size / 1e6 / wall if wall else float("inf"),
            "counted": None if runs[0]["counted"] is None else all(r["counted"] for r in runs),
            "loads": [r["load"].split()[0] for r in runs], "note": note(runs)}


def note(runs):
    if "pipeline_cpu" in runs[0]:  # the live daemon
        return (f"/metrics up {median([r['ready'] for r in runs]) * 1000:.0f} ms after the start; "
                f"main thread (reading, matching, counting) "
                f"{median([r['pipeline_cpu'] for r in runs]):.2f} cpu-s, the rest is mostly the "
                f"HTTP thread answering the {runs[0]['poll_ms']:g} ms polls")
    return runs[-1]["note"]


def print_table(results, size, lines, truth):
    base = results.get("replay")
    print()
    print(f"corpus: {lines:,} lines, {size / 1e6:.1f} MB; truth: {truth['errors']:,} error lines "
          f"over {len(truth['by_code'])} codes, {truth['successes']:,} successes")
    head = (f"{'tool':32} {'cpu s':>7} {'wall s':>7} {'MB/cpu-s':>9} {'lines/cpu-s':>12} "
            f"{'lines/s wall':>12} {'MB/s wall':>9} {'peak RSS':>9} {'x replay':>8} "
            f"{'counts':>7}  load1 (per run)")
    print(head)
    print("-" * len(head))
    for key, label, _ in TOOLS:
        if key not in results:
            continue
        s = results[key]
        ratio = f"{s['mb_per_cpu_s'] / base['mb_per_cpu_s']:.2f}" if base else "-"
        counted = {None: "-", True: "exact", False: "WRONG"}[s["counted"]]
        print(f"{label:32} {s['cpu']:7.2f} {s['wall']:7.2f} {s['mb_per_cpu_s']:9.1f} "
              f"{s['lines_per_cpu_s']:12,.0f} {s['lines_per_wall_s']:12,.0f} "
              f"{s['mb_per_wall_s']:9.1f} {s['rss_mib']:7.1f}Mi {ratio:>8} {counted:>7}  "
              f"{' '.join(s['loads'])}")
    print("(medians; MB = 10^6 bytes; cpu = user + sys; x replay = MB/cpu-s over replay --no-alerts)")
    for key, label, _ in TOOLS:
        if key in results and results[key]["note"]:
            print(f"  {label}: {results[key]['note']}")
    print()
    if base:
        print(f"target replay >= 1000 MB/cpu-s:        {base['mb_per_cpu_s']:.0f} MB/cpu-s")
        for key in ("mtail", "mtail1"):
            if key in results:
                print(f"target replay >= 25x mtail:            "
                      f"{base['mb_per_cpu_s'] / results[key]['mb_per_cpu_s']:.1f}x"
                      + (" (mtail on one core, GOMAXPROCS=1)" if key == "mtail1" else ""))
        if "rg" in results:
            print(f"target within 2x of ripgrep:           rg is "
                  f"{results['rg']['mb_per_cpu_s'] / base['mb_per_cpu_s']:.2f}x replay")
    if "live" in results:
        print(f"target live daemon >= 500 MB/s (wall): {results['live']['mb_per_wall_s']:.0f} MB/s "
              f"({results['live']['mb_per_cpu_s']:.0f} MB/cpu-s)")
    if "clog" in results:
        line = (f"target clog decompress + match >= 400 MB/cpu-s of text: "
                f"{results['clog']['mb_per_cpu_s']:.0f} MB/cpu-s")
        if "clog-naive" in results:
            line += (f" ({results['clog']['mb_per_cpu_s'] / results['clog-naive']['mb_per_cpu_s']:.1f}x "
                     f"python zlib + replay)")
        print(line)
    for key in ("xlog-zlib", "xlog-zstd"):
        if key in results:
            print(f"{key} decompress + match:               {results[key]['mb_per_cpu_s']:.0f} "
                  f"MB/cpu-s of text" + (f" ({results[key]['mb_per_cpu_s'] / base['mb_per_cpu_s']:.0%}"
                                         f" of plain)" if base else ""))
    for key in ("cri", "docker"):
        if key in results and base:
            print(f"target {key} >= 70% of plain (message MB/cpu-s): "
                  f"{results[key]['mb_per_cpu_s'] / base['mb_per_cpu_s']:.0%} "
                  f"({results[key]['mb_per_cpu_s']:.0f} MB/cpu-s)")


def main():
    args = parse_args()
    if not os.access(args.errpulsed, os.X_OK):
        sys.exit(f"bench.sh: no errpulsed at {args.errpulsed} (build it, or pass --errpulsed)")
    for key, tool in (("mtail", "mtail"), ("mtail1", "mtail"), ("rg", "rg")):
        if key not in args.skip and not shutil.which(tool):
            print(f"bench.sh: {tool} not installed; skipping it", file=sys.stderr)
            args.skip.append(key)
    work = tempfile.mkdtemp(prefix="errpulse-bench-")
    try:
        corpus_dir = args.workdir or work
        os.makedirs(corpus_dir, exist_ok=True)
        log, truth = corpus(corpus_dir, args.lines)
        size = os.path.getsize(log)
        args.corpus_size = size
        if "formats" in args.skip:
            args.skip += FORMAT_KEYS
        wanted = [k for k in FORMATS if k not in args.skip
                  or (k == "clog" and "clog-naive" not in args.skip)]
        args.format_files = format_corpora(log, wanted)
        for key in FORMAT_KEYS:  # a corpus that could not be generated: its row is left out
            if key not in args.skip and ("clog" if key == "clog-naive" else key) not in args.format_files:
                args.skip.append(key)
        args.config = benchlib.write_config(work, benchlib.free_port(), [])
        args.rg_pattern = shipped_union_pattern()
        print(f"errpulsed: {args.errpulsed}; corpus {log}; load before: {load_average()}")
        runs = {key: [] for key, _, _ in TOOLS if key not in args.skip}
        for round_no in range(1, args.runs + 1):
            warm(log)
            for path in args.format_files.values():
                warm(path)
            for key, label, runner in TOOLS:
                if key not in runs:
                    continue
                r = runner(args, log, truth, work)
                runs[key].append(r)
                print(f"  round {round_no} {label:32} cpu {r['cpu']:6.2f} s  wall {r['wall']:6.2f} s"
                      f"  rss {r['rss_kib'] / 1024:6.1f} MiB  load {r['load']}"
                      + ("" if r["counted"] is None else f"  counts {'exact' if r['counted'] else 'WRONG'}"),
                      flush=True)
        results = {key: summarize(rs, size, truth["lines"]) for key, rs in runs.items()}
        print_table(results, size, truth["lines"], truth)
        print(f"load after: {load_average()}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"lines": truth["lines"], "bytes": size, "runs": runs,
                           "medians": results}, f, indent=1)
        wrong = [k for k, s in results.items() if s["counted"] is False]
        print("errpulse and mtail counted exactly the generator's truth:",
              "no: " + ", ".join(wrong) if wrong else "yes")
        return 1 if wrong else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
