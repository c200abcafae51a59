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
# each --runs times (default 3) in interleaved rounds after warming the page
# cache, and prints the medians: CPU s (user + sys), wall s, MB per CPU-second,
# lines per CPU-second and per wall second, peak RSS, each tool's throughput
# relative to errpulse replay, the 1-minute load at each run, and the issue's
# targets. It checks that errpulse (replay and live) and mtail counted exactly
# the generator's truth (errors by code, successes) and exits 1 if one did not.
# Prefer the CPU figures on a shared machine: wall time moves with the load.
#
# How:  bash tests/bench/bench.sh [--lines N] [--runs N] [--errpulsed PATH]
#                                 [--workdir DIR] [--skip TOOL] [--json FILE]
#                                 [--live-poll-ms MS] [--live-config 'KEY: VALUE']
#   --errpulsed  the binary to measure (default build/errpulsed), so any build
#                can be compared on the same corpus;
#   --workdir    keeps the corpus there and reuses it next time (it is named by
#                line count and generator version); default: a temp dir;
#   --skip       replay | alerts | live | mtail | mtail1 | rg | cat;
#   --live-config a top-level config line for the live daemon, e.g.
#                'scan_threads: 1' (repeatable).
# A 2,000,000-line run takes about 7 minutes on 2 cores (mtail is most of it).
#
# Needs: a Release build of errpulsed (cmake -DCMAKE_BUILD_TYPE=Release;
# ninja -C build errpulsed), python3, GNU time (/usr/bin/time), and Debian's
# mtail and ripgrep (apt-get install mtail ripgrep; a missing one is skipped).
set -euo pipefail
exec python3 "$(dirname "$0")/bench.py" "$@"
