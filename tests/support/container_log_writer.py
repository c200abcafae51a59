#!/usr/bin/python3
"""Appends container log lines to a file the way the container runtimes do.

For integration tests of errpulse's `cri` and `docker` formats
(daemon/tail/container_decoder.h):

  cri     containerd (and CRI-O's conmon) under kubelet,
          /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log:
            2026-12-07T10:12:09.123456789Z stdout F message
          A message line longer than 16 KiB is cut into `P` pieces ended by
          an `F` piece. containerd writes Go's RFC3339Nano (trailing zeros
          trimmed), conmon nine digits and a numeric offset (--crio).
  docker  dockerd's json-file driver, /var/lib/docker/containers/<id>/<id>-json.log:
            {"log":"message\\n","stream":"stdout","time":"2026-12-07T10:12:09.123456789Z"}
          `log` escaped as dockerd does (", \\, \\n, \\r, \\t, other controls,
          <, >, & and U+2028/9 as \\uXXXX); a message line over 16 KiB becomes
          several entries, only the last ending in "\\n".

A message holding newlines becomes one message per line, as the runtimes see
a process's output. Each raw line is written with one write() call, or with
two and a pause between them (split_pause), to show a reader a line that is
half written.

Module use:
    import container_log_writer as clw
    clw.append(path, clw.cri_lines("ERROR 60007", stream="stderr"))
    clw.append(path, clw.docker_lines("x" * 40000), split_pause=0.2)

Command line:
    container_log_writer.py --format cri|docker [--stream stdout|stderr]
        [--piece-bytes 16384] [--time RFC3339] [--crio]
        [--split-pause SECONDS] [--split-at BYTES] PATH [MESSAGE ...]
    With no MESSAGE, each line of standard input is one.
"""

import argparse
import os
import sys
import time

PIECE_BYTES = 16 * 1024  # containerd's max_container_log_line_size, dockerd's buffer


def rfc3339(ns=None, offset_minutes=0, fixed_nanos=False):
    """`ns` (since the epoch; now by default) as RFC 3339 in a zone
    `offset_minutes` east of UTC: Go's RFC3339Nano (dockerd, containerd), or
    with `fixed_nanos` nine digits and +HH:MM even at UTC (conmon)."""
    if ns is None:
        ns = time.time_ns()
    local = ns + offset_minutes * 60 * 10**9
    seconds, nanos = divmod(local, 10**9)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fixed_nanos:
        text += ".%09d" % nanos
    elif nanos:
        text += (".%09d" % nanos).rstrip("0")
    if offset_minutes == 0 and not fixed_nanos:
        return text + "Z"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return "%s%s%02d:%02d" % (text, sign, hours, minutes)


def _as_bytes(message):
    return message.encode("utf-8") if isinstance(message, str) else bytes(message)


def _pieces(message, piece_bytes):
    """The runtime's view of `message`: per line, its chunks of at most
    `piece_bytes` (at least one, possibly empty), as (chunk, is_last)."""
    for line in _as_bytes(message).split(b"\n"):
        chunks = [line[i:i + piece_bytes] for i in range(0, len(line), piece_bytes)] or [b""]
        for i, chunk in enumerate(chunks):
            yield chunk, i == len(chunks) - 1


def cri_lines(message, stream="stdout", timestamp=None, piece_bytes=PIECE_BYTES):
    """Raw CRI lines (bytes, each ending in \\n) for `message`."""
    stamp = (timestamp or rfc3339()).encode()
    prefix = stamp + b" " + stream.encode() + b" "
    return [prefix + (b"F " if last else b"P ") + chunk + b"\n"
            for chunk, last in _pieces(message, piece_bytes)]


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def docker_escape(data):
    """`data` (bytes) as the contents of a JSON string, as dockerd writes
    it. Invalid UTF-8 becomes U+FFFD."""
    out = []
    for c in data.decode("utf-8", errors="replace"):
        if c in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[c])
        elif ord(c) < 0x20 or c in "<>&\u2028\u2029":
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def docker_lines(message, stream="stdout", timestamp=None, piece_bytes=PIECE_BYTES):
    """Raw json-file lines (bytes, each ending in \\n) for `message`."""
    stamp = timestamp or rfc3339()
    lines = []
    for chunk, last in _pieces(message, piece_bytes):
        log = docker_escape(chunk) + ("\\n" if last else "")
        entry = '{"log":"%s","stream":"%s","time":"%s"}\n' % (log, stream, stamp)
        lines.append(entry.encode("utf-8"))
    return lines


def append(path, lines, split_pause=None, split_at=None):
    """Appends the raw `lines` to `path`, one write() each; with
    `split_pause` (seconds), each in two write()s with that pause between,
    cut at byte `split_at` (default: the middle)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for line in lines:
            if split_pause is None:
                os.write(fd, line)
                continue
            cut = len(line) // 2 if split_at is None else max(0, min(split_at, len(line)))
            os.write(fd, line[:cut])
            time.sleep(split_pause)
            os.write(fd, line[cut:])
    finally:
        os.close(fd)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--format", choices=("cri", "docker"), required=True)
    parser.add_argument("--stream", choices=("stdout", "stderr"), default="stdout")
    parser.add_argument("--piece-bytes", type=int, default=PIECE_BYTES)
    parser.add_argument("--time", help="the timestamp to write, as is (default: now)")
    parser.add_argument("--crio", action="store_true",
                        help="cri: conmon's timestamps (nine digits, +00:00)")
    parser.add_argument("--split-pause", type=float,
                        help="write each line in two parts, pausing this many seconds")
    parser.add_argument("--split-at", type=int, help="where to cut a line (default: middle)")
    parser.add_argument("path")
    parser.add_argument("message", nargs="*")
    args = parser.parse_args(argv)
    messages = args.message or [line.rstrip("\n") for line in sys.stdin]
    make = cri_lines if args.format == "cri" else docker_lines
    lines = []
    for message in messages:
        stamp = args.time or rfc3339(fixed_nanos=args.crio)
        lines += make(message, args.stream, stamp, args.piece_bytes)
    append(args.path, lines, args.split_pause, args.split_at)
    return 0


if __name__ == "__main__":
    sys.exit(main())
