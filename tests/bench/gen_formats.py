#!/usr/bin/env python3
"""gen_formats.py: the benchmark corpus (gen_corpus.py's plain text) rewritten
as the non-plain log formats errpulse decodes, for bench.sh's format rows.
Every format's decoded text is the plain corpus byte for byte, so the rows
measure the same matching work plus the decoding, and count the same truth.

  clog         LiteAV SDK .clog, written the SDK's way: raw deflate (wbits
               -15, zlib's default level), Z_SYNC_FLUSH after every line, the
               stream never finished; a new stream (a new "process session")
               every --session-lines lines, appended after the old one's sync
               flush.
  xlog-zlib    mars .xlog of async blocks of magic 0x09: a fresh raw deflate
               stream per block, sync-flushed after every line and never
               finished; a block is closed once its payload reaches
               --block-bytes (64 KiB). Header: magic, seq (1..65535, 0
               skipped), begin/end hour, length, a 64-byte key (zeros).
  xlog-zstd    the same with magic 0x0D: a zstd frame per block (level 3,
               window log 16 as mars uses), flushed (ZSTD_e_flush) after every
               line and never ended.
  cri          `2026-12-07T10:12:09.123456789Z stdout F <line>` per line (one
               line per millisecond of log time; 1 in 10 on stderr).
  docker       dockerd json-file: `{"log":"<line>\\n","stream":"stdout",
               "time":"2026-12-07T10:12:09.123456789Z"}` per line, the line
               escaped as Go's encoding/json does (<, >, & as \\u003c...).

Usage: gen_formats.py FORMAT PLAIN.log OUT [--session-lines N] [--block-bytes N]
Needs: python3; xlog-zstd needs the zstandard module (Debian python3-zstandard;
bench.py runs this script with a python3 that has it).
"""
import argparse
import json
import os
import struct
import sys
import zlib

CHUNK = 1 << 16  # lines are written out in batches of about this many bytes


def lines_of(path):
    with open(path, "rb") as f:
        for line in f:
            yield line


def gen_clog(plain, out, session_lines):
    c = None
    buf = []
    size = 0
    for i, line in enumerate(lines_of(plain)):
        if i % session_lines == 0:
            c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        piece = c.compress(line) + c.flush(zlib.Z_SYNC_FLUSH)
        buf.append(piece)
        size += len(piece)
        if size >= CHUNK:
            out.write(b"".join(buf))
            buf, size = [], 0
    out.write(b"".join(buf))


class XlogWriter:
    """Async blocks of one magic; `fresh()` makes a block's compressor, whose
    `compress(line)` returns the bytes of that line, flushed."""

    def __init__(self, out, magic, fresh, block_bytes):
        self.out, self.magic, self.fresh, self.block_bytes = out, magic, fresh, block_bytes
        self.seq = 0
        self.payload = []
        self.size = 0
        self.compress = fresh()

    def line(self, data):
        piece = self.compress(data)
        self.payload.append(piece)
        self.size += len(piece)
        if self.size >= self.block_bytes:
            self.close_block()

    def close_block(self):
        if not self.payload:
            return
        self.seq = 1 if self.seq >= 0xFFFF else self.seq + 1
        payload = b"".join(self.payload)
        header = struct.pack("<BHBBI", self.magic, self.seq, 10, 10, len(payload)) + bytes(64)
        self.out.write(header + payload + b"\x00")
        self.payload, self.size = [], 0
        self.compress = self.fresh()


def deflate_block():
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return lambda data: c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def zstd_block():
    import zstandard
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=16)
    c = zstandard.ZstdCompressor(compression_params=params).compressobj()
    flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
    return lambda data: c.compress(data) + c.flush(flush)


def gen_xlog(plain, out, magic, fresh, block_bytes):
    w = XlogWriter(out, magic, fresh, block_bytes)
    for line in lines_of(plain):
        w.line(line)
    w.close_block()


def timestamps():
    """RFC 3339 UTC with nanoseconds, one line per millisecond from
    2026-12-07T10:00:00Z (each line's own sub-millisecond digits)."""
    i = 0
    while True:
        s, ms = divmod(i, 1000)
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        yield (f"2026-12-07T{10 + h % 14:02d}:{m:02d}:{sec:02d}."
               f"{ms:03d}{(i * 7919) % 1000000:06d}Z").encode()
        i += 1


def gen_cri(plain, out):
    buf = []
    size = 0
    for i, (ts, line) in enumerate(zip(timestamps(), lines_of(plain))):
        stream = b" stderr F " if i % 10 == 9 else b" stdout F "
        buf.append(ts + stream + line)
        size += len(buf[-1])
        if size >= CHUNK:
            out.write(b"".join(buf))
            buf, size = [], 0
    out.write(b"".join(buf))


GO_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def gen_docker(plain, out):
    buf = []
    size = 0
    for i, (ts, line) in enumerate(zip(timestamps(), lines_of(plain))):
        text = line.decode("utf-8", errors="surrogateescape")
        log = json.dumps(text, ensure_ascii=False).translate(GO_HTML)
        stream = "stderr" if i % 10 == 9 else "stdout"
        entry = f'{{"log":{log},"stream":"{stream}","time":"{ts.decode()}"}}\n'
        buf.append(entry.encode("utf-8", errors="surrogateescape"))
        size += len(buf[-1])
        if size >= CHUNK:
            out.write(b"".join(buf))
            buf, size = [], 0
    out.write(b"".join(buf))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("format", choices=["clog", "xlog-zlib", "xlog-zstd", "cri", "docker"])
    ap.add_argument("plain")
    ap.add_argument("out")
    ap.add_argument("--session-lines", type=int, default=500_000)
    ap.add_argument("--block-bytes", type=int, default=64 << 10)
    a = ap.parse_args()
    tmp = a.out + ".part"
    with open(tmp, "wb") as out:
        if a.format == "clog":
            gen_clog(a.plain, out, a.session_lines)
        elif a.format == "xlog-zlib":
            gen_xlog(a.plain, out, 0x09, deflate_block, a.block_bytes)
        elif a.format == "xlog-zstd":
            gen_xlog(a.plain, out, 0x0D, zstd_block, a.block_bytes)
        elif a.format == "cri":
            gen_cri(a.plain, out)
        else:
            gen_docker(a.plain, out)
    os.replace(tmp, a.out)


if __name__ == "__main__":
    sys.exit(main())
