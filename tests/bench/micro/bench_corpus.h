// BenchCorpus: what the micro-benchmarks share: the shipped rules
// (rules/codes.yaml) and catalog (data/catalog.yaml), a LineScanner over all
// rules, and chunks of complete lines cut from the corpus that
// tests/bench/gen_corpus.py generated at build time.
//
// Built once on first use, then read-only; benchmarks run single-threaded.
// Exits the process with a message when the data cannot be loaded: a
// benchmark without its data has nothing to measure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "classify/catalog.h"
#include "extract/line_scanner.h"
#include "extract/rule_set.h"

namespace errpulse::bench {

// The size replay reads at a time (daemon/cli/replay_command.cc), so one chunk
// is what one CountChunk call sees there.
inline constexpr size_t kChunkBytes = 1 << 20;

// Complete lines, each ending in '\n'.
struct Chunk {
  std::string text;
  uint64_t lines = 0;
};

struct BenchCorpus {
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const RuleSet> rules;
  std::unique_ptr<LineScanner> scanner;  // all rules, as `replay` uses
  std::vector<std::string> lines;        // the corpus, without newlines

  Chunk mixed;       // the corpus from its first line, ~kChunkBytes
  Chunk sdk_plain;   // SDK client lines the union prefilter does not match
  Chunk rest_json;   // server JSON responses (OK and FAIL)
  Chunk errors;      // lines that report a non-zero code
  std::vector<Chunk> whole;  // the whole corpus in ~kChunkBytes chunks
};

const BenchCorpus& Corpus();

// The first corpus line containing `marker` (exits when there is none).
const std::string& FirstLineWith(std::string_view marker);

// Codes for classification and counting benchmarks: the catalog's own, or
// neighbours of them it does not list (same ranges, so a lookup misses only
// after a full binary search). Shuffled, so consecutive lookups do not share
// cache lines and branches.
enum class Codes { kListed, kUnlisted };
std::vector<int64_t> CodesOf(Codes which);

// Bytes and lines per second for `iterations` passes over `chunk`.
void ReportThroughput(benchmark::State& state, uint64_t bytes, uint64_t lines);

}  // namespace errpulse::bench
