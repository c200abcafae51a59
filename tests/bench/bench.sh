#!/usr/bin/env bash
# errpulse's whole-process benchmark (issue 6). Run by hand, never in CTest.
#
# What: in one run, on one deterministic corpus (tests/bench/gen_corpus.py:
# 60% SDK client lines, 40% REST JSON responses, 3% error lines over the whole
# catalog), it measures
#   1. errpulsed replay --json --no-alerts CORPUS, and once more with the
#      shipped alert rules backtested;
#   2. the live daemon tailing the corpus from its beginning (a temp config:
#      one source, start_at: beginning, a free 127.0.0.1 port, state in a temp
#      dir): time from its start until errpulse_lines_total on /metrics (polled
#      every --live-poll-ms, 50 by default) reaches the corpus's line count; CPU from /proc/PID/stat
#      and peak RSS (VmHWM) at that moment;
#   3. mtail --one_shot running tests/bench/mtail/errpulse_equiv.mtail, as
#      installed and with GOMAXPROCS=1 (on 2 cores Go spends ~25% more CPU);
#   4. rg -c with the union of rules/codes.yaml's patterns (the scan ceiling);
#   5. cat CORPUS > /dev/null (the I/O ceiling);
#   6. the decoded formats: the same corpus written as a LiteAV .clog (raw
#      deflate, a sync flush per line, never finished), as mars .xlog async
#      blocks of ~64 KiB (0x09 deflate; 0x0D zstd), as CRI lines and as docker
#      json-file lines (tests/bench/gen_formats.py; generated once beside the
#      corpus, about a minute for 2,000,000 lines), each through errpulsed
#      replay --no-alerts --format F; and the .clog the naive way, Python's
#      zlib inflating it to a file that plain replay then reads (CPU of both);
#      their MB/cpu-s count the decoded text (the plain corpus's bytes), so
#      "x replay" is the decoding's cost against plain text;
# each --runs times (default 3) in interleaved rounds after warming the page
# cache, and prints the medians: CPU s (user + sys), wall s, MB per CPU-second,
# lines per CPU-second and per wall second, peak RSS, each tool's throughput
# relative to errpulse replay, the 1-minute load at each run, and the issue's
# targets (clog >= 400 MB/cpu-s of text; cri and docker >= 70% of plain). It
# checks that errpulse (replay, live and every format) and mtail counted
# exactly the generator's truth (errors by code, successes) and exits 1 if one
# did not.
# Prefer the CPU figures on a shared machine: wall time moves with the load.
#
# How:  bash tests/bench/bench.sh [--lines N] [--runs N] [--errpulsed PATH]
#                                 [--workdir DIR] [--skip TOOL] [--json FILE]
#                                 [--live-poll-ms MS] [--live-config 'KEY: VALUE']
#   --errpulsed  the binary to measure (default build/errpulsed), so any build
#                can be compared on the same corpus;
#   --workdir    keeps the corpus there and reuses it next time (it is named by
#                line count and generator version); default: a temp dir;
#   --skip       replay | alerts | live | mtail | mtail1 | rg | cat | clog |
#                clog-naive | xlog-zlib | xlog-zstd | cri | docker, or formats
#                (all of the decoded-format rows);
#   --live-config a top-level config line for the live daemon, e.g.
#                'scan_threads: 1' (repeatable).
# A 2,000,000-line run takes about 7 minutes on 2 cores (mtail is most of it),
# plus about 1.5 minutes for the format rows (their corpora take ~3x the plain
# corpus's disk space; --workdir keeps them for the next run).
#
# Needs: a Release build of errpulsed (cmake -DCMAKE_BUILD_TYPE=Release;
# ninja -C build errpulsed), python3, GNU time (/usr/bin/time), and Debian's
# mtail and ripgrep (apt-get install mtail ripgrep; a missing one is skipped);
# the xlog-zstd row needs python3-zstandard (found in /usr/bin/python3 when
# the python3 on PATH lacks it; skipped without).
set -euo pipefail
exec python3 "$(dirname "$0")/bench.py" "$@"
