// Counts identical to the unoptimised path (issue 6): the guard for the hot
// path's optimisations. CountChunk over a deterministic generated corpus, cut
// into chunks of several sizes at line ends, must count exactly what a
// line-by-line reference counts: split at '\n' one line at a time, decide each
// line with LineScanner::EvaluateLineUnoptimised (plain RE2, every rule over
// the whole line), count with the same SourceCounts API.
// The reference itself must agree with the generator's own ground truth
// (tests/bench/gen_corpus.py --truth), and Scan must report the same matches
// as that reference line by line. Hand-made chunks (CRLF, empty lines, a last
// line without newline, very long lines, NUL bytes) go through both paths too.
//
// Uses only the public API the optimisations keep: LineScanner(rules, indices),
// Scan, EvaluateLineUnoptimised, CountChunk, CountLines, SourceCounts, Catalog.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

#include "engine/counting.h"
#include "engine/split_counter.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

using testing::SourcePath;

constexpr int kDefaultMaxUnknown = 100;  // a source's default max_unknown_codes
constexpr int kUncapped = 1 << 20;       // every unlisted code keeps its own slot
constexpr size_t kWhole = static_cast<size_t>(-1);

struct Shipped {
  Shipped() {
    Diagnostics diagnostics;
    catalog = Catalog::Load({SourcePath("data/catalog.yaml")}, &diagnostics);
    rules = RuleSet::Load({SourcePath("rules/codes.yaml")}, &diagnostics);
    EXPECT_TRUE(catalog && rules) << FormatDiagnostics(diagnostics);
    if (rules) scanner = std::make_unique<LineScanner>(rules, rules->AllRules());
  }
  bool ok() const { return catalog && scanner && scanner->ok(); }
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const RuleSet> rules;
  std::unique_ptr<LineScanner> scanner;
};

// One reported line, by its byte offset in the whole text.
struct Found {
  size_t offset = 0;
  size_t length = 0;  // of Match::line
  int rule = -1;
  int64_t code = 0;
  std::string ts;
  bool operator==(const Found& o) const {
    return offset == o.offset && length == o.length && rule == o.rule && code == o.code &&
           ts == o.ts;
  }
};

std::ostream& operator<<(std::ostream& out, const Found& f) {
  return out << "{offset " << f.offset << ", length " << f.length << ", rule " << f.rule
             << ", code " << f.code << ", ts '" << f.ts << "'}";
}

Found FoundAt(size_t offset, const Match& match) {
  return {offset, match.line.size(), match.rule, match.code, std::string(match.ts)};
}

// The unoptimised path: lines one by one, as std::getline splits them ('\n'
// ends a line and is not part of it; a last line without '\n' still counts).
struct Reference {
  uint64_t lines = 0;
  std::vector<Found> found;
};

Reference LineByLine(const LineScanner& scanner, std::string_view text) {
  Reference reference;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t newline = text.find('\n', pos);
    const size_t end = newline == std::string_view::npos ? text.size() : newline;
    const std::string_view line = text.substr(pos, end - pos);
    ++reference.lines;
    Match match;
    if (scanner.EvaluateLineUnoptimised(line, &match)) {
      EXPECT_EQ(match.line.data(), line.data());
      reference.found.push_back(FoundAt(pos, match));
    }
    pos = end + 1;
  }
  return reference;
}

SourceCounts CountReference(const Reference& reference, const Catalog& catalog,
                            int max_unknown) {
  SourceCounts counts(catalog.size(), max_unknown);
  counts.lines = reference.lines;
  for (const Found& found : reference.found) counts.Record(catalog, found.code);
  return counts;
}

// Cuts `text` into chunks of complete lines of at most `chunk_bytes` (a line
// longer than that is a chunk of its own) and calls `each(offset, chunk)`.
template <typename Each>
size_t ForEachChunk(std::string_view text, size_t chunk_bytes, Each&& each) {
  size_t chunks = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.size() - pos <= chunk_bytes ? text.size() : pos + chunk_bytes;
    if (end < text.size()) {
      const size_t last = text.rfind('\n', end - 1);
      if (last == std::string_view::npos || last < pos) {
        const size_t next = text.find('\n', end);
        end = next == std::string_view::npos ? text.size() : next + 1;
      } else {
        end = last + 1;
      }
    }
    each(pos, text.substr(pos, end - pos));
    ++chunks;
    pos = end;
  }
  return chunks;
}

SourceCounts CountInChunks(const Shipped& shipped, std::string_view text, size_t chunk_bytes,
                           int max_unknown) {
  SourceCounts counts(shipped.catalog->size(), max_unknown);
  uint64_t lines = 0;
  ForEachChunk(text, chunk_bytes, [&](size_t, std::string_view chunk) {
    lines += CountLines(chunk);
    CountChunk(*shipped.scanner, *shipped.catalog, chunk, &counts);
  });
  EXPECT_EQ(lines, counts.lines) << "CountLines and CountChunk disagree on the line count";
  return counts;
}

// The same through SplitCounter with its helper thread, splitting every chunk
// it can (min_split_bytes 1): counts, and the matches in the order on_match
// saw them (the alert engine's input).
struct SplitResult {
  SourceCounts counts;
  std::vector<Found> found;
};

SplitResult CountInChunksSplit(const Shipped& shipped, std::string_view text, size_t chunk_bytes,
                               int max_unknown) {
  SplitResult result{SourceCounts(shipped.catalog->size(), max_unknown), {}};
  SplitCounter counter(/*threads=*/2, /*min_split_bytes=*/1);
  EXPECT_TRUE(counter.splitting());
  ForEachChunk(text, chunk_bytes, [&](size_t offset, std::string_view chunk) {
    counter.CountChunk(*shipped.scanner, *shipped.catalog, chunk, &result.counts,
                       [&](const Match& match, const CatalogEntry* entry) {
                         EXPECT_EQ(match.line.data(), chunk.data() + match.line_offset);
                         // The entry counting found is the one alerting gets.
                         EXPECT_EQ(entry, match.code ? shipped.catalog->Find(match.code) : nullptr);
                         result.found.push_back(FoundAt(offset + match.line_offset, match));
                       });
  });
  return result;
}

std::vector<Found> ScanInChunks(const LineScanner& scanner, std::string_view text,
                                size_t chunk_bytes) {
  std::vector<Found> found;
  ForEachChunk(text, chunk_bytes, [&](size_t offset, std::string_view chunk) {
    scanner.Scan(chunk, [&](const Match& match) {
      EXPECT_EQ(match.line.data(), chunk.data() + match.line_offset);
      found.push_back(FoundAt(offset + match.line_offset, match));
    });
  });
  return found;
}

std::string LineAt(std::string_view text, size_t offset) {
  const size_t end = std::min(text.find('\n', offset), text.size());
  std::string line(text.substr(offset, std::min<size_t>(end - offset, 300)));
  std::replace(line.begin(), line.end(), '\0', '?');
  return line;
}

// Reports the first few differences, not one failure per line.
void ExpectSameMatches(const std::vector<Found>& got, const std::vector<Found>& want,
                       std::string_view text, const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what << ": number of reported lines";
  int reported = 0;
  for (size_t i = 0, j = 0; (i < got.size() || j < want.size()) && reported < 5;) {
    if (i < got.size() && j < want.size() && got[i] == want[j]) {
      ++i, ++j;
      continue;
    }
    ++reported;
    if (j >= want.size() || (i < got.size() && got[i].offset < want[j].offset)) {
      ADD_FAILURE() << what << ": Scan reported a line the unoptimised path does not: " << got[i]
                    << "\n  " << LineAt(text, got[i].offset);
      ++i;
    } else if (i >= got.size() || want[j].offset < got[i].offset) {
      ADD_FAILURE() << what << ": Scan missed " << want[j] << "\n  "
                    << LineAt(text, want[j].offset);
      ++j;
    } else {
      ADD_FAILURE() << what << ": Scan " << got[i] << ", unoptimised " << want[j] << "\n  "
                    << LineAt(text, want[j].offset);
      ++i, ++j;
    }
  }
}

// Every counter and every per-code count.
void ExpectSameCounts(const SourceCounts& got, const SourceCounts& want, const Catalog& catalog,
                      const std::string& what) {
  EXPECT_EQ(got.lines, want.lines) << what << ": lines";
  EXPECT_EQ(got.errors, want.errors) << what << ": errors";
  EXPECT_EQ(got.successes, want.successes) << what << ": successes";
  EXPECT_EQ(got.unknown_total, want.unknown_total) << what << ": unknown_total";
  EXPECT_EQ(got.unknown, want.unknown) << what << ": unlisted codes (in first-seen order)";
  EXPECT_EQ(got.other, want.other) << what << ": folded unlisted codes by range domain";
  ASSERT_EQ(got.by_entry.size(), want.by_entry.size()) << what;
  for (size_t i = 0; i < got.by_entry.size(); ++i) {
    EXPECT_EQ(got.by_entry[i], want.by_entry[i])
        << what << ": count of code " << catalog.entries()[i].code_text;
  }
}

// Both paths over `text` with every chunk size and unknown-code cap.
void ExpectPathsAgree(const Shipped& shipped, std::string_view text,
                      const std::vector<size_t>& chunk_sizes, const std::string& what) {
  const Reference reference = LineByLine(*shipped.scanner, text);
  for (size_t chunk_bytes : chunk_sizes) {
    const std::string where =
        what + ", chunks of " + (chunk_bytes == kWhole ? "all" : std::to_string(chunk_bytes)) +
        " bytes";
    ExpectSameMatches(ScanInChunks(*shipped.scanner, text, chunk_bytes), reference.found, text,
                      where);
    for (int cap : {kDefaultMaxUnknown, 2}) {
      ExpectSameCounts(CountInChunks(shipped, text, chunk_bytes, cap),
                       CountReference(reference, *shipped.catalog, cap), *shipped.catalog,
                       where + ", max_unknown_codes " + std::to_string(cap));
    }
    const SplitResult split = CountInChunksSplit(shipped, text, chunk_bytes, 2);
    ExpectSameCounts(split.counts, CountReference(reference, *shipped.catalog, 2),
                     *shipped.catalog, where + ", split on two threads");
    ExpectSameMatches(split.found, reference.found, text, where + ", split on two threads");
  }
}

// code (decimal) -> count, from the catalog slots and the unlisted ones.
std::map<std::string, uint64_t> ByCode(const SourceCounts& counts, const Catalog& catalog) {
  std::map<std::string, uint64_t> by_code;
  for (size_t i = 0; i < counts.by_entry.size(); ++i)
    if (counts.by_entry[i] > 0) by_code[catalog.entries()[i].code_text] = counts.by_entry[i];
  for (const auto& [code, count] : counts.unknown) by_code[std::to_string(code)] = count;
  return by_code;
}

TEST(CountsIdenticalToUnoptimisedPath, GeneratedCorpusInChunksOfSeveralSizes) {
  Shipped shipped;
  ASSERT_TRUE(shipped.ok());
  testing::TempDir dir;
  const std::string corpus_path = dir.File("corpus.log");
  const std::string truth_path = dir.File("truth.json");
  const auto generated =
      testing::RunCommand({"/usr/bin/env", "python3", SourcePath("tests/bench/gen_corpus.py"),
                           "200000", corpus_path, "--truth", truth_path, "--surge"});
  ASSERT_EQ(generated.status, 0) << "gen_corpus.py: " << generated.err;
  const std::string text = testing::ReadFile(corpus_path);
  const auto truth = nlohmann::json::parse(testing::ReadFile(truth_path));

  // The reference against the generator's ground truth (independent of errpulse).
  const Reference reference = LineByLine(*shipped.scanner, text);
  const SourceCounts uncapped = CountReference(reference, *shipped.catalog, kUncapped);
  EXPECT_EQ(uncapped.lines, truth["lines"].get<uint64_t>());
  EXPECT_EQ(uncapped.errors, truth["errors"].get<uint64_t>());
  EXPECT_EQ(uncapped.successes, truth["successes"].get<uint64_t>());
  EXPECT_EQ(ByCode(uncapped, *shipped.catalog),
            (truth["by_code"].get<std::map<std::string, uint64_t>>()));
  EXPECT_GT(uncapped.errors, 5000u);  // the surge is in there
  EXPECT_EQ(CountLines(text), uncapped.lines);

  // The optimised path in chunks cut at line ends: the replay read size, a
  // smaller power of two, odd sizes, one line per chunk, the whole file.
  const std::vector<size_t> chunk_sizes = {64 << 10, 1 << 20, 4093, 999983, 1, kWhole};
  for (size_t chunk_bytes : chunk_sizes) {
    const std::string where = "corpus in chunks of " +
                              (chunk_bytes == kWhole ? "all" : std::to_string(chunk_bytes)) +
                              " bytes";
    for (int cap : {kUncapped, kDefaultMaxUnknown, 2}) {
      ExpectSameCounts(CountInChunks(shipped, text, chunk_bytes, cap),
                       CountReference(reference, *shipped.catalog, cap), *shipped.catalog,
                       where + ", max_unknown_codes " + std::to_string(cap));
    }
  }
  // Split across two threads (the live daemon with a backlog): the same
  // counts, and the same matches in the same order.
  for (size_t chunk_bytes : {size_t{256} << 10, size_t{4093}, kWhole}) {
    const std::string where = "corpus split on two threads in chunks of " +
                              (chunk_bytes == kWhole ? "all" : std::to_string(chunk_bytes));
    const SplitResult split = CountInChunksSplit(shipped, text, chunk_bytes, kDefaultMaxUnknown);
    ExpectSameCounts(split.counts, CountReference(reference, *shipped.catalog, kDefaultMaxUnknown),
                     *shipped.catalog, where);
    ExpectSameMatches(split.found, reference.found, text, where);
  }
  // Match by match: same lines, rules, codes and timestamps.
  for (size_t chunk_bytes : {size_t{64 << 10}, size_t{1}})
    ExpectSameMatches(ScanInChunks(*shipped.scanner, text, chunk_bytes), reference.found, text,
                      "corpus in chunks of " + std::to_string(chunk_bytes) + " bytes");
}

// The hand-labelled lines (real formats and hard negatives) as the base text.
std::vector<std::string> LabelledLines() {
  std::istringstream in(testing::ReadFile(SourcePath("tests/extract/labelled_lines.tsv")));
  std::vector<std::string> lines;
  std::string row;
  while (std::getline(in, row)) {
    const size_t tab = row.find('\t');
    if (row.empty() || row[0] == '#' || tab == std::string::npos) continue;
    lines.push_back(row.substr(tab + 1));
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines, const std::string& end) {
  std::string text;
  for (const auto& line : lines) text += line + end;
  return text;
}

// Lines far longer than a chunk, with the code at the start, middle, end or nowhere.
std::string LongLines() {
  const std::string filler(300000, 'x');
  std::string words;
  while (words.size() < 250000) words += "fps:15 port:8000 seq:60007 width:368 ";
  return "code: 60007 " + filler + "\n" + filler + " onError(-2340, \"late\")\n" + words +
         "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007}" + words + "\n" + words + "\n" +
         "code: " + std::string(5000, '7') + "\n";
}

std::string LinesWithNul() {
  using namespace std::string_literals;
  return "\0code: 60007\n"s + "code: \0 60007\n"s + "code:\0-2340\n"s +
         "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007}\0\n"s + "\0\0\0\0\n"s +
         "onError(-2340,\0 \"x\")\n"s + "x\0onError(-1, \"y\")\n"s + "\0"s;
}

TEST(CountsIdenticalToUnoptimisedPath, EdgeCaseChunks) {
  Shipped shipped;
  ASSERT_TRUE(shipped.ok());
  const std::vector<std::string> labelled = LabelledLines();
  ASSERT_GT(labelled.size(), 300u);
  std::vector<std::string> with_empty;
  for (const auto& line : labelled) {
    with_empty.push_back(line);
    with_empty.push_back("");
    with_empty.push_back("\r");
  }
  const std::string lf = Join(labelled, "\n");
  const std::map<std::string, std::string> cases = {
      {"LF", lf},
      {"CRLF", Join(labelled, "\r\n")},
      {"empty lines", "\n\n" + Join(with_empty, "\n") + "\n\n"},
      {"last line without newline", lf + "code: 60007"},
      {"last line without newline, CRLF before", Join(labelled, "\r\n") + "onError(-2340, \"x\")"},
      {"only newlines", std::string(1000, '\n')},
      {"very long lines", LongLines() + lf + LongLines()},
      {"NUL bytes", LinesWithNul() + lf + LinesWithNul()},
      {"everything", Join(labelled, "\r\n") + LongLines() + LinesWithNul() + "\n\r\n\n" + lf +
                         "code: -2"},
  };
  const std::vector<size_t> chunk_sizes = {1, 7, 100, 4096, 64 << 10, kWhole};
  for (const auto& [what, text] : cases) {
    ExpectPathsAgree(shipped, text, chunk_sizes, what);
  }
  // Not vacuous: the cases report codes and successes.
  const SourceCounts lf_counts =
      CountReference(LineByLine(*shipped.scanner, lf), *shipped.catalog, kDefaultMaxUnknown);
  EXPECT_GT(lf_counts.errors, 100u);
  EXPECT_GT(lf_counts.successes, 10u);
  EXPECT_GT(lf_counts.unknown_total, 0u);
  const Reference nul = LineByLine(*shipped.scanner, LinesWithNul());
  EXPECT_EQ(nul.lines, 8u);
  EXPECT_FALSE(nul.found.empty());
  const Reference long_lines = LineByLine(*shipped.scanner, LongLines());
  EXPECT_EQ(long_lines.found.size(), 3u);
}

}  // namespace
}  // namespace errpulse
