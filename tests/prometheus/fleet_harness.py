# fleet_harness: a real two-host errpulse fleet for the Prometheus checks.
# Starts two errpulsed daemons (the real binary, temp configs, port 0 on
# 127.0.0.1, following copies of data/samples/), scrapes their /metrics, and
# can start a real Prometheus server that scrapes both as job "errpulse" (and
# loads rule files), so queries are evaluated on what the daemon really exports.
# A Fleet owns every process it starts and stops them all on close(); it is not
# thread-safe (one test drives it).
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# The two hosts: source name -> sample files it follows. Together they cover
# every domain, the 60007 surge, a billing code (so an alert fires) and unknown codes.
HOSTS = {
    "host-a": {"rest": ["app-server-rest.log", "surge-rest.log"], "app": ["app-callbacks.log"]},
    "host-b": {"sdk": ["sdk-android-logcat.log", "sdk-ios-console.log"], "im": ["im-native.log"]},
}
JOB = "errpulse"
# Series Prometheus itself adds for every target; queries may use them.
PROMETHEUS_TARGET_SERIES = {"up"}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"instance", "job"}
DEADLINE_S = 60


class HarnessError(RuntimeError):
    pass


def free_port():
    """A port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def parse_exposition(text):
    """Metric name -> set of label names, from Prometheus text format."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s', line)
        if not m:
            raise HarnessError(f"unparsable exposition line: {line!r}")
        labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="(?:\\.|[^"\\])*"', m.group(3) or ""))
        series.setdefault(m.group(1), set()).update(labels)
    return series


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for(what, check, log_path=None):
    """Polls check() until it returns something truthy; fails after DEADLINE_S."""
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    log = open(log_path).read()[-4000:] if log_path and os.path.exists(log_path) else ""
    raise HarnessError(f"timed out waiting for {what}\n{log}")


class Daemon:
    def __init__(self, errpulsed, source_dir, root, sources):
        self.dir = root
        self.log_path = os.path.join(root, "errpulsed.log")
        self.expected_lines = 0
        config = [f"listen: 127.0.0.1:0", f"state_dir: {root}/state", "sources:"]
        for name, samples in sources.items():
            paths = []
            for sample in samples:
                dst = os.path.join(root, sample)
                shutil.copyfile(os.path.join(source_dir, "data", "samples", sample), dst)
                with open(dst, "rb") as f:
                    self.expected_lines += f.read().count(b"\n")
                paths.append(dst)
            config += [f"  - name: {name}", f"    paths: {json.dumps(paths)}",
                       "    start_at: beginning"]
        # A receiver nobody listens on: deliveries fail, so the notification
        # series exist as they do on a host whose Alertmanager is down.
        config += ["alerting:", f"  alertmanagers: [http://127.0.0.1:{free_port()}]",
                   "  evaluation_interval: 1s", "  host: " + os.path.basename(root)]
        self.config_path = os.path.join(root, "errpulse.yaml")
        with open(self.config_path, "w") as f:
            f.write("\n".join(config) + "\n")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([errpulsed, "--config", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = _wait_for(f"errpulsed in {root} to listen", self._port, self.log_path)

    def _port(self):
        if self.proc.poll() is not None:
            raise HarnessError(f"errpulsed exited with {self.proc.returncode}:\n"
                               + open(self.log_path).read()[-4000:])
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(self.log_path).read())
        return int(m.group(1)) if m else None

    def scrape(self):
        return http_get(f"http://127.0.0.1:{self.port}/metrics")[1]

    def counted_everything(self):
        """The scrape, once the daemon has read every line it was given."""
        text = self.scrape()
        lines = sum(float(v) for v in
                    re.findall(r'^errpulse_lines_total\{[^}]*\} (\S+)$', text, re.M))
        return text if lines == self.expected_lines and "errpulse_notifications_total" in text else None

    def append(self, sample, lines):
        """Appends lines to this host's copy of a sample log (a file it follows)."""
        with open(os.path.join(self.dir, sample), "a") as f:
            f.write("".join(line + "\n" for line in lines))

    def stop(self):
        if not self.log.closed:
            _stop(self.proc)
            self.log.close()


class Fleet:
    """Two real errpulsed hosts, optionally a real Prometheus scraping them."""

    def __init__(self, errpulsed, source_dir):
        self.root = tempfile.mkdtemp(prefix="errpulse-fleet-")
        self.daemons = []
        self.prometheus = None
        self.prom_url = None
        try:
            for host, sources in HOSTS.items():
                os.mkdir(os.path.join(self.root, host))
                self.daemons.append(Daemon(errpulsed, source_dir,
                                           os.path.join(self.root, host), sources))
        except BaseException:
            self.close()
            raise

    def scrape(self):
        """Metric name -> label names, over a full scrape of every host, once each has counted all its lines."""
        series = {}
        for d in self.daemons:
            text = _wait_for(f"errpulsed {d.dir} to count {d.expected_lines} lines",
                             d.counted_everything, d.log_path)
            for name, labels in parse_exposition(text).items():
                series.setdefault(name, set()).update(labels)
        return series

    def start_prometheus(self, rule_files=()):
        prom_dir = os.path.join(self.root, "prometheus")
        os.mkdir(prom_dir)
        targets = ", ".join(f"'127.0.0.1:{d.port}'" for d in self.daemons)
        config = os.path.join(prom_dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                    f"rule_files: {json.dumps([os.path.abspath(r) for r in rule_files])}\n"
                    f"scrape_configs:\n  - job_name: {JOB}\n"
                    f"    static_configs: [{{targets: [{targets}]}}]\n")
        port = free_port()
        self.prom_url = f"http://127.0.0.1:{port}"
        log_path = os.path.join(prom_dir, "prometheus.log")
        self.prom_log = open(log_path, "w")
        self.prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={prom_dir}/data",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=self.prom_log, stderr=subprocess.STDOUT)

        def ready():
            if self.prometheus.poll() is not None:
                raise HarnessError("prometheus exited:\n" + open(log_path).read()[-4000:])
            try:
                return http_get(self.prom_url + "/-/ready", timeout=1)[0] == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False
        _wait_for("prometheus to be ready", ready, log_path)
        # rate() needs two samples in its window; three scrapes of each host is plenty.
        hosts = len(self.daemons)
        _wait_for("three scrapes of each host", lambda: self._scalar(
            "count(count_over_time(errpulse_build_info[1m]) >= 3)") == hosts, log_path)

    def _scalar(self, expr):
        status, result = self.query(expr)
        if status != "success" or not result:
            return None
        return float(result[0]["value"][1])

    def query(self, expr):
        """Instant query; returns ("success", result list) or ("error", message)."""
        url = self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            body = json.loads(http_get(url)[1])
        except urllib.error.HTTPError as e:
            body = json.loads(e.read().decode())
        if body.get("status") != "success":
            return "error", f"{body.get('errorType')}: {body.get('error')}"
        return "success", body["data"]["result"]

    def api(self, path):
        return json.loads(http_get(self.prom_url + path)[1])["data"]

    def instance(self, daemon):
        """The instance label Prometheus gives a daemon's series."""
        return f"127.0.0.1:{daemon.port}"

    def wait_for(self, what, check):
        return _wait_for(what, check, self.prom_log.name if self.prometheus else None)

    def close(self):
        if self.prometheus:
            _stop(self.prometheus)
            self.prom_log.close()
        for d in self.daemons:
            d.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def check_on_fleet(errpulsed, source_dir, check):
    """Runs check(fleet) -> problems on a new Fleet, always stopped afterwards."""
    fleet = None
    try:
        fleet = Fleet(errpulsed, source_dir)
        return check(fleet)
    except HarnessError as e:
        return [f"fleet: {e}"]
    finally:
        if fleet:
            fleet.close()


def report(path, problems, ok_message):
    """Prints the problems found in path (or ok_message); returns the exit status."""
    for p in problems:
        print(f"{path}: {p}")
    if problems:
        print(f"FAILED: {len(problems)} problem(s)")
        return 1
    print(ok_message)
    return 0
