#!/usr/bin/env python3
"""The whole-process benchmark of issue 6; run it through tests/bench/bench.sh,
whose header says what it measures, how, and what it needs.

One run, one corpus: errpulse replay (without and with the shipped alert
rules), the live daemon tailing the corpus from its beginning, mtail
--one_shot, rg -c and cat, each `--runs` times in interleaved rounds; prints
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
                    choices=["replay", "alerts", "live", "mtail", "mtail1", "rg", "cat"],
                    help="leave a tool out (repeatable)")
    ap.add_argument("--json", help="also write every run's raw figures to this file")
    ap.add_argument("--live-poll-ms", type=float, default=50,
                    help="live daemon: how often /metrics is polled for the line count (default "
                         "50; every 10 ms the polls cost the daemon and the harness a third of "
                         "a core on 2 cores)")
    ap.add_argument("--live-config", action="append", default=[], metavar="YAML",
                    help="live daemon: a top-level config line, e.g. 'scan_threads: 1' (repeatable)")
    return ap.parse_args()


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
        args.config = benchlib.write_config(work, benchlib.free_port(), [])
        args.rg_pattern = shipped_union_pattern()
        print(f"errpulsed: {args.errpulsed}; corpus {log}; load before: {load_average()}")
        runs = {key: [] for key, _, _ in TOOLS if key not in args.skip}
        for round_no in range(1, args.runs + 1):
            warm(log)
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
