// What the LineDecoder fuzz targets (clog_decoder_fuzz.cc, xlog_decoder_fuzz.cc,
// container_decoder_fuzz.cc) share: feeding a file to a decoder in pieces the
// input chooses, collecting what it emits as lines, a restart chain through
// Position()/Resume(), and the checks every run makes (line_decoder.h):
//   - every emitted line is at most max_line_bytes long (its '\n' aside);
//   - a chunk is whole '\n'-terminated lines, or one cut/flushed line;
//   - LineTimes are sorted, each at a line start of its chunk (and absent for
//     the formats whose lines carry their own time);
//   - a position is sane: resume_offset <= counted_offset <= bytes fed.
// Any violation is __builtin_trap(): libFuzzer reports it as a crash.
//
// Known findings: a decoder bug found by these targets and reported but not
// fixed yet would stop every run at once. ERRPULSE_FUZZ_TOLERATE=ID[,ID...]
// (or "all") lets the inputs of those findings pass, by skipping only the
// checks they break, so a run can look for others; the default is strict.
//   (none open: cut-line-reset, clog-split-marker, xlog-resync-restart and
//   flush-stats were found here and fixed; their reproducers stay in
//   tests/fuzz/findings/ as regression inputs)
//
// A line is kept with its terminator: "text\n" for a complete line, "text"
// for a line the decoder cut at max_line_bytes or flushed unterminated.
//
// Header-only, test code; single-threaded like libFuzzer's loop.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tail/line_decoder.h"
#include "source/source_stats.h"

namespace fuzz {

using errpulse::DecoderPosition;
using errpulse::LineDecoder;
using errpulse::LineTimes;
using errpulse::SourceStats;

// A check that failed: say which (stderr, for the crash report), then trap.
[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "decoder fuzz check failed: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) ::fuzz::Fail(#cond); \
  } while (0)

// Whether ERRPULSE_FUZZ_TOLERATE names the known finding `id` (or is "all").
inline bool Tolerated(const char* id) {
  static const std::string list = [] {
    const char* env = std::getenv("ERRPULSE_FUZZ_TOLERATE");
    return "," + std::string(env ? env : "") + ",";
  }();
  return list == ",all," || list.find("," + std::string(id) + ",") != std::string::npos;
}

// Whether a line longer than `max_line` is still being skipped at one of the
// text offsets `boundaries` (the known finding cut-line-reset).
inline bool CutLineSpans(std::string_view text, const std::vector<size_t>& boundaries,
                         size_t max_line) {
  for (const size_t b : boundaries) {
    if (b == 0 || b >= text.size() || text[b - 1] == '\n') continue;
    const size_t nl = text.rfind('\n', b - 1);
    const size_t start = nl == std::string_view::npos ? 0 : nl + 1;
    if (b - start > max_line) return true;
  }
  return false;
}

// Decoders warn on damage through spdlog: silence it (and its cost) once.
inline void QuietLogs() {
  static const bool once = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)once;
}

// Reads the fuzz input front to back; past the end it yields zeros, so any
// input is a valid program.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  size_t left() const { return empty() ? 0 : size_ - pos_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() {  // little-endian; two statements: the reads in order
    const uint16_t low = Byte();
    return static_cast<uint16_t>(low | (Byte() << 8));
  }
  uint32_t U32() {
    const uint32_t low = U16();
    return low | (static_cast<uint32_t>(U16()) << 16);
  }
  // Up to `n` bytes (fewer at the end of the input).
  std::string_view Bytes(size_t n) {
    n = std::min(n, left());
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  std::string_view Rest() { return Bytes(left()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// splitmix64, seeded from input bytes: piece sizes and stop points.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t s_;
};

struct Line {
  std::string text;  // with its '\n' when complete
  int64_t ms = -1;   // LineTimes's time for it; -1: none
  bool operator==(const Line& o) const { return text == o.text && ms == o.ms; }
  bool operator!=(const Line& o) const { return !(*this == o); }
};
using Lines = std::vector<Line>;

// Splits `text` the way the reference decoders' output is compared: whole
// lines with their '\n', the last one without if unterminated.
inline void AppendLines(std::string_view text, int64_t ms, Lines* out) {
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    out->push_back({std::string(text.substr(start, end - start)), ms});
    start = end;
  }
}

// The LineSplitter contract over one decoded text (line_splitter.h): lines
// longer than `max_line` are cut to max_line bytes (no '\n') and the rest of
// them skipped; with `flush`, an unterminated last line comes out as it is
// (unless it was cut). Without `flush`, an unterminated last line longer
// than max_line is already cut (the splitter cuts as soon as it knows).
inline Lines SplitReference(std::string_view text, size_t max_line, bool flush,
                            uint64_t* cut = nullptr) {
  Lines lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const bool complete = nl != std::string_view::npos;
    const size_t end = complete ? nl : text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.size() > max_line) {
      lines.push_back({std::string(line.substr(0, max_line)), -1});
      if (cut) ++*cut;
    } else if (complete) {
      lines.push_back({std::string(line) + "\n", -1});
    } else if (flush) {
      lines.push_back({std::string(line), -1});
    }
    start = complete ? nl + 1 : text.size();
  }
  return lines;
}

// What a run's emit callback collects, with the per-chunk checks.
class Collector {
 public:
  Collector(size_t max_line, bool expect_times) : max_line_(max_line), expect_times_(expect_times) {}

  LineDecoder::Emit Emit() {
    return [this](std::string_view chunk, LineTimes times) { Take(chunk, times); };
  }

  Lines lines;

 private:
  void Take(std::string_view chunk, LineTimes times) {
    FUZZ_CHECK(!chunk.empty());
    if (!expect_times_) FUZZ_CHECK(times.empty());
    for (size_t i = 0; i < times.size; ++i) {
      const size_t off = times.data[i].offset;
      FUZZ_CHECK(off < chunk.size());
      FUZZ_CHECK(off == 0 || chunk[off - 1] == '\n');  // at a line start
      if (i > 0) FUZZ_CHECK(times.data[i - 1].offset < off);
    }
    const bool whole = chunk.back() == '\n';
    if (!whole) FUZZ_CHECK(chunk.find('\n') == std::string_view::npos);  // one cut line
    size_t start = 0;
    while (start < chunk.size()) {
      const size_t nl = chunk.find('\n', start);
      const size_t end = nl == std::string_view::npos ? chunk.size() : nl + 1;
      Line line{std::string(chunk.substr(start, end - start)), -1};
      const size_t length = line.text.size() - (nl == std::string_view::npos ? 0 : 1);
      FUZZ_CHECK(length <= max_line_);
      if (!times.empty()) line.ms = times.At(start);
      lines.push_back(std::move(line));
      start = end;
    }
  }

  size_t max_line_;
  bool expect_times_;
};

// Piece sizes: mostly small (markers, headers and escapes straddle pieces),
// sometimes large, sometimes all the rest.
inline size_t PieceSize(Rng* rng, size_t left) {
  size_t n;
  switch (rng->Below(8)) {
    case 0: case 1: case 2: n = 1 + rng->Below(4); break;
    case 3: case 4: n = 1 + rng->Below(40); break;
    case 5: case 6: n = 1 + rng->Below(700); break;
    default: n = left; break;
  }
  return std::min(n, left);
}

inline void CheckPosition(const DecoderPosition& p, uint64_t fed_to) {
  FUZZ_CHECK(p.resume_offset <= fed_to);
  FUZZ_CHECK(p.counted_offset >= p.resume_offset);
  FUZZ_CHECK(p.counted_offset <= fed_to);
}

using MakeDecoder = std::unique_ptr<LineDecoder> (*)(const std::string& path, size_t max_line);

// Feeds file[from, to) in pieces. Each piece is a fresh heap copy, freed
// after the call: a decoder reading past a piece, or keeping a view of it,
// is an ASan report.
inline void FeedRange(LineDecoder* d, std::string_view file, uint64_t from, uint64_t to, Rng* rng,
                      std::vector<char>* scratch, Collector* out, SourceStats* stats) {
  const LineDecoder::Emit emit = out->Emit();
  for (uint64_t at = from; at < to;) {
    const size_t n = rng ? PieceSize(rng, static_cast<size_t>(to - at)) : static_cast<size_t>(to - at);
    std::unique_ptr<char[]> piece(new char[n]);
    std::copy(file.data() + at, file.data() + at + n, piece.get());
    d->Feed(at, std::string_view(piece.get(), n), scratch, emit, stats);
    at += n;
  }
}

struct RunResult {
  Lines lines;
  SourceStats stats;
};

// FUZZ_SPLITS=K1,K2,... (when reproducing a finding): the offsets where the
// pieces run cuts the file, instead of the input's pieces.
inline std::vector<uint64_t> ForcedSplits() {
  std::vector<uint64_t> splits;
  const char* env = std::getenv("FUZZ_SPLITS");
  for (const char* p = env; p && *p;) {
    char* end = nullptr;
    splits.push_back(std::strtoull(p, &end, 10));
    p = *end ? end + 1 : end;
  }
  return splits;
}

// The whole file, in one piece (rng == nullptr) or in rng's pieces; then Flush.
inline RunResult RunWhole(MakeDecoder make, size_t max_line, bool expect_times,
                          std::string_view file, Rng* rng) {
  std::unique_ptr<LineDecoder> d = make("fuzz", max_line);
  Collector out(max_line, expect_times);
  RunResult r;
  std::vector<char> scratch;
  const std::vector<uint64_t> splits = rng ? ForcedSplits() : std::vector<uint64_t>();
  if (!splits.empty()) {
    uint64_t at = 0;
    for (uint64_t k : splits) {
      k = std::min<uint64_t>(std::max(k, at), file.size());
      FeedRange(d.get(), file, at, k, nullptr, &scratch, &out, &r.stats);
      at = k;
    }
    FeedRange(d.get(), file, at, file.size(), nullptr, &scratch, &out, &r.stats);
  } else {
    FeedRange(d.get(), file, 0, file.size(), rng, &scratch, &out, &r.stats);
  }
  CheckPosition(d->Position(), file.size());
  d->Flush(&scratch, out.Emit(), &r.stats);
  r.lines = std::move(out.lines);
  return r;
}

// A restart chain: decoder 0 reads up to stop[0]; its Position() goes to a
// fresh decoder that Resume()s and reads from resume_offset up to stop[1];
// and so on; the last reads to the end and flushes. Returns every line all of
// them emitted, in order: exactly-once means that is the whole run's lines.
inline Lines RunRestarts(MakeDecoder make, size_t max_line, bool expect_times,
                         std::string_view file, Rng* rng, int restarts) {
  std::vector<uint64_t> stops;
  for (int i = 0; i < restarts; ++i) stops.push_back(rng->Below(file.size() + 1));
  std::sort(stops.begin(), stops.end());
  Collector out(max_line, expect_times);
  std::vector<char> scratch;
  SourceStats stats;
  std::unique_ptr<LineDecoder> d = make("fuzz", max_line);
  uint64_t start = 0;
  for (const uint64_t stop : stops) {
    const uint64_t to = std::max(start, stop);
    FeedRange(d.get(), file, start, to, rng, &scratch, &out, &stats);
    const DecoderPosition p = d->Position();
    if (std::getenv("FUZZ_VERBOSE"))
      std::fprintf(stderr, "restart: fed [%llu, %llu), %zu lines so far; position resume_offset %llu "
                   "skip %llu counted_offset %llu skipping %d\n",
                   static_cast<unsigned long long>(start), static_cast<unsigned long long>(to),
                   out.lines.size(), static_cast<unsigned long long>(p.resume_offset),
                   static_cast<unsigned long long>(p.skip),
                   static_cast<unsigned long long>(p.counted_offset), p.skipping ? 1 : 0);
    CheckPosition(p, to);
    d = make("fuzz", max_line);  // a new process: nothing but the position survives
    d->Resume(p);
    start = p.resume_offset;
  }
  FeedRange(d.get(), file, start, file.size(), rng, &scratch, &out, &stats);
  d->Flush(&scratch, out.Emit(), &stats);
  return std::move(out.lines);
}

inline bool SameStats(const SourceStats& a, const SourceStats& b) {
  return a.lines_cut == b.lines_cut && a.decode_errors == b.decode_errors &&
         a.encrypted_blocks == b.encrypted_blocks && a.seq_gaps == b.seq_gaps;
}

// Whether `prefix` is where `lines` start.
inline bool StartsWith(const Lines& lines, const Lines& prefix) {
  return lines.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), lines.begin());
}

// Prints a line list (when FUZZ_VERBOSE is set), to see a finding.
inline void Dump(const char* name, const Lines& lines) {
  if (!std::getenv("FUZZ_VERBOSE")) return;
  std::fprintf(stderr, "%s: %zu lines\n", name, lines.size());
  for (const Line& l : lines) {
    std::fprintf(stderr, "  [%lld] \"", static_cast<long long>(l.ms));
    for (unsigned char c : l.text) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') std::fputc(c, stderr);
      else std::fprintf(stderr, "\\x%02x", c);
    }
    std::fprintf(stderr, "\"\n");
  }
}

// Prints a text or file escaped (when FUZZ_VERBOSE is set).
inline void DumpText(const char* name, std::string_view text) {
  if (!std::getenv("FUZZ_VERBOSE")) return;
  std::fprintf(stderr, "%s (%zu bytes): \"", name, text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') std::fputc(c, stderr);
    else std::fprintf(stderr, "\\x%02x", c);
  }
  std::fprintf(stderr, "\"\n");
}

// Which checks a known finding may break (see Tolerated()).
struct Skip {
  bool restarts_if_cut = false;      // the restart check, when a line was cut
  bool restarts_if_damaged = false;  // the restart check, after a decode error
  bool pieces_if_damaged = false;    // the chunking check, after a decode error
};

// The checks every target makes on one file: chunking does not matter
// (one piece vs the input's pieces), restarts are exactly-once. Returns the
// one-piece run for the target's own reference checks.
inline RunResult CheckDecoder(MakeDecoder make, size_t max_line, bool expect_times,
                              std::string_view file, uint64_t seed, int restarts,
                              Skip skip = {}) {
  RunResult whole = RunWhole(make, max_line, expect_times, file, nullptr);
  uint64_t damaged = 0;
  for (uint64_t n : whole.stats.decode_errors) damaged += n;
  Rng rng(seed);
  RunResult pieces = RunWhole(make, max_line, expect_times, file, &rng);
  if (skip.pieces_if_damaged && damaged > 0) {
    pieces = whole;
  }
  if (whole.lines != pieces.lines) {
    Dump("one piece", whole.lines);
    Dump("pieces", pieces.lines);
    Fail("the lines depend on how the input is cut into Feed() calls");
  }
  if (!SameStats(whole.stats, pieces.stats)) Fail("the stats depend on how the input is cut");
  if ((skip.restarts_if_cut && whole.stats.lines_cut > 0) || (skip.restarts_if_damaged && damaged > 0))
    restarts = 0;
  if (restarts > 0) {
    Lines restarted = RunRestarts(make, max_line, expect_times, file, &rng, restarts);
    if (restarted != whole.lines) {
      Dump("one piece", whole.lines);
      Dump("restarted", restarted);
      Fail("lines before + after Position()/Resume() are not the lines of one run");
    }
  }
  return whole;
}

// Damage done to a well-formed file (each target's "damaged" mode). Kinds:
// 0 a flipped byte, 1 lost bytes, 2 foreign bytes, 3 the end cut off,
// 4 a torn write (from the position up to the next writer start lost: a
// process session or an xlog block; only with `torn_writes`), 5 a write
// repeated. Without torn writes the input picks among 5 kinds, 4 meaning a
// repeated write, so that inputs read as they always did.
struct Mutation {
  uint8_t kind;
  uint16_t pos;
  uint8_t len;
  std::string_view bytes;  // kind 2's bytes
};

inline int MutationKind(const Mutation& m, bool torn_writes) {
  const int kind = m.kind % (torn_writes ? 6 : 5);
  return !torn_writes && kind == 4 ? 5 : kind;
}

// 1 to 4 mutations, read from the input.
inline std::vector<Mutation> ReadMutations(Reader* in, bool torn_writes) {
  std::vector<Mutation> mutations;
  const int n = 1 + in->Byte() % 4;
  for (int i = 0; i < n; ++i) {
    Mutation m;
    m.kind = in->Byte();
    m.pos = in->U16();
    m.len = in->Byte();
    if (MutationKind(m, torn_writes) == 2) m.bytes = in->Bytes(m.len);
    mutations.push_back(m);
  }
  return mutations;
}

// Applies the mutations; returns the first offset they touched. `starts`:
// where each writer unit starts in `file`, ascending (torn writes only).
inline size_t Damage(const std::vector<Mutation>& mutations, bool torn_writes,
                     const std::vector<size_t>& starts, std::string* file) {
  size_t first = file->size();
  for (const Mutation& m : mutations) {
    const size_t p = file->empty() ? 0 : m.pos % (file->size() + 1);
    switch (MutationKind(m, torn_writes)) {
      case 0:  // a flipped byte
        if (p < file->size()) (*file)[p] ^= static_cast<char>(m.len | 1);
        else continue;
        break;
      case 1:  // lost bytes
        file->erase(p, m.len);
        break;
      case 2:  // foreign bytes
        file->insert(p, m.bytes.data(), m.bytes.size());
        break;
      case 3:  // cut off
        file->resize(p);
        break;
      case 4: {  // a torn write: its tail lost, the next writer's bytes follow
        size_t next = file->size();
        for (size_t s : starts)
          if (s > p) {
            next = std::min(next, s);
            break;
          }
        file->erase(p, next - p);
        break;
      }
      default: {  // bytes written again (a duplicated write)
        const size_t from = file->empty() ? 0 : m.len % file->size();
        const std::string copy = file->substr(from, m.len);
        file->insert(p, copy);
        break;
      }
    }
    first = std::min(first, p);
  }
  return first;
}

// A counter that must match the reference's.
inline void ExpectCount(uint64_t got, uint64_t want, const char* what) {
  if (got == want) return;
  if (std::getenv("FUZZ_VERBOSE"))
    std::fprintf(stderr, "%s: decoder %llu, reference %llu\n", what,
                 static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
  Fail(what);
}

inline void ExpectLines(const Lines& got, const Lines& want, const char* what) {
  if (got == want) return;
  Dump("decoder", got);
  Dump("reference", want);
  Fail(what);
}

}  // namespace fuzz
