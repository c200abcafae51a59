#!/usr/bin/python3
"""Seed corpora of the decoder fuzz targets (clog_decoder_fuzz.cc,
xlog_decoder_fuzz.cc, container_decoder_fuzz.cc), written in each target's
input format (see the comment at the top of each target) into
tests/fuzz/corpus/<target>/seed-*: a few well-formed programs with realistic
lines, a damaged one, and raw files built here the writers' way (Python's zlib
and zstandard, as the SDKs use zlib and libzstd).

Also writes tests/fuzz/findings/<target>/<finding>: small inputs that
reproduce the decoder bugs these targets found (named as in
decoder_fuzz_harness.h; all fixed now, kept as regression inputs).
run_fuzzers.sh runs them before fuzzing: one that fails again fails the run
(unless ERRPULSE_FUZZ_TOLERATE names it). Run one by hand, with the decoder's view of it:
  FUZZ_VERBOSE=1 build-fuzz/clog_decoder_fuzz tests/fuzz/findings/clog_decoder/cut-line-reset

The LiteAV sample (/work/shared/reference/samples/LiteAV_C_20230313.clog, or
--sample) is only read for its shape, how many lines the SDK puts in one sync
flush, never copied: the lines are made up here.

Usage: /usr/bin/python3 tests/fuzz/gen_decoder_seeds.py [--sample FILE]
Needs: python3 with zlib and zstandard (Debian python3-zstandard).
Deterministic: the same files every run. Old seed-* files are replaced;
corpus files merged in by libFuzzer (-merge=1) are left alone.
"""
import argparse
import glob
import os
import struct
import zlib

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = "/work/shared/reference/samples/LiteAV_C_20230313.clog"
MAX_LEN = 4096  # run_fuzzers.sh's -max_len: a seed must fit


def liteav_lines(n):
    """Made-up lines in LiteAV's own format, some reporting error codes."""
    files = ["trtc_pipeline.cc:2101", "room_engine.cc:512", "http_client_apple.mm:99",
             "ntp_service_impl.cc:163", "audio_engine.cc:88"]
    texts = ["Initialize success.", "onError(-1301, \"open camera failed\")",
             "Create httpclient:10749890272", "Start NTP time sync",
             "onWarning(1103, \"hardware encode failed\")", "enterRoom roomId:8888 role:20"]
    out = []
    for i in range(n):
        level = "E" if "onError" in texts[i % len(texts)] else "I"
        out.append(f"[{level}][03-13/10:42:{25 + i // 100:02d}.{736 + i % 100:03d}+8.0]"
                   f"[18734,{286219 + i % 7}][{files[i % len(files)]}]{texts[i % len(texts)]}\n")
    return [l.encode() for l in out]


def sample_batches(path):
    """How many lines each sync flush of the sample holds (its first 40 flushes);
    [1, 2, 1, ...] when the sample is not there."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return [1, 2, 1, 1, 3, 1]
    d = zlib.decompressobj(-15)
    sizes = []
    pos = 0
    while len(sizes) < 40:
        marker = data.find(b"\x00\x00\xff\xff", pos)
        if marker < 0:
            break
        text = d.decompress(data[pos:marker + 4])
        pos = marker + 4
        if text:
            sizes.append(max(1, text.count(b"\n")))
    return sizes or [1]


def header(flags, seed=0x1234ABCD):
    return bytes([flags]) + struct.pack("<I", seed)


def write(target, name, data):
    assert len(data) <= MAX_LEN, (target, name, len(data))
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "seed-" + name), "wb") as f:
        f.write(data)


def clean(target):
    for path in glob.glob(os.path.join(HERE, "corpus", target, "seed-*")):
        os.remove(path)


# ---- clog ----

def clog_records(lines, batches, new_session_at=None):
    """Records of clog_decoder_fuzz's program: ctl, length, text; the lines in
    the sample's batches (no flush inside a batch, a sync flush after it)."""
    out = b""
    i = 0
    b = 0
    while i < len(lines):
        n = batches[b % len(batches)]
        b += 1
        for j in range(n):
            if i >= len(lines):
                break
            text = lines[i].rstrip(b"\n")[:255]
            last = j == n - 1 or i == len(lines) - 1
            ctl = 0x08 | (0 if last else 3)  # '\n'; sync flush after the batch
            if last and new_session_at is not None and i == new_session_at:
                ctl |= 0x30 | 0x80  # a new session, new parameters
            out += bytes([ctl, len(text)]) + text
            if ctl & 0x80:
                out += bytes([9, 6])  # level 9, wbits 15
            i += 1
    return out


def raw_clog(lines, torn=False):
    """A .clog the SDK's way: a sync flush per line, never finished; with `torn`,
    the first session's last write is cut short before the second session."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    half = len(lines) // 2
    data = b""
    for line in lines[:half]:
        data += c.compress(line) + c.flush(zlib.Z_SYNC_FLUSH)
    if torn:
        data = data[:-7]
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    for line in lines[half:]:
        data += c.compress(line) + c.flush(zlib.Z_SYNC_FLUSH)
    return data


def clog_seeds(sample):
    t = "clog_decoder"
    clean(t)
    batches = sample_batches(sample)
    lines = liteav_lines(24)
    # well-formed, max 64, 2 restarts; one new session in the middle
    write(t, "wellformed-batches", header(0x10) + bytes([6, 6]) +
          clog_records(lines, batches, new_session_at=11))
    # well-formed, max 16 (everything cut), 4 restarts, finished at the end
    write(t, "wellformed-cut-finished", header(0x04 | 0x30 | 0x40) + bytes([1, 6]) +
          clog_records(lines[:10], [1]))
    # well-formed, mixed flushes (full, partial, block, none)
    rec = b""
    for i, line in enumerate(lines[:12]):
        text = line.rstrip(b"\n")
        rec += bytes([0x08 | [4, 5, 6, 3, 0, 7][i % 6], len(text)]) + text
    write(t, "wellformed-flush-kinds", header(0x0C | 0x10) + bytes([23, 6]) + rec)
    # damaged: a torn write (kind 4) and a flipped byte
    mutations = bytes([2]) + bytes([4]) + struct.pack("<H", 400) + bytes([0]) + \
        bytes([0]) + struct.pack("<H", 900) + bytes([0x40])
    write(t, "damaged-torn-write", header(0x02 | 0x10) + mutations + bytes([6, 6]) +
          clog_records(lines, batches, new_session_at=11))
    # raw files
    write(t, "raw-sdk-two-sessions", header(0x03 | 0x10) + raw_clog(liteav_lines(40)))
    write(t, "raw-torn-write", header(0x03 | 0x20) + raw_clog(liteav_lines(40), torn=True))


# ---- xlog ----

XLOG_MAGIC_INDEX = {0x09: 0, 0x0D: 1, 0x03: 4, 0x04: 5, 0x05: 6, 0x06: 7,
                    0x07: 8, 0x08: 9, 0x0A: 10, 0x0B: 11, 0x0C: 12}


def xlog_block_program(magic, seq, lines, level=6, finish=False):
    """One block of xlog_decoder_fuzz's program."""
    flags = (len(lines) - 1) | (level << 3) | (0x40 if finish else 0)
    out = bytes([XLOG_MAGIC_INDEX[magic], 10 + 24 * 10]) + struct.pack("<H", seq) + bytes([flags])
    for line in lines:
        text = line.rstrip(b"\n")[:127]
        out += bytes([0x80 | len(text)]) + text
    return out


def xlog_block(magic, seq, payload):
    key = 4 if magic <= 0x05 else 64
    return struct.pack("<BHBBI", magic, seq, 10, 10, len(payload)) + bytes(key) + payload + b"\x00"


def deflate_lines(lines):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return b"".join(c.compress(l) + c.flush(zlib.Z_SYNC_FLUSH) for l in lines)


def zstd_lines(lines):
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=16)
    c = zstandard.ZstdCompressor(compression_params=params).compressobj()
    return b"".join(c.compress(l) + c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK) for l in lines)


def xlog_seeds():
    t = "xlog_decoder"
    clean(t)
    lines = liteav_lines(20)
    prog = (xlog_block_program(0x09, 1, lines[0:4]) + xlog_block_program(0x0D, 2, lines[4:8]) +
            xlog_block_program(0x03, 0, lines[8:9]) + xlog_block_program(0x07, 3, lines[9:10]) +
            xlog_block_program(0x05, 5, lines[10:13]) + xlog_block_program(0x09, 6, lines[13:16], finish=True) +
            xlog_block_program(0x0D, 1, lines[16:20], finish=True))
    write(t, "wellformed-mixed", header(0x10) + prog)
    write(t, "wellformed-cut", header(0x04 | 0x30) + prog)
    write(t, "wellformed-sync", header(0x0C) + b"".join(
        xlog_block_program(m, 0, lines[i:i + 1]) for i, m in enumerate([0x06, 0x08, 0x0A, 0x0B, 0x03])))
    mutations = bytes([2]) + bytes([4]) + struct.pack("<H", 300) + bytes([0]) + \
        bytes([2]) + struct.pack("<H", 700) + bytes([5]) + b"\x09\x01\x00\x0a\x0a"
    write(t, "damaged-torn-block", header(0x02 | 0x10) + mutations + prog)
    write(t, "raw-blocks-with-garbage", header(0x03 | 0x10) + xlog_with_garbage(lines, b" "))


def xlog_with_garbage(lines, end):
    """Blocks with garbage between them, the garbage ending in `end`."""
    return (xlog_block(0x09, 1, deflate_lines(lines[0:6])) + xlog_block(0x0D, 2, zstd_lines(lines[6:12])) +
            b"garbage between blocks" + end + xlog_block(0x08, 0, lines[12]) +
            xlog_block(0x09, 4, deflate_lines(lines[13:20])))


# ---- findings ----

def finding(target, name, data):
    directory = os.path.join(HERE, "findings", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def findings():
    """The reproducers; each comment says what the decoder gets wrong."""
    for path in glob.glob(os.path.join(HERE, "findings", "*", "*")):
        os.remove(path)
    # A cut line (max 64) that a finished stream ends inside: its rest, "BBBBBBBBBB\n",
    # comes out as a line after "AAAA...A" (64); want "A"*64, "C\n".
    finding("clog_decoder", "cut-line-reset", header(0x00, 0) + bytes([6, 6]) +
            bytes([0x70, 100]) + b"A" * 100 + bytes([0x08, 10]) + b"B" * 10 + bytes([0x08, 1]) + b"C")
    # The same across two plain 0x08 xlog blocks.
    finding("xlog_decoder", "cut-line-reset", header(0x00, 0) +
            bytes([9, 250]) + struct.pack("<H", 0) + bytes([0]) + bytes([100]) + b"A" * 100 +
            bytes([9, 250]) + struct.pack("<H", 0) + bytes([1]) + bytes([0x80 | 10]) + b"B" * 10 +
            bytes([0x80 | 1]) + b"C")
    # Raw clog: "alpha\n" and "bravo\n" sync-flushed, then an invalid block. Fed
    # in pieces that split bravo's sync marker (file bytes 20-23; seed 38 cuts
    # at 21), "bravo\n" comes out twice.
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    clog = (c.compress(b"alpha\n") + c.flush(zlib.Z_SYNC_FLUSH) + c.compress(b"bravo\n") +
            c.flush(zlib.Z_SYNC_FLUSH) + b"\xff\xff\xff\xff")
    finding("clog_decoder", "clog-split-marker", header(0x03, 38) + clog)
    # Raw xlog: garbage ending in '\n' (0x0A, a magic) before a 0x08 block. A
    # restart at byte 1068 resumes at 943, the '\n', read as a block claiming
    # 22026 bytes: the 8 lines of the two blocks after it never come out.
    finding("xlog_decoder", "xlog-resync-restart",
            header(0x03 | 0x10) + xlog_with_garbage(liteav_lines(20), b"\n"))
    # cri, max 16, the last raw line unterminated and longer than 16: cut at
    # Flush, but lines_cut stays 0.
    finding("container_decoder", "flush-stats", header(0x88, 0) +
            container_program([(0, 0, b"x" * 40)]))


# ---- cri / docker ----

def container_program(records, base=0x5F00_0000):
    """Records of container_decoder_fuzz's program: (ctl, time step, text)."""
    out = struct.pack("<HH", base & 0xFFFF, base >> 16)
    for ctl, step, text in records:
        out += bytes([ctl, step, len(text)]) + text
    return out


def container_seeds():
    t = "container_decoder"
    clean(t)
    lines = [l.rstrip(b"\n") for l in liteav_lines(12)]
    recs = []
    for i, text in enumerate(lines):
        stream = 1 if i % 4 == 3 else 0
        style = i % 8
        if i % 5 == 2:  # a message in two pieces
            recs.append((stream | 2 | (style << 2), 3, text[:30]))
            recs.append((stream | (style << 2), 1, text[30:]))
        else:
            recs.append((stream | (style << 2) | (0x20 if i % 3 == 0 else 0), 7, text))
        if i == 6:
            recs.append((0xE0, 0, b"kubelet: log rotated"))  # a line of neither format
    prog = container_program(recs)
    write(t, "cri-wellformed", header(0x00 | 0x20) + prog)
    write(t, "cri-wellformed-cut", header(0x00 | 0x08 | 0x60) + prog)
    write(t, "docker-wellformed", header(0x01 | 0x20) + prog)
    escapes = container_program([
        (0, 1, b'say "hi" \\ / \t\x01 \x02 \x03 </tag> & more'),
        (2, 1, b"a partial piece ending in a newline\n"),
        (0, 1, b"its end"),
        (1, 2, b"stderr\rline\x00with\x1fcontrols"),
    ])
    write(t, "docker-escapes", header(0x01 | 0x30) + escapes)
    mutations = bytes([1]) + bytes([0]) + struct.pack("<H", 333) + bytes([0x22])
    write(t, "docker-damaged", header(0x01 | 0x04 | 0x20) + mutations + prog)
    raw_cri = b"".join(
        b"2026-12-07T10:12:%02d.123456789Z %s %s %s\n" % (i, b"stderr" if i % 3 == 0 else b"stdout",
                                                          b"P" if i % 4 == 1 else b"F", text)
        for i, text in enumerate(lines))
    write(t, "cri-raw", header(0x06 | 0x20) + raw_cri)
    raw_docker = b"".join(
        b'{"log":"%s%s","stream":"%s","time":"2026-12-07T10:12:%02d.1234Z"}\n' % (
            text.replace(b'"', b'\\"'), b"" if i % 4 == 1 else b"\\n",
            b"stderr" if i % 3 == 0 else b"stdout", i)
        for i, text in enumerate(lines))
    write(t, "docker-raw", header(0x07 | 0x20) + raw_docker)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", default=SAMPLE)
    a = ap.parse_args()
    clog_seeds(a.sample)
    xlog_seeds()
    container_seeds()
    findings()
    for target in ("clog_decoder", "xlog_decoder", "container_decoder"):
        n = len(glob.glob(os.path.join(HERE, "corpus", target, "seed-*")))
        print(f"corpus/{target}: {n} seed files")


if __name__ == "__main__":
    main()
