#!/usr/bin/python3
"""Writes LiteAV .clog files the way the TRTC/LiteAV SDK does (SDK 9.6+).

A .clog is a raw deflate stream (zlib with a negative window: no header, no
checksum). The SDK compresses each log line and sync-flushes (the empty stored
block 00 00 ff ff) so that the file always ends on a decodable boundary, never
finishes the stream, and appends a new stream to the same file at each process
start.

Usage, as the tests use it:
  clog_writer.py FILE            one process session: every line read from stdin
                                 is compressed, sync-flushed and written to FILE
                                 (appended) at once; EOF ends the session without
                                 finishing the stream, as an app exit does.
  clog_writer.py FILE --batch N  sync-flush after every N lines instead of each.
  clog_writer.py FILE --finish   finish the stream at EOF (Z_FINISH), as a writer
                                 that closes its stream would.
A line "#sleep MS" on stdin pauses; "#cut TEXT" compresses TEXT as a line but
writes only the first half of its bytes and ends the session there (a process
killed in the middle of a write: the next session's stream follows the torn
bytes).
"""
import argparse
import sys
import time
import zlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--finish", action="store_true")
    args = ap.parse_args()
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    pending = 0
    with open(args.file, "ab", buffering=0) as out:
        for raw in iter(sys.stdin.buffer.readline, b""):
            if raw.startswith(b"#sleep "):
                time.sleep(int(raw.split()[1]) / 1000.0)
                continue
            if raw.startswith(b"#cut "):
                data = deflater.compress(raw[len(b"#cut "):]) + deflater.flush(zlib.Z_SYNC_FLUSH)
                out.write(data[: max(1, len(data) // 2)])
                return
            data = deflater.compress(raw if raw.endswith(b"\n") else raw + b"\n")
            pending += 1
            if pending >= args.batch:
                data += deflater.flush(zlib.Z_SYNC_FLUSH)
                pending = 0
            if data:
                out.write(data)
        tail = deflater.flush(zlib.Z_FINISH if args.finish else zlib.Z_SYNC_FLUSH)
        out.write(tail)


if __name__ == "__main__":
    main()
