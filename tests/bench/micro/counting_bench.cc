// Counting micro-benchmarks: CountChunk (extract + classify + count) on a
// ~1 MiB chunk and on the whole generated corpus in ~1 MiB chunks (what
// `replay` does after reading), CountLines on its own, and
// SourceCounts::RecordError for listed and unlisted codes.
//
// How to run: see tests/bench/micro/CMakeLists.txt, e.g.
//   build-bench/tests/bench/micro/errpulse_micro_bench --benchmark_filter=Count
#include <benchmark/benchmark.h>

#include "bench_corpus.h"
#include "count/source_counts.h"
#include "engine/counting.h"

namespace errpulse::bench {
namespace {

// The default `max_unknown_codes` of a source.
constexpr int kMaxUnknownCodes = 100;

void BM_CountChunk(benchmark::State& state, Chunk BenchCorpus::*which) {
  const BenchCorpus& corpus = Corpus();
  const Chunk& chunk = corpus.*which;
  SourceCounts counts(corpus.catalog->size(), kMaxUnknownCodes);
  for (auto _ : state) CountChunk(*corpus.scanner, *corpus.catalog, chunk.text, &counts);
  benchmark::DoNotOptimize(counts.errors);
  ReportThroughput(state, chunk.text.size(), chunk.lines);
}
BENCHMARK_CAPTURE(BM_CountChunk, mixed_corpus, &BenchCorpus::mixed);
BENCHMARK_CAPTURE(BM_CountChunk, errors_only, &BenchCorpus::errors);

void BM_CountChunk_WholeCorpus(benchmark::State& state) {
  const BenchCorpus& corpus = Corpus();
  uint64_t bytes = 0;
  uint64_t lines = 0;
  for (const Chunk& chunk : corpus.whole) {
    bytes += chunk.text.size();
    lines += chunk.lines;
  }
  for (auto _ : state) {
    SourceCounts counts(corpus.catalog->size(), kMaxUnknownCodes);
    for (const Chunk& chunk : corpus.whole)
      CountChunk(*corpus.scanner, *corpus.catalog, chunk.text, &counts);
    benchmark::DoNotOptimize(counts.errors);
  }
  ReportThroughput(state, bytes, lines);
  state.counters["chunks"] = static_cast<double>(corpus.whole.size());
}
BENCHMARK(BM_CountChunk_WholeCorpus)->Unit(benchmark::kMillisecond);

void BM_CountLines(benchmark::State& state) {
  const Chunk& chunk = Corpus().mixed;
  for (auto _ : state) benchmark::DoNotOptimize(CountLines(chunk.text));
  ReportThroughput(state, chunk.text.size(), chunk.lines);
}
BENCHMARK(BM_CountLines);

void BM_RecordError(benchmark::State& state, Codes which) {
  const Catalog& catalog = *Corpus().catalog;
  const std::vector<int64_t> codes = CodesOf(which);
  SourceCounts counts(catalog.size(), kMaxUnknownCodes);
  size_t i = 0;
  for (auto _ : state) {
    counts.RecordError(catalog, codes[i]);
    if (++i == codes.size()) i = 0;
  }
  benchmark::DoNotOptimize(counts.errors);
  state.SetItemsProcessed(state.iterations());
  state.counters["codes"] = static_cast<double>(codes.size());
}
BENCHMARK_CAPTURE(BM_RecordError, listed_code, Codes::kListed);
// More distinct unlisted codes than the cap of 100: after the first 100 have
// their slots, the rest cost the linear search of those slots, then "other".
BENCHMARK_CAPTURE(BM_RecordError, unlisted_code, Codes::kUnlisted);

}  // namespace
}  // namespace errpulse::bench
