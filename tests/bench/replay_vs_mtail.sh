#!/usr/bin/env bash
# Replay throughput of errpulse next to `mtail --one_shot` running an
# equivalent program (mtail/errpulse_equiv.mtail), in the same run, on the same
# deterministic corpus. Checks that both count exactly what the corpus
# generator wrote. Run by hand: bash tests/bench/replay_vs_mtail.sh [LINES]
# Needs: a build in ./build, python3, mtail (apt-get install mtail).
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tests/bench/gen_corpus.py "$lines" "$work/corpus.log" --truth "$work/truth.json"
bytes=$(stat -c %s "$work/corpus.log")
cat "$work/corpus.log" > /dev/null  # warm the page cache for both

measure() {  # prints "cpu_seconds peak_rss_kb"; output of the command to $work/$1.out
  local name=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2>/dev/null
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$work/$name.time"
}

read -r ep_cpu ep_rss < <(measure errpulse build/errpulsed replay --json "$work/corpus.log")
read -r mt_cpu mt_rss < <(measure mtail mtail --one_shot --progs tests/bench/mtail \
    --logs "$work/corpus.log" --emit_prog_label=false)

python3 - "$work" "$bytes" "$lines" "$ep_cpu" "$ep_rss" "$mt_cpu" "$mt_rss" <<'PY'
import json, sys
work, size, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ep_cpu, ep_rss, mt_cpu, mt_rss = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
truth = json.load(open(f"{work}/truth.json"))
ep = json.load(open(f"{work}/errpulse.out"))
mt = json.load(open(f"{work}/mtail.out"))
mt_errors = sum(v["Value"]["Value"] for v in mt["errpulse_errors_total"][0]["LabelValues"])
mt_succ = mt["errpulse_successes_total"][0]["LabelValues"][0]["Value"]["Value"]
print(f"corpus: {lines} lines, {size/1e6:.1f} MB, {truth['errors']} error lines, {truth['successes']} successes")
print(f"{'tool':10} {'cpu s':>8} {'MB/cpu-s':>10} {'lines/cpu-s':>12} {'peak RSS':>10} {'errors':>8} {'successes':>10}")
for name, cpu, rss, errors, succ in (("errpulse", ep_cpu, ep_rss, ep["errors"], ep["successes"]),
                                     ("mtail", mt_cpu, mt_rss, mt_errors, mt_succ)):
    print(f"{name:10} {cpu:8.2f} {size/1e6/cpu:10.1f} {lines/cpu:12.0f} {rss/1024:8.1f}MB {errors:8} {succ:10}")
print(f"errpulse / mtail throughput: {mt_cpu/ep_cpu:.1f}x")
ok = ep["errors"] == truth["errors"] and ep["by_code"] == truth["by_code"] and ep["successes"] == truth["successes"]
print("errpulse counts match the generator's truth:", ok)
print("mtail counts match the generator's truth:", mt_errors == truth["errors"] and mt_succ == truth["successes"])
sys.exit(0 if ok else 1)
PY
