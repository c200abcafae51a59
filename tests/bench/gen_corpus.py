#!/usr/bin/env python3
"""Deterministic benchmark corpus for errpulse (issue 6).

What: a realistic mix of lines, the same bytes for the same arguments:
  ~60% live-room SDK client lines in the real formats (LiteAV logcat, IM SDK
       native log, Android logcat, iOS console);
  ~40% app-server lines logging REST API JSON responses (short ones and room
       info responses with a payload);
  ~3% of all lines report an error code, spread uniformly over the catalog
       (client codes in SDK lines, server codes in REST responses, IM codes in
       IM SDK lines); ~33% report code 0 (REST successes, IM logins);
  hard negatives everywhere else (ports, seq, fps, codecMode, HTTP 200,
       MaxSeatCount, line numbers).
Every line carries a time, 1,000 lines per second of log time from
2026-11-26T10:00:00+08:00, written in each format's own way (formats without a
zone are written in UTC, so all lines agree on the instant): alert windows in
`replay` see a steady clock.

--surge: the surge profile. During the middle tenth of the corpus (45%..55%),
10% of the REST responses are 60007 (REST call rate over limit): ~4,000 per
million lines, against ~0.1 per second of log time before and after, so the
shipped RestApiRateLimited and RateLimitSurge rules fire and resolve.

--truth OUT.json: the generator's own ground truth (lines, errors, errors by
code, successes), independent of errpulse, so counts can be checked.

Usage: gen_corpus.py LINES OUT.log [--truth OUT.json] [--seed N] [--surge]
Needs: python3 (stdlib only). Run by tests/bench/bench.sh and live_bench.py.
"""
import argparse, json, random, re, os

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(HERE, "..", "..", "data", "catalog.yaml")
IM_CODES = [6206, 6014, 7013, 8010, 70001, 70009, -10003]


def catalog_codes():
    codes = []
    with open(CATALOG, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*- code: (-?\d+)", line)
            if m:
                codes.append(int(m.group(1)))
    return codes


class Clock:
    """The log time of line i: 1,000 lines per second from 10:00:00 +08:00."""

    def __init__(self, i):
        total_ms = i  # one line per millisecond
        s = total_ms // 1000
        self.ms = total_ms % 1000
        self.sec = s % 60
        self.min = (s // 60) % 60
        self.hour = 10 + (s // 3600) % 10  # local (+08:00) hour; 10 hours before it wraps
        self.utc_hour = self.hour - 8

    def local(self):  # HH:MM:SS.mmm in +08:00
        return f"{self.hour:02d}:{self.min:02d}:{self.sec:02d}.{self.ms:03d}"

    def utc(self):  # HH:MM:SS.mmm in UTC, for formats without a zone
        return f"{self.utc_hour:02d}:{self.min:02d}:{self.sec:02d}.{self.ms:03d}"


def sdk_line(i, r, t, rnd, client_codes, err, success):
    tid = 6000 + i % 400
    if r < 0.012:
        c = rnd.choice(client_codes)
        err(c)
        return (f"I/liteav  (27728): [E][11-26/{t.local()}+8.0][27728,{tid}]"
                f"[room_engine.cc:{100 + i % 900}][room-api][3:1f00]onError({c}, \"operation failed\")")
    if r < 0.018:
        c = rnd.choice(IM_CODES)
        err(c)
        return (f"TIM: 2026-11-26 {t.utc()}/E/22008-22113     /Msg         "
                f"-session_task.cpp.{80 + i % 9}  Decode                                /reg push failed, code {c}, msg")
    if r < 0.024:
        success()
        return (f"TIM: 2026-11-26 {t.utc()}/I/22008-22113     /Common      "
                f"-imcore_manager.cpp.280  operator()                         /Login|code:0|errMsg:")
    if r < 0.30:
        return (f"I/liteav  (27728): [I][11-26/{t.local()}+8.0][27728,{tid}]"
                f"[trtc_pipeline2.cc:128][trtc-api][3:1f00]setVideoEncoderParam width:368, height:640, "
                f"fps:15, bitrate:{400 + i % 300}, seq:{i}")
    if r < 0.45:
        return (f"11-26 {t.utc()} 27639-27684/com.app.live I/Unknow: [TRTCNetwork.cpp, operator, 903]:"
                f"TRTCNetwork: set video encode config:stream:2 br:450 fps:15 width:368 height:640,codecMode:0")
    return (f"2026-11-26 {t.local()}000+0800 LiveApp[1261:824734] [I][TRTCProtocolProcess.cpp, "
            f"requestACCIPandSign, 148]:Signal: requestACCIPandSign: seq:{117836059 + i} groupid:8888, "
            f"role:20, server:ip:162.14.23.140 port:8000 type:0, scene:1")


def server_line(i, r, t, code, err, success):
    """A REST response logged by the app server; code None = a success."""
    req = f"Id-{(i * 2654435761) % (1 << 128):032x}-O-Seq-{i % 100000}"
    head = (f"2026-11-26T{t.local()}+08:00 INFO  [http-nio-8080-exec-{i % 16}] "
            f"c.a.l.RoomClient - rest response (HTTP 200, {i % 40} ms): ")
    if code:
        err(code)
        return head + (f'{{"ActionStatus":"FAIL","ErrorInfo":"request failed","ErrorCode":{code},'
                       f'"RequestId":"{req}"}}')
    success()
    if r < 0.80:
        return head + f'{{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"{req}"}}'
    return head + (f'{{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"{req}",'
                   f'"Response":{{"RoomInfo":{{"RoomId":"live_{100000 + i % 5000}","RoomType":"Live",'
                   f'"MaxSeatCount":8,"OnlineCount":{i % 700},"CreateTime":{1795312800 + i // 1000},'
                   f'"IsMessageDisabled":false}}}}}}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lines", type=int)
    ap.add_argument("out")
    ap.add_argument("--truth")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--surge", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    codes = catalog_codes()
    client = [c for c in codes if c < 0]
    server = [c for c in codes if c > 0]
    truth = {"lines": 0, "errors": 0, "successes": 0, "by_code": {}}

    def err(code):
        truth["errors"] += 1
        truth["by_code"][str(code)] = truth["by_code"].get(str(code), 0) + 1

    def success():
        truth["successes"] += 1

    with open(a.out, "w", encoding="utf-8") as out:
        for i in range(a.lines):
            t = Clock(i)
            r = rnd.random()
            if r < 0.60:
                line = sdk_line(i, r, t, rnd, client, err, success)
            else:
                surge = a.surge and a.lines * 0.45 <= i < a.lines * 0.55
                if surge and rnd.random() < 0.10:
                    code = 60007
                elif r < 0.612:
                    code = rnd.choice(server)
                else:
                    code = None
                line = server_line(i, r, t, code, err, success)
            out.write(line + "\n")
            truth["lines"] += 1
    if a.truth:
        with open(a.truth, "w") as f:
            json.dump(truth, f, sort_keys=True)


if __name__ == "__main__":
    main()
