// BenchCorpus: loads the generated corpus and the shipped rules and catalog,
// and cuts the chunks the benchmarks run on (see bench_corpus.h).
#include "bench_corpus.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>

#include "common/diagnostic.h"

namespace errpulse::bench {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "errpulse_micro_bench: %s\n", message.c_str());
  std::exit(1);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(path + ": cannot open the corpus (ninja errpulse_micro_corpus generates it)");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  if (lines.empty()) Die(path + ": the corpus is empty");
  return lines;
}

// Appends the lines `keep` accepts, cycling over the corpus until the chunk
// holds ~kChunkBytes, so every chunk is as large as a replay read.
Chunk Collect(const std::vector<std::string>& lines,
              const std::function<bool(const std::string&)>& keep, const char* what) {
  std::vector<const std::string*> kept;
  for (const auto& line : lines)
    if (keep(line)) kept.push_back(&line);
  if (kept.empty()) Die(std::string("the corpus has no ") + what);
  Chunk chunk;
  for (size_t i = 0; chunk.text.size() < kChunkBytes; ++i) {
    chunk.text += *kept[i % kept.size()];
    chunk.text += '\n';
    ++chunk.lines;
  }
  return chunk;
}

std::vector<Chunk> Split(const std::vector<std::string>& lines) {
  std::vector<Chunk> chunks(1);
  for (const auto& line : lines) {
    if (chunks.back().text.size() + line.size() + 1 > kChunkBytes && chunks.back().lines > 0)
      chunks.emplace_back();
    chunks.back().text += line;
    chunks.back().text += '\n';
    ++chunks.back().lines;
  }
  return chunks;
}

bool IsRestLine(const std::string& line) { return line.rfind("2026-11-26T", 0) == 0; }

std::unique_ptr<BenchCorpus> Load() {
  auto corpus = std::make_unique<BenchCorpus>();
  const std::string source = ERRPULSE_SOURCE_DIR;
  Diagnostics diagnostics;
  corpus->catalog = Catalog::Load({source + "/data/catalog.yaml"}, &diagnostics);
  corpus->rules = RuleSet::Load({source + "/rules/codes.yaml"}, &diagnostics);
  if (!corpus->catalog || !corpus->rules) Die(FormatDiagnostics(diagnostics));
  corpus->scanner = std::make_unique<LineScanner>(corpus->rules, corpus->rules->AllRules());
  if (!corpus->scanner->ok()) Die("union pattern: " + corpus->scanner->error());
  corpus->lines = ReadLines(ERRPULSE_MICRO_CORPUS);

  const auto& lines = corpus->lines;
  const LineScanner& scanner = *corpus->scanner;
  RE2 prefilter(UnionPattern(*corpus->rules, corpus->rules->AllRules()));
  corpus->mixed = Split(lines).front();
  corpus->sdk_plain = Collect(lines, [&](const std::string& line) {
    return !IsRestLine(line) && !RE2::PartialMatch(line, prefilter);
  }, "SDK lines outside the prefilter");
  corpus->rest_json = Collect(lines, [](const std::string& line) {
    return line.find("rest response: {") != std::string::npos;
  }, "server JSON responses");
  corpus->errors = Collect(lines, [&](const std::string& line) {
    Match match;
    return scanner.EvaluateLine(line, &match) && match.code != 0;
  }, "error lines");
  corpus->whole = Split(lines);
  return corpus;
}

}  // namespace

const BenchCorpus& Corpus() {
  static const std::unique_ptr<BenchCorpus> corpus = Load();
  return *corpus;
}

const std::string& FirstLineWith(std::string_view marker) {
  for (const auto& line : Corpus().lines)
    if (line.find(marker) != std::string::npos) return line;
  Die("no corpus line contains " + std::string(marker));
}

std::vector<int64_t> CodesOf(Codes which) {
  const Catalog& catalog = *Corpus().catalog;
  std::vector<int64_t> codes;
  for (const auto& entry : catalog.entries()) {
    if (which == Codes::kListed) {
      codes.push_back(entry.code);
      continue;
    }
    for (int64_t code : {entry.code - 1, entry.code + 1, entry.code + 50})
      if (catalog.IndexOf(code) < 0 && code != 0) codes.push_back(code);
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  // Not in sorted order: neighbouring lookups would share cache lines and branches.
  std::shuffle(codes.begin(), codes.end(), std::mt19937(20261126));
  return codes;
}

void ReportThroughput(benchmark::State& state, uint64_t bytes, uint64_t lines) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(lines),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace errpulse::bench
