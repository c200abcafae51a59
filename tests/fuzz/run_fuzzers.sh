#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, halting on the first
# report of either) and runs each for SECONDS (default 20) on its kept corpus.
# CTest runs it briefly (15 s a target: about 80 s of fuzzing for the five, plus
# an incremental build); run it by hand for longer: bash tests/fuzz/run_fuzzers.sh 600
# Only some targets: bash tests/fuzz/run_fuzzers.sh 60 clog_decoder xlog_decoder
# New inputs go to a scratch copy of the corpus; keep the ones worth keeping
# with libFuzzer's -merge=1 into tests/fuzz/corpus/NAME. The decoder targets'
# seed-* files come from tests/fuzz/gen_decoder_seeds.py.
# An input that runs longer than 25 s is a finding (a hang), not a slow test.
# Before fuzzing a target, its reproducers in tests/fuzz/findings/NAME (bugs
# found and reported, see decoder_fuzz_harness.h) are run: one that still
# fails fails the script, unless ERRPULSE_FUZZ_TOLERATE names it (or is
# "all"), which also lets the fuzzing run past inputs of those known bugs.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(line_splitter extract_chunk clog_decoder xlog_decoder container_decoder)
fi
build=${ERRPULSE_FUZZ_BUILD_DIR:-$src/build-fuzz}
# Halt on the first sanitizer report, with a stack for UBSan's (the build also
# compiles with -fno-sanitize-recover=all); whatever the caller set is kept.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}halt_on_error=1"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DERRPULSE_FUZZ=ON -DERRPULSE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target "${targets[@]/%/_fuzz}" -j "$(nproc)"
scratch=
trap '[ -z "$scratch" ] || rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
  findings=("$src/tests/fuzz/findings/$target"/*)
  if [ -e "${findings[0]}" ]; then
    echo "== $target: ${#findings[@]} known finding(s) in tests/fuzz/findings/$target"
    "$build/${target}_fuzz" "${findings[@]}" 2>&1 | grep -E "check failed|ERROR|runtime error|Executed" | tail -10
  fi
  scratch=$(mktemp -d)
  cp -r "$src/tests/fuzz/corpus/$target/." "$scratch/"
  echo "== $target: ${seconds}s"
  "$build/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$build/${target}-" "$scratch" 2>&1 |
    grep -E "^#|stat::|ERROR|SUMMARY|Done|check failed|runtime error|Test unit written" | tail -10
  rm -rf "$scratch"
done
