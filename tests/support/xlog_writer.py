#!/usr/bin/python3
"""Writes mars .xlog blocks the way Tencent's mars xlog appender does, for
errpulse's integration tests (daemon/tail/xlog_decoder.h describes the format).

A block is `magic u8 | seq u16 LE | begin_hour u8 | end_hour u8 | length u32 LE
| key (4 bytes for magics 0x03-0x05, 64 after) | payload | 0x00`:

  0x03 0x06 0x08 0x0A 0x0B  sync: the records as plain text, seq 0
  0x04 0x09                 async: one raw deflate stream, sync-flushed per
                            record, never finished
  0x05                      async, legacy: the same, each flush behind its u16
                            LE length
  0x0D                      async: one zstd frame (window log 16), flushed per
                            record, never ended
  0x07 0x0C                 async, encrypted with the app's key: here random
                            bytes (a reader without the key can only skip it)

As a module: block(magic, records, seq=None, hour=None) -> bytes, and
write(path, data, append=False, partial=False, split=None, pause=0.5).

As a command (records as arguments, or one per line on stdin; a missing final
newline is added to each):
  xlog_writer.py FILE --magic 0x09 --seq 7 '[E][...] code=1001'
  xlog_writer.py FILE --append --magic 0x0D --partial --pause 1 < records.txt
  xlog_writer.py FILE --append --magic 0x07 --size 300     # encrypted block
--partial writes the block in two writes (split at --split, default half the
block), flushed to the file, with --pause seconds between them, the way a
reader may see a block still being written.
"""

import argparse
import os
import sys
import time
import zlib

import zstandard

SYNC_MAGICS = (0x03, 0x06, 0x08, 0x0A, 0x0B)
ENCRYPTED_MAGICS = (0x07, 0x0C)
ALL_MAGICS = SYNC_MAGICS + ENCRYPTED_MAGICS + (0x04, 0x05, 0x09, 0x0D)


def _deflate_flushes(records):
    """One raw deflate stream, one sync-flushed piece per record."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return [deflater.compress(r) + deflater.flush(zlib.Z_SYNC_FLUSH) for r in records]


def _zstd_unended(records):
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=16)
    compressor = zstandard.ZstdCompressor(compression_params=params).compressobj()
    # FLUSH_BLOCK, never FLUSH_FINISH: mars leaves the frame open.
    return b"".join(compressor.compress(r) + compressor.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
                    for r in records)


def payload(magic, records, size=None):
    """The payload of a `magic` block holding `records` (bytes, each ending in \\n)."""
    if magic in SYNC_MAGICS:
        return b"".join(records)
    if magic in (0x04, 0x09):
        return b"".join(_deflate_flushes(records))
    if magic == 0x05:
        return b"".join(len(p).to_bytes(2, "little") + p for p in _deflate_flushes(records))
    if magic == 0x0D:
        return _zstd_unended(records)
    if magic in ENCRYPTED_MAGICS:
        return os.urandom(size if size is not None else max(8, len(b"".join(records))))
    raise ValueError("unknown xlog magic 0x%02x" % magic)


def block(magic, records, seq=None, hour=None, size=None):
    """A whole block. `seq` defaults to 0 for sync magics (as mars writes
    them) and 1 for async ones; `hour` to the local hour."""
    records = [r if r.endswith(b"\n") else r + b"\n"
               for r in (r.encode() if isinstance(r, str) else r for r in records)]
    body = payload(magic, records, size)
    if seq is None:
        seq = 0 if magic in SYNC_MAGICS else 1
    if hour is None:
        hour = time.localtime().tm_hour
    key = bytes(4 if magic <= 0x05 else 64)
    return (bytes([magic]) + seq.to_bytes(2, "little") + bytes([hour, hour]) +
            len(body).to_bytes(4, "little") + key + body + b"\x00")


def write(path, data, append=False, partial=False, split=None, pause=0.5):
    """Writes `data` to `path`; `partial`: in two flushed writes, `pause` apart."""
    with open(path, "ab" if append else "wb") as f:
        if not partial:
            f.write(data)
            return
        cut = len(data) // 2 if split is None else max(0, min(split, len(data)))
        f.write(data[:cut])
        f.flush()
        os.fsync(f.fileno())
        time.sleep(pause)
        f.write(data[cut:])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("records", nargs="*", help="log records (default: stdin lines)")
    parser.add_argument("--magic", type=lambda s: int(s, 0), default=0x09,
                        help="block magic, 0x03-0x0D (default 0x09)")
    parser.add_argument("--seq", type=int, help="sequence number (default: 0 sync, 1 async)")
    parser.add_argument("--hour", type=int, help="begin/end hour (default: now)")
    parser.add_argument("--size", type=int, help="encrypted magics: payload bytes")
    parser.add_argument("--append", action="store_true", help="append instead of truncating")
    parser.add_argument("--partial", action="store_true", help="write the block in two writes")
    parser.add_argument("--split", type=int, help="--partial: bytes in the first write")
    parser.add_argument("--pause", type=float, default=0.5, help="--partial: seconds between")
    args = parser.parse_intermixed_args(argv)
    if args.magic not in ALL_MAGICS:
        parser.error("unknown magic 0x%02x" % args.magic)
    records = args.records
    if not records and args.magic not in ENCRYPTED_MAGICS:
        records = sys.stdin.buffer.read().splitlines(True)
        if not records:
            parser.error("no records")
    data = block(args.magic, records, seq=args.seq, hour=args.hour, size=args.size)
    write(args.file, data, append=args.append, partial=args.partial, split=args.split,
          pause=args.pause)


if __name__ == "__main__":
    main(sys.argv[1:])
