// Classification micro-benchmarks: Catalog lookups of codes it lists, of codes
// it does not list, and the range classification those fall back to.
// Items/s = lookups per second; each iteration looks up one code, cycling over
// a shuffled list of a hundred or more codes so the branch predictor cannot
// learn one answer.
//
// How to run: see tests/bench/micro/CMakeLists.txt, e.g.
//   build-bench/tests/bench/micro/errpulse_micro_bench --benchmark_filter=Catalog
#include <benchmark/benchmark.h>

#include "bench_corpus.h"

namespace errpulse::bench {
namespace {

template <typename Lookup>
void RunLookups(benchmark::State& state, Codes which, Lookup lookup) {
  const std::vector<int64_t> codes = CodesOf(which);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lookup(codes[i]));
    if (++i == codes.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["codes"] = static_cast<double>(codes.size());
}

// The counting path's lookup: the dense slot of a code, or -1.
void BM_CatalogIndexOf(benchmark::State& state, Codes which) {
  const Catalog& catalog = *Corpus().catalog;
  RunLookups(state, which, [&](int64_t code) { return catalog.IndexOf(code); });
}
BENCHMARK_CAPTURE(BM_CatalogIndexOf, listed, Codes::kListed);
BENCHMARK_CAPTURE(BM_CatalogIndexOf, unlisted, Codes::kUnlisted);

// Classifying a code into its domain: the entry's, or the range's when the
// catalog does not list it.
void BM_CatalogClassifyDomain(benchmark::State& state, Codes which) {
  const Catalog& catalog = *Corpus().catalog;
  RunLookups(state, which, [&](int64_t code) {
    const CatalogEntry* entry = catalog.Find(code);
    return entry ? std::string_view(entry->domain) : RangeDomain(code);
  });
}
BENCHMARK_CAPTURE(BM_CatalogClassifyDomain, listed, Codes::kListed);
BENCHMARK_CAPTURE(BM_CatalogClassifyDomain, unlisted_by_range, Codes::kUnlisted);

}  // namespace
}  // namespace errpulse::bench
