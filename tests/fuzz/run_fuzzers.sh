#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 20) on its kept corpus. CTest runs it briefly; run it by
# hand for longer: bash tests/fuzz/run_fuzzers.sh 600
# New inputs go to a scratch copy of the corpus; keep the ones worth keeping
# with libFuzzer's -merge=1 into tests/fuzz/corpus/NAME.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
build=${ERRPULSE_FUZZ_BUILD_DIR:-$src/build-fuzz}
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DERRPULSE_FUZZ=ON -DERRPULSE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target line_splitter_fuzz extract_chunk_fuzz -j "$(nproc)"
for target in line_splitter extract_chunk; do
  scratch=$(mktemp -d)
  cp -r "$src/tests/fuzz/corpus/$target/." "$scratch/"
  echo "== $target: ${seconds}s"
  "$build/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$build/${target}-" "$scratch" 2>&1 | grep -E "^#|stat::|ERROR|SUMMARY|Done" | tail -8
  rm -rf "$scratch"
done
