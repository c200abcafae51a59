// libFuzzer target: the cri and docker LineDecoders (tail/container_decoder.h)
// against a reference. The input is a small program that builds a container
// log the way containerd / dockerd write one: messages as `P`/`F` pieces (cri)
// or json-file entries whose last piece ends in "\n" (docker), stdout and
// stderr interleaved, timestamps in the formats runtimes write, docker's JSON
// escapes in all their forms, and now and then a line of neither format
// (passed on as it is). Mutations mostly change the message texts while the
// file stays valid.
//
// Input:
//   byte 0     bit 0 docker (else cri)
//              bits 1-2 mode: 0, 1 well-formed; 2 damaged (well-formed, then
//              mutated); 3 raw (the rest of the input is the file itself)
//              bits 3-4 max_line_bytes: 64, 16, 300, 65536
//              bits 5-6 restarts in the Position()/Resume() chain: 1-4
//              bit 7    the last raw line has no '\n'
//   bytes 1-4  seed of the Feed() piece sizes and the restart points
//   damaged:   a byte n (1-4 mutations), then per mutation: kind, u16
//              position, length, and the inserted bytes for an insertion
//   then       u32 base time, then records until the end: ctl, time step,
//              length, text. ctl bit 0 stderr; bit 1 a partial piece; bits
//              2-4 timestamp style; bit 5 an extra tag field (cri) / an attrs
//              object (docker); bits 5-7 all set: a line of neither format.
//              In docker texts, bytes 0x01/0x02/0x03 stand for U+1F600 (a
//              surrogate-pair escape), U+00E9 (\u00e9) and a lone surrogate
//              (\ud800, which decodes to U+FFFD).
//
// Checks (besides decoder_fuzz_harness.h's: chunking, restarts, max line,
// LineTimes at line starts):
//   well-formed  each message once, its pieces joined, cut at max_line_bytes,
//                in the order of the raw line that completes (or cuts) it,
//                with the time of that raw line; lines of neither format
//                passed on untimed; unfinished messages flushed at the end,
//                oldest first; lines_cut matches;
//   damaged      the lines start with the reference's lines of the raw lines
//                wholly before the first damaged byte;
//   raw          nothing more (no crash, no sanitizer report, no hang).
#include <time.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "decoder_fuzz_harness.h"
#include "tail/container_decoder.h"

namespace {

constexpr size_t kMaxLines[] = {64, 16, 300, 65536};
constexpr size_t kEnvelope = 256;  // container_decoder.h: raw lines kept to max + 256

std::unique_ptr<errpulse::LineDecoder> MakeCri(const std::string& path, size_t max_line) {
  return errpulse::MakeCriDecoder(path, max_line);
}
std::unique_ptr<errpulse::LineDecoder> MakeDocker(const std::string& path, size_t max_line) {
  return errpulse::MakeDockerDecoder(path, max_line);
}

// An RFC 3339 timestamp of `utc_sec` + `nanos` in one of the forms runtimes
// write; *ms: what it means, in milliseconds since the epoch (the fraction
// truncated, as the decoder reads it).
std::string Timestamp(int64_t utc_sec, uint32_t nanos, int style, int64_t* ms) {
  struct Style {
    int digits;  // -1: RFC3339Nano, trailing zeros trimmed
    int offset_min;
    char sep;
    const char* zulu;  // nullptr: write the offset
  };
  static const Style kStyles[] = {
      {9, 0, 'T', "Z"},        {-1, 0, 'T', "Z"},   {3, 480, 'T', nullptr}, {0, 0, 'T', "Z"},
      {6, -330, 'T', nullptr}, {9, 0, 't', "z"},    {2, 0, ' ', nullptr},   {1, -720, 'T', nullptr},
  };
  const Style& s = kStyles[style & 7];
  const time_t local = static_cast<time_t>(utc_sec + s.offset_min * 60);
  struct tm tm;
  gmtime_r(&local, &tm);
  char head[64];
  std::snprintf(head, sizeof(head), "%04d-%02d-%02d%c%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, s.sep, tm.tm_hour, tm.tm_min, tm.tm_sec);
  char nine[16];
  std::snprintf(nine, sizeof(nine), "%09u", nanos);
  std::string frac = s.digits < 0 ? std::string(nine) : std::string(nine, static_cast<size_t>(s.digits));
  if (s.digits < 0)
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out = head;
  if (!frac.empty()) out += "." + frac;
  if (s.zulu) {
    out += s.zulu;
  } else {
    char zone[16];
    const int off = s.offset_min < 0 ? -s.offset_min : s.offset_min;
    std::snprintf(zone, sizeof(zone), "%c%02d:%02d", s.offset_min < 0 ? '-' : '+', off / 60, off % 60);
    out += zone;
  }
  std::string padded = frac;
  padded.resize(9, '0');
  *ms = utc_sec * 1000 + static_cast<int64_t>(std::stoul(padded) / 1000000);
  return out;
}

// One docker escape unit: the bytes in the JSON string and what they mean.
struct Unit {
  std::string escaped;
  std::string text;
  enum Kind { kRaw, kShort, kU4, kPair, kLone } kind;
};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The escape units of a docker message: every byte JSON needs escaped is, in
// one of its valid forms; others sometimes are (\u00XX, \/). `partial`: the
// piece must not end in the escape "\n" (that would end the message).
std::vector<Unit> Escape(std::string_view raw, bool partial, fuzz::Rng* rng) {
  std::vector<Unit> units;
  char u4[8];
  for (size_t i = 0; i < raw.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    const bool last = i + 1 == raw.size();
    if (c == 0x01) {
      std::string t;
      AppendUtf8(0x1F600, &t);
      units.push_back({rng->Below(2) ? "\\ud83d\\ude00" : "\\uD83D\\uDE00", t, Unit::kPair});
      continue;
    }
    if (c == 0x02) {
      units.push_back({rng->Below(2) ? "\\u00e9" : "\\u00E9", "\xC3\xA9", Unit::kU4});
      continue;
    }
    if (c == 0x03) {
      units.push_back({"\\ud800", "\xEF\xBF\xBD", Unit::kLone});
      continue;
    }
    std::snprintf(u4, sizeof(u4), rng->Below(2) ? "\\u%04x" : "\\u%04X", c);
    const std::string text(1, static_cast<char>(c));
    const char* short_form = nullptr;
    switch (c) {
      case '"': short_form = "\\\""; break;
      case '\\': short_form = "\\\\"; break;
      case '/': short_form = "\\/"; break;
      case '\b': short_form = "\\b"; break;
      case '\f': short_form = "\\f"; break;
      case '\n': short_form = (partial && last) ? nullptr : "\\n"; break;
      case '\r': short_form = "\\r"; break;
      case '\t': short_form = "\\t"; break;
      default: break;
    }
    const bool must = c < 0x20 || c == '"' || c == '\\';
    if (c >= 0x80) {
      units.push_back({text, text, Unit::kRaw});
    } else if (short_form && (must || rng->Below(2)) && rng->Below(4)) {
      units.push_back({short_form, text, Unit::kShort});
    } else if (must || rng->Below(4) == 0) {
      units.push_back({u4, text, Unit::kU4});
    } else {
      units.push_back({text, text, Unit::kRaw});
    }
  }
  return units;
}

// What the decoder makes of the first `n` bytes of a unit cut by the end of
// a raw line's head (container_decoder.h: an invalid escape is kept as its
// bytes, a lone surrogate is U+FFFD).
std::string CutUnit(const Unit& u, size_t n) {
  if (n == 0) return {};
  const std::string_view e(u.escaped);
  if (u.kind == Unit::kPair && n >= 6) {
    std::string out = "\xEF\xBF\xBD";  // the high surrogate alone
    if (n > 6) out += "\\" + std::string(e.substr(7, n - 7));
    return out;
  }
  return "\\" + std::string(e.substr(1, n - 1));
}

enum class Stream { kOut = 0, kErr = 1 };

// One raw line as the reference sees it.
struct RawLine {
  std::string bytes;  // without '\n'
  bool garbage = false;
  Stream stream = Stream::kOut;
  bool partial = false;
  bool truncated = false;  // longer than the decoder keeps: it reads the head
  std::string message;     // what the decoder reads as the message (before cutting)
  int64_t ms = 0;
};

RawLine CriLine(std::string_view text_in, Stream stream, bool partial, bool extra,
                const std::string& ts, int64_t ms, size_t raw_cap) {
  std::string text(text_in);
  std::replace(text.begin(), text.end(), '\n', ' ');
  RawLine r;
  r.stream = stream;
  r.partial = partial;
  r.ms = ms;
  r.bytes = ts + (stream == Stream::kErr ? " stderr " : " stdout ") + (partial ? "P" : "F");
  if (extra) r.bytes += ":x";
  const size_t prefix = r.bytes.size() + 1;
  if (!text.empty() || extra) r.bytes += " " + text;
  r.truncated = r.bytes.size() > raw_cap;
  r.message = r.truncated ? r.bytes.substr(prefix, raw_cap - prefix) : text;
  return r;
}

RawLine DockerLine(std::string_view text, Stream stream, bool partial, bool extra,
                   const std::string& ts, int64_t ms, size_t raw_cap, fuzz::Rng* rng) {
  const std::vector<Unit> units = Escape(text, partial, rng);
  RawLine r;
  r.stream = stream;
  r.partial = partial;
  r.ms = ms;
  r.bytes = "{\"log\":\"";
  for (const Unit& u : units) r.bytes += u.escaped;
  if (!partial) r.bytes += "\\n";
  r.bytes += std::string("\",\"stream\":\"") + (stream == Stream::kErr ? "stderr" : "stdout") + "\"";
  if (extra) r.bytes += ",\"attrs\":{\"tag\":\"web\",\"n\":[1,{\"k\":\"}\"}]}";
  r.bytes += ",\"time\":\"" + ts + "\"}";
  // A raw line longer than raw_cap is read as its head (and tail): when the
  // head ends inside the log string, the message is what the head holds and
  // is taken as cut; when the log string ends in the head, it is whole.
  size_t log_size = 0;
  for (const Unit& u : units) log_size += u.escaped.size();
  if (!partial) log_size += 2;  // the "\n" ending the message
  r.truncated = r.bytes.size() > raw_cap && 8 + log_size >= raw_cap;
  if (!r.truncated) {
    for (const Unit& u : units) r.message += u.text;
    return r;
  }
  // The units wholly in the head, and what the decoder makes of the one it cuts.
  std::vector<Unit> all = units;
  if (!partial) all.push_back({"\\n", "\n", Unit::kShort});
  size_t room = raw_cap - 8;  // after {"log":"
  for (const Unit& u : all) {
    if (u.escaped.size() > room) {
      r.message += CutUnit(u, room);
      break;
    }
    r.message += u.text;
    room -= u.escaped.size();
  }
  return r;
}

// The reference decoder: container_decoder.h's rules over raw lines whose
// meaning the generator knows.
class Reference {
 public:
  explicit Reference(size_t max_line) : max_(max_line) {}

  void Take(const RawLine& r, uint64_t start) {
    if (r.garbage) {
      if (r.bytes.size() > max_) ++cut_;
      fuzz::AppendLines(r.bytes.substr(0, max_) + "\n", -1, &lines);
      return;
    }
    S& s = s_[static_cast<size_t>(r.stream)];
    if (!s.open) {
      s.open = true;
      s.first = start;
    }
    s.last_ms = r.ms;
    if (!s.cut) {
      const size_t room = max_ - s.joined.size();
      const bool cut = r.truncated || r.message.size() > room;
      if (!cut && r.partial) {
        s.joined += r.message;
        return;
      }
      if (cut) ++cut_;
      fuzz::AppendLines(s.joined + r.message.substr(0, room) + "\n", r.ms, &lines);
      s.joined.clear();
      s.cut = cut;
    }
    if (!r.partial) s = S();
  }

  void Flush() {
    std::vector<S*> open;
    for (S& s : s_)
      if (s.open) open.push_back(&s);
    std::sort(open.begin(), open.end(), [](const S* a, const S* b) { return a->first < b->first; });
    for (S* s : open) {
      if (!s->cut) fuzz::AppendLines(s->joined + "\n", s->last_ms, &lines);
      *s = S();
    }
  }

  uint64_t cut() const { return cut_; }
  fuzz::Lines lines;

 private:
  struct S {
    std::string joined;
    uint64_t first = 0;
    int64_t last_ms = 0;
    bool open = false;
    bool cut = false;
  };
  size_t max_;
  std::array<S, 2> s_;
  uint64_t cut_ = 0;
};

struct Built {
  std::string file;
  std::vector<RawLine> lines;
  std::vector<size_t> starts;  // raw line start offsets
  bool garbage = false;
};

Built Build(fuzz::Reader* in, bool docker, size_t max_line, bool no_last_newline, uint64_t seed) {
  Built b;
  const size_t raw_cap = max_line + kEnvelope;
  int64_t ns = (946684800ll + in->U32() % 3000000000u) * 1000000000ll;  // 2000 to ~2095
  fuzz::Rng rng(seed ^ 0x5eed);
  while (!in->empty()) {
    const uint8_t ctl = in->Byte();
    ns += static_cast<int64_t>(in->Byte()) * 12345679;
    const std::string_view text = in->Bytes(in->Byte());
    RawLine r;
    if ((ctl & 0xE0) == 0xE0) {  // neither format: '#' starts no timestamp, no JSON object
      r.garbage = true;
      r.bytes = "#" + std::string(text);
      std::replace(r.bytes.begin(), r.bytes.end(), '\n', ' ');
      b.garbage = true;
    } else {
      const Stream stream = (ctl & 1) ? Stream::kErr : Stream::kOut;
      const bool partial = (ctl & 2) != 0;
      const bool extra = (ctl & 0x20) != 0;
      int64_t ms = 0;
      const std::string ts = Timestamp(ns / 1000000000, static_cast<uint32_t>(ns % 1000000000),
                                       (ctl >> 2) & 7, &ms);
      r = docker ? DockerLine(text, stream, partial, extra, ts, ms, raw_cap, &rng)
                 : CriLine(text, stream, partial, extra, ts, ms, raw_cap);
    }
    b.starts.push_back(b.file.size());
    b.file += r.bytes;
    b.file.push_back('\n');
    b.lines.push_back(std::move(r));
  }
  if (no_last_newline && !b.file.empty()) b.file.pop_back();
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::QuietLogs();
  fuzz::Reader in(data, size);
  const uint8_t flags = in.Byte();
  const bool docker = (flags & 1) != 0;
  const int mode = (flags >> 1) & 3;
  const size_t max_line = kMaxLines[(flags >> 3) & 3];
  const int restarts = 1 + ((flags >> 5) & 3);
  const bool no_last_newline = (flags & 0x80) != 0;
  const uint64_t seed = in.U32();
  const fuzz::MakeDecoder make = docker ? &MakeDocker : &MakeCri;

  if (mode == 3) {  // raw: any bytes
    const std::string file(in.Rest());
    fuzz::CheckDecoder(make, max_line, true, file, seed, restarts);
    return 0;
  }

  std::vector<fuzz::Mutation> mutations;
  if (mode == 2) mutations = fuzz::ReadMutations(&in, /*torn_writes=*/false);
  Built b = Build(&in, docker, max_line, no_last_newline, seed);
  Reference ref(max_line);
  if (mode == 2) {
    const size_t first = fuzz::Damage(mutations, /*torn_writes=*/false, {}, &b.file);
    const fuzz::RunResult r = fuzz::CheckDecoder(make, max_line, true, b.file, seed, restarts);
    for (size_t i = 0; i < b.lines.size(); ++i) {  // the raw lines wholly before the damage
      if (b.starts[i] + b.lines[i].bytes.size() + 1 > first) break;
      ref.Take(b.lines[i], b.starts[i]);
    }
    if (!fuzz::StartsWith(r.lines, ref.lines)) {
      fuzz::Dump("decoder", r.lines);
      fuzz::Dump("reference before the damage", ref.lines);
      fuzz::Fail("lines decoded before the damage were lost or changed");
    }
    return 0;
  }

  const fuzz::RunResult r = fuzz::CheckDecoder(make, max_line, true, b.file, seed, restarts);
  for (size_t i = 0; i < b.lines.size(); ++i) ref.Take(b.lines[i], b.starts[i]);
  ref.Flush();
  fuzz::ExpectLines(r.lines, ref.lines, "well-formed container log: lines differ from the messages written");
  fuzz::ExpectCount(r.stats.lines_cut, ref.cut(), "lines_cut differs from the reference");
  if (!b.garbage)
    for (uint64_t n : r.stats.decode_errors) FUZZ_CHECK(n == 0);
  return 0;
}
