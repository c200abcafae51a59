// Extraction micro-benchmarks: LineScanner::Scan over ~1 MiB chunks of complete
// lines (the mixed corpus, and chunks of one kind of line each), and
// LineScanner::EvaluateLine on single typical lines. Bytes/s and lines/s.
//
// How to run: see tests/bench/micro/CMakeLists.txt, e.g.
//   build-bench/tests/bench/micro/errpulse_micro_bench --benchmark_filter='Scan|Evaluate'
#include <benchmark/benchmark.h>

#include "bench_corpus.h"

namespace errpulse::bench {
namespace {

void BM_Scan(benchmark::State& state, Chunk BenchCorpus::*which) {
  const BenchCorpus& corpus = Corpus();
  const Chunk& chunk = corpus.*which;
  uint64_t matches = 0;
  for (auto _ : state) {
    corpus.scanner->Scan(chunk.text, [&](const Match& match) {
      ++matches;
      benchmark::DoNotOptimize(match.code);
    });
  }
  ReportThroughput(state, chunk.text.size(), chunk.lines);
  state.counters["matches/chunk"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
}
// A realistic mix: ~60% SDK client lines, ~40% server responses, ~3% errors.
BENCHMARK_CAPTURE(BM_Scan, mixed_corpus, &BenchCorpus::mixed);
// The common case the prefilter must make cheap: no candidate at all.
BENCHMARK_CAPTURE(BM_Scan, sdk_non_candidate, &BenchCorpus::sdk_plain);
// Every line is a candidate ("ErrorCode":N), most report success.
BENCHMARK_CAPTURE(BM_Scan, server_json, &BenchCorpus::rest_json);
// Every line reports an error code.
BENCHMARK_CAPTURE(BM_Scan, errors_only, &BenchCorpus::errors);

void BM_EvaluateLine(benchmark::State& state, const char* marker) {
  const BenchCorpus& corpus = Corpus();
  const std::string& line = FirstLineWith(marker);
  for (auto _ : state) {
    Match match;
    benchmark::DoNotOptimize(corpus.scanner->EvaluateLine(line, &match));
    benchmark::DoNotOptimize(match.code);
  }
  ReportThroughput(state, line.size(), 1);
}
// Lines without a code (the prefilter normally keeps these from EvaluateLine).
BENCHMARK_CAPTURE(BM_EvaluateLine, sdk_encoder_param, "setVideoEncoderParam");
BENCHMARK_CAPTURE(BM_EvaluateLine, sdk_signal_port_seq, "requestACCIPandSign");
BENCHMARK_CAPTURE(BM_EvaluateLine, server_access_log, "o.a.c.AccessLog");
// Lines that report a code.
BENCHMARK_CAPTURE(BM_EvaluateLine, sdk_onError, "onError(");
BENCHMARK_CAPTURE(BM_EvaluateLine, im_error_code, "push failed, code");
BENCHMARK_CAPTURE(BM_EvaluateLine, im_success_code0, "Login|code:0");
BENCHMARK_CAPTURE(BM_EvaluateLine, server_json_fail, "\"ActionStatus\":\"FAIL\"");
BENCHMARK_CAPTURE(BM_EvaluateLine, server_json_ok, "\"ActionStatus\":\"OK\"");

}  // namespace
}  // namespace errpulse::bench
