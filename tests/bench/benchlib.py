"""benchlib: what errpulse's whole-process benchmarks share (tests/bench/bench.py,
tests/bench/live_bench.py).

Starts the real errpulsed on a temporary config (127.0.0.1, a free port, state
in a temporary directory), scrapes /metrics over real HTTP with keep-alive off,
and reads a process's CPU time and peak RSS from /proc. Python 3 stdlib only;
Linux only. Keeps no state between calls; a Daemon belongs to the thread that
started it.
"""
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def load_average():
    """The 1, 5 and 15 minute load averages, as uptime prints them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_seconds(pid, tid=None):
    """User + system CPU seconds of a process (or of one of its threads)."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def run_time_seconds(pid):
    """CPU seconds of all of a process's live threads, to the nanosecond, from
    /proc/PID/task/*/schedstat (the first field: time spent on a CPU). For
    short windows, where /proc/PID/stat's 10 ms ticks are too coarse."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total / 1e9


def status_kib(pid, key):
    """A 'kB' field of /proc/PID/status: VmHWM (peak RSS), VmRSS."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def stop_process(proc):
    """SIGTERM, up to 15 s to exit, then SIGKILL; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def run_cleanup(steps):
    """Runs clean-up steps newest first; one failing does not stop the rest."""
    for step in reversed(steps):
        try:
            step()
        except Exception as e:  # keep cleaning up
            print(f"  cleanup: {e!r}", file=sys.stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values):
    return statistics.median(values)


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def write_config(directory, port, sources, extra=""):
    """Writes directory/errpulse.yaml: the repository's catalog and rules, the
    given sources [(name, [paths], start_at)], and extra YAML lines."""
    lines = [f"listen: 127.0.0.1:{port}",
             f"state_dir: {directory}/state",
             f"catalog: [{REPO}/data/catalog.yaml]",
             f"rules: ['{REPO}/rules/*.yaml']"]
    lines += extra.splitlines()
    lines.append("sources:" if sources else "sources: []")
    for name, paths, start_at in sources:
        quoted = ", ".join(f"'{p}'" for p in paths)
        lines += [f"  - name: {name}", f"    paths: [{quoted}]", f"    start_at: {start_at}"]
    path = os.path.join(directory, "errpulse.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def http_get(port, path="/metrics", timeout=5.0):
    """GET over a fresh connection (Connection: close); returns the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return body
    finally:
        conn.close()


SERIES = re.compile(rb"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", re.M)
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(body):
    """[(name, {label: value}, float)] of a Prometheus text exposition."""
    out = []
    for m in SERIES.finditer(body):
        labels = dict(LABEL.findall(m.group(2).decode())) if m.group(2) else {}
        out.append((m.group(1).decode(), labels, float(m.group(3))))
    return out


def metric_sum(body, name, **labels):
    """Sum of the series of `name` whose labels include `labels`."""
    return sum(v for n, l, v in parse_metrics(body)
               if n == name and all(l.get(k) == want for k, want in labels.items()))


def counts_from_metrics(body, source):
    """(errors by code, successes) of one source, as /metrics shows them."""
    by_code = {}
    for name, labels, value in parse_metrics(body):
        if name == "errpulse_errors_total" and labels.get("source") == source and value:
            by_code[labels["code"]] = by_code.get(labels["code"], 0) + int(value)
    return by_code, int(metric_sum(body, "errpulse_successes_total", source=source))


def lines_total(body, source):
    m = re.search(rb'^errpulse_lines_total\{source="' + re.escape(source.encode()) + rb'"\} (\S+)$',
                  body, re.M)
    return int(float(m.group(1))) if m else 0


class Daemon:
    """errpulsed running on a config; its log goes to directory/errpulsed.log.
    Use as a context manager: it is stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, binary, config, port, directory):
        self.port = port
        self.log_path = os.path.join(directory, "errpulsed.log")
        self.started_at = time.monotonic()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([binary, "--config", config], stdout=log,
                                         stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def wait_ready(self, timeout=30.0, interval=0.01):
        """Waits until /metrics answers; returns the seconds since the start."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                http_get(self.port, timeout=1.0)
                return time.monotonic() - self.started_at
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"errpulsed not ready after {timeout}s; see {self.log_path}")
                time.sleep(interval)

    def check_alive(self):
        if self.proc.poll() is not None:
            with open(self.log_path) as f:
                tail = f.read()[-2000:]
            raise RuntimeError(f"errpulsed exited with {self.proc.returncode}:\n{tail}")

    def cpu(self):
        return cpu_seconds(self.pid)

    def pipeline_cpu(self):
        """CPU of the main thread, which runs reading, matching and counting."""
        return cpu_seconds(self.pid, self.pid)

    def peak_rss_kib(self):
        return status_kib(self.pid, "VmHWM")

    def stop(self):
        return stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
