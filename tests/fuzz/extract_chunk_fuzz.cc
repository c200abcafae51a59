// libFuzzer target: the chunk scan (atom prefilter + per-line evaluation)
// must find exactly what evaluating every line on its own finds, with the
// shipped rules: the prefilter may never miss a line nor invent one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "extract/line_scanner.h"

namespace {

const errpulse::LineScanner& Scanner() {
  static const errpulse::LineScanner* scanner = [] {
    errpulse::Diagnostics diagnostics;
    auto rules = errpulse::RuleSet::Load({ERRPULSE_SOURCE_DIR "/rules/codes.yaml"}, &diagnostics);
    if (!rules) __builtin_trap();
    return new errpulse::LineScanner(rules, rules->AllRules());
  }();
  return *scanner;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const errpulse::LineScanner& scanner = Scanner();
  std::string_view chunk(reinterpret_cast<const char*>(bytes), size);

  std::vector<std::pair<size_t, int64_t>> scanned;
  scanner.Scan(chunk, [&](const errpulse::Match& m) { scanned.emplace_back(m.line_offset, m.code); });

  std::vector<std::pair<size_t, int64_t>> expected;
  for (size_t start = 0; start < chunk.size();) {
    size_t newline = chunk.find('\n', start);
    const size_t end = newline == std::string_view::npos ? chunk.size() : newline;
    errpulse::Match m;
    if (scanner.EvaluateLineUnoptimised(chunk.substr(start, end - start), &m)) expected.emplace_back(start, m.code);
    start = end + 1;
  }
  if (scanned != expected) __builtin_trap();
  return 0;
}
