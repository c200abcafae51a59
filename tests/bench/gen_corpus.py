#!/usr/bin/env python3
"""Deterministic benchmark corpus for errpulse: a realistic mix of live-room
SDK client lines (~60%, in the real LiteAV / IM SDK / UI-kit formats) and app
server REST API responses (~40%), with ~3% of lines reporting an error code
spread over the catalog, plus successes and hard negatives (ports, seq, fps,
line numbers, HTTP statuses).

Usage: gen_corpus.py LINES OUT.log [--truth OUT.json] [--seed N] [--surge]
--truth writes the generator's own ground truth (lines, errors by code,
successes), independent of errpulse, so counts can be checked.
--surge adds a 60007 burst in the middle (10% of the REST lines of one tenth).
"""
import argparse, json, random, re, os

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(HERE, "..", "..", "data", "catalog.yaml")

def catalog_codes():
    codes = []
    with open(CATALOG, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*- code: (-?\d+)", line)
            if m:
                codes.append(int(m.group(1)))
    return codes

def main():
    ap = argparse.ArgumentParser()
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
    im_codes = [6206, 6014, 7013, 8010, 70001, 70009, -10003]
    truth = {"lines": 0, "errors": 0, "successes": 0, "by_code": {}}

    def err(code):
        truth["errors"] += 1
        truth["by_code"][str(code)] = truth["by_code"].get(str(code), 0) + 1

    with open(a.out, "w", encoding="utf-8") as out:
        for i in range(a.lines):
            sec, ms = (i // 1000) % 60, i % 1000
            hh = 10 + (i // 3600000) % 10
            mm = (i // 60000) % 60
            r = rnd.random()
            surge = a.surge and a.lines * 0.45 <= i < a.lines * 0.55
            if r < 0.60:  # SDK client lines
                tid = 6000 + i % 400
                if r < 0.012:
                    c = rnd.choice(client)
                    err(c)
                    line = (f"I/liteav  (27728): [E][11-26/{hh}:{mm:02d}:{sec:02d}.{ms:03d}+8.0][27728,{tid}]"
                            f"[room_engine.cc:{100 + i % 900}][room-api][3:1f00]onError({c}, \"operation failed\")")
                elif r < 0.018:
                    c = rnd.choice(im_codes)
                    err(c)
                    line = (f"TIM: 2026-11-26 {hh}:{mm:02d}:{sec:02d}.{ms:03d}/E/22008-22113     /Msg         "
                            f"-session_task.cpp.{80 + i % 9}  Decode                                /reg push failed, code {c}, msg")
                elif r < 0.024:
                    truth["successes"] += 1
                    line = (f"TIM: 2026-11-26 {hh}:{mm:02d}:{sec:02d}.{ms:03d}/I/22008-22113     /Common      "
                            f"-imcore_manager.cpp.280  operator()                         /Login|code:0|errMsg:")
                elif r < 0.30:
                    line = (f"I/liteav  (27728): [I][11-26/{hh}:{mm:02d}:{sec:02d}.{ms:03d}+8.0][27728,{tid}]"
                            f"[trtc_pipeline2.cc:128][trtc-api][3:1f00]setVideoEncoderParam width:368, height:640, "
                            f"fps:15, bitrate:{400 + i % 300}, seq:{i}")
                elif r < 0.45:
                    line = (f"03-15 17:19:{sec:02d}.{ms:03d} 27639-27684/com.app.live I/Unknow: [TRTCNetwork.cpp, operator, 903]:"
                            f"TRTCNetwork: set video encode config:stream:2 br:450 fps:15 width:368 height:640,codecMode:0")
                else:
                    line = (f"2026-11-26 {hh}:{mm:02d}:{sec:02d}.{ms:03d}+0800 LiveApp[1261:824734] [I][TRTCProtocolProcess.cpp, "
                            f"requestACCIPandSign, 148]:Signal: requestACCIPandSign: seq:{117836059 + i} groupid:8888, "
                            f"role:20, server:ip:162.14.23.140 port:8000 type:0, scene:1")
            else:  # REST responses logged by the app server
                req = f"Id-{(i * 2654435761) % (1 << 128):032x}-O-Seq-{i % 100000}"
                if surge and rnd.random() < 0.10:
                    c = 60007
                elif r < 0.612:
                    c = rnd.choice(server)
                else:
                    c = 0
                ts = f"2026-11-26T{hh}:{mm:02d}:{sec:02d}.{ms:03d}+08:00"
                if c:
                    err(c)
                    line = (f'{ts} INFO  [http-nio-8080-exec-{i % 16}] c.a.l.RoomClient - rest response: '
                            f'{{"ActionStatus":"FAIL","ErrorInfo":"request failed","ErrorCode":{c},"RequestId":"{req}"}}')
                elif r < 0.80:
                    truth["successes"] += 1
                    line = (f'{ts} INFO  [http-nio-8080-exec-{i % 16}] c.a.l.RoomClient - rest response: '
                            f'{{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"{req}"}}')
                else:
                    line = (f'{ts} INFO  [http-nio-8080-exec-{i % 16}] o.a.c.AccessLog - 10.0.{i % 255}.7 '
                            f'"POST /v4/live_engine_http_srv/get_room_info HTTP/1.1" 200 {180 + i % 90} {i % 40}ms')
            out.write(line + "\n")
            truth["lines"] += 1
    if a.truth:
        with open(a.truth, "w") as f:
            json.dump(truth, f, sort_keys=True)

if __name__ == "__main__":
    main()
