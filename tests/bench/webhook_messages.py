#!/usr/bin/env python3
"""How many robot messages a surge costs: errpulsed with one Feishu-format
webhook pointed at a local robot (always answering success), a surge of N
distinct error codes written in a few batches, then the codes keep
occurring for --seconds; prints the messages the robot received and when.

    python3 tests/bench/webhook_messages.py --errpulsed build/errpulsed \
        --codes 40 --seconds 180 [--extra 'group_wait: 10s']

Run it with two binaries (before and after a change) to compare.
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


class Robot(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Robot.received.append((time.monotonic(), body))
        answer = b'{"code":0,"msg":"success"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--errpulsed", required=True)
    p.add_argument("--codes", type=int, default=40)
    p.add_argument("--seconds", type=float, default=180)
    p.add_argument("--extra", default="", help="more webhook keys, e.g. 'group_wait: 10s'")
    args = p.parse_args()
    robot = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=robot.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="webhook-messages-")
    log = os.path.join(work, "app.log")
    open(log, "w").close()
    port = benchlib.free_port()
    extra = (", " + args.extra) if args.extra else ""
    config = os.path.join(work, "errpulse.yaml")
    with open(config, "w") as f:
        f.write(f"listen: 127.0.0.1:{port}\nstate_dir: {work}/state\n"
                f"alerting:\n  webhooks:\n    - {{ name: robot, url: "
                f"\"http://127.0.0.1:{robot.server_address[1]}/hook\", format: feishu{extra} }}\n"
                "alerts:\n  - alert: CodeSurge\n    match: { domains: [rest_common, rest_room, "
                "unknown] }\n    by: [code]\n    window: 1m\n    threshold: 2\n"
                f"sources:\n  - name: rest\n    paths: [{log}]\n    start_at: beginning\n")
    daemon = subprocess.Popen([args.errpulsed, "--config", config],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cleanup = [lambda: benchlib.stop_process(daemon), robot.shutdown]
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                benchlib.http_get(port, "/-/ready")
                break
            except (OSError, RuntimeError):
                time.sleep(0.1)
        codes = [60100 + c for c in range(args.codes)]
        start = time.monotonic()
        # The surge arrives in four batches a quarter of a second apart, then
        # every code keeps occurring every few seconds.
        for i in range(0, len(codes), max(1, len(codes) // 4)):
            with open(log, "a") as f:
                for code in codes[i:i + max(1, len(codes) // 4)]:
                    f.write(f'{{"ErrorCode":{code}}}\n' * 2)
            time.sleep(0.25)
        while time.monotonic() - start < args.seconds:
            with open(log, "a") as f:
                for code in codes:
                    f.write(f'{{"ErrorCode":{code}}}\n')
            time.sleep(5)
        time.sleep(2)
    finally:
        benchlib.run_cleanup(cleanup)
    times = [round(t - start, 1) for t, _ in Robot.received]
    listed = [json.loads(b)["content"]["text"].count("[FIRING]") for _, b in Robot.received]
    print(json.dumps({"errpulsed": args.errpulsed, "codes": args.codes, "seconds": args.seconds,
                      "messages": len(times), "at_seconds": times,
                      "alerts_listed_per_message": listed}))


if __name__ == "__main__":
    main()
