#include "tail/container_decoder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "tail/rfc3339.h"

namespace errpulse {
namespace {

// Bytes a raw line may carry beyond its message: a CRI prefix is ~45 bytes,
// dockerd's `{"log":"` ... `","stream":"stdout","time":"..."}` ~70.
constexpr size_t kEnvelopeBytes = 256;

constexpr size_t kStdout = 0;
constexpr size_t kStderr = 1;
constexpr size_t kStreamCount = 2;

// The runtime's timestamp of a line: consecutive lines mostly share their
// second, so only the fraction is read again (Rfc3339Cache). One cache per
// thread: decoders run on the pipeline thread.
bool ParseTime(std::string_view text, int64_t* ms, size_t* consumed) {
  thread_local Rfc3339Cache cache;
  return cache.Parse(text, ms, consumed);
}

// One raw line, read by a format's parse function.
struct Piece {
  size_t stream = kStdout;
  bool partial = false;    // the message goes on in the stream's next piece
  bool truncated = false;  // the raw line was cut: the message goes on past `message`
  int64_t ms = 0;
  std::string_view message;  // without the final '\n'
};

// A format's part: reads one raw line (without '\n'). For a raw line longer
// than the envelope bound, `line` is its head and `tail` its last
// kEnvelopeBytes, and `truncated` is set. A message longer than `limit` may
// be returned cut at `limit` (the decoder cuts it anyway). `decoded`: where a
// format that unescapes writes the message; nullptr when only checking.
using ParseFunction = bool (*)(std::string_view line, std::string_view tail, bool truncated,
                               size_t limit, std::string* decoded, Piece* piece);

struct Envelope {
  LogFormat format;
  const char* name;
  ParseFunction parse;
};

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

// ---- cri: `TIME STREAM TAG[:FIELD...] MESSAGE` ----

bool ParseCriLine(std::string_view line, std::string_view /*tail*/, bool truncated,
                  size_t /*limit*/, std::string* /*decoded*/, Piece* piece) {
  int64_t ms = 0;
  size_t consumed = 0;
  if (!ParseTime(line, &ms, &consumed)) return false;
  std::string_view rest = line.substr(consumed);
  if (StartsWith(rest, " stdout ")) {
    piece->stream = kStdout;
  } else if (StartsWith(rest, " stderr ")) {
    piece->stream = kStderr;
  } else {
    return false;
  }
  rest.remove_prefix(8);
  // The tag's first field says partial or full; kubelet ignores further
  // fields (kept "forward compatible"), and so do we.
  if (rest.empty() || (rest[0] != 'P' && rest[0] != 'F')) return false;
  if (rest.size() > 1 && rest[1] != ' ' && rest[1] != ':') return false;
  const size_t space = rest.find(' ');
  piece->partial = rest[0] == 'P';
  piece->truncated = truncated;
  piece->ms = ms;
  piece->message = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return true;
}

// ---- docker: `{"log":"...","stream":"...","time":"..."}` ----

constexpr size_t kNone = std::string_view::npos;

size_t SkipSpace(std::string_view text, size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
  return i;
}

// The index of the quote closing the JSON string whose contents start at
// text[i], or kNone when the text ends first: the first quote after an even
// run of backslashes (memchr, not a byte loop: this runs over every log
// message).
size_t StringEnd(std::string_view text, size_t i) {
  const size_t start = i;
  while (i < text.size()) {
    const void* found = std::memchr(text.data() + i, '"', text.size() - i);
    if (found == nullptr) return kNone;
    const size_t quote = static_cast<size_t>(static_cast<const char*>(found) - text.data());
    size_t backslashes = 0;
    while (quote - backslashes > start && text[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote;
    i = quote + 1;
  }
  return kNone;
}

// The index just past the JSON value starting at text[i] (not validated
// beyond what finding its end needs), or kNone when the text ends first.
size_t ValueEnd(std::string_view text, size_t i) {
  if (i >= text.size()) return kNone;
  if (text[i] == '"') {
    const size_t end = StringEnd(text, i + 1);
    return end == kNone ? kNone : end + 1;
  }
  if (text[i] == '{' || text[i] == '[') {
    size_t depth = 0;
    for (size_t j = i; j < text.size(); ++j) {
      const char c = text[j];
      if (c == '"') {
        j = StringEnd(text, j + 1);
        if (j == kNone) return kNone;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return j + 1;
      }
    }
    return kNone;
  }
  size_t j = i;  // a number, true, false, null
  while (j < text.size() && std::strchr(",}] \t\r", text[j]) == nullptr) ++j;
  return j == i ? kNone : j;
}

// Whether the escaped string contents `text` end with the escape "\n" (and
// not with an escaped backslash followed by 'n').
bool EndsWithNewlineEscape(std::string_view text) {
  if (text.size() < 2 || text.back() != 'n') return false;
  size_t backslashes = 0;
  for (size_t i = text.size() - 1; i > 0 && text[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 1;
}

bool Hex4(std::string_view text, size_t i, uint32_t* value) {
  if (text.size() < i + 4) return false;
  uint32_t v = 0;
  for (size_t j = i; j < i + 4; ++j) {
    const char c = text[j];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  *value = v;
  return true;
}

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

// The index of the first '"' or '\\' at or after text[i], or text.size():
// 16 bytes a compare, as docker lines of REST responses are mostly escapes.
size_t NextQuoteOrBackslash(std::string_view text, size_t i) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    const int mask = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < text.size(); ++i)
    if (text[i] == '"' || text[i] == '\\') return i;
  return text.size();
}

// What a two-character JSON escape `\\c` stands for, or 0 when `c` makes
// none (a switch: this runs for every escape of every docker line).
char ShortEscape(char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

// One pass over the JSON string whose contents start at text[i]: finds its
// closing quote and appends the unescaped contents to `out` (up to `limit`
// bytes; *cut says when more was left out). An invalid escape is kept as its
// bytes; a lone surrogate becomes U+FFFD (as Go's decoder, and so `docker
// logs`, shows it).
// Returns the quote's index, or kNone when the text ends first (`out` then
// holds what there was).
size_t UnescapeString(std::string_view text, size_t i, size_t limit, std::string* buffer,
                      size_t* length, bool* cut) {
  // Written through a pointer into a buffer grown once and kept at its size:
  // std::string::append per run between escapes costs more than the copy.
  // 16 bytes of slack: whole blocks are stored before their length is known.
  if (buffer->size() < limit + 16) buffer->resize(limit + 16);
  char* const out = buffer->data();
  size_t n = 0;
  *cut = false;
  auto append = [&](const char* data, size_t count) {
    const size_t room = limit - n;
    if (count > room) {
      *cut = true;
      count = room;
    }
    std::memcpy(out + n, data, count);
    n += count;
  };
  for (;;) {
    size_t j;
#ifdef __SSE2__
    // Escaped REST responses put a `\"` every few bytes: copy 16 bytes at a
    // time with one store, and count only the run before the first '"' or
    // '\\' (the bytes after it are written over or past the end).
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    for (;;) {
      if (i + 16 > text.size() || n + 16 > limit) {
        j = NextQuoteOrBackslash(text, i);
        append(text.data() + i, j - i);
        break;
      }
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + n), v);
      const int mask = _mm_movemask_epi8(
          _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      if (mask == 0) {
        i += 16;
        n += 16;
        continue;
      }
      const size_t run = static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      n += run;
      j = i + run;
      break;
    }
#else
    j = NextQuoteOrBackslash(text, i);
    append(text.data() + i, j - i);
#endif
    if (j >= text.size() || text[j] == '"') {
      *length = n;
      return j >= text.size() ? kNone : j;
    }
    if (j + 1 >= text.size()) {
      append("\\", 1);  // a backslash at the very end
      *length = n;
      return kNone;
    }
    if (const char c = ShortEscape(text[j + 1]); c != 0) {
      if (n < limit) {
        out[n++] = c;
      } else {
        *cut = true;
      }
      i = j + 2;
      continue;
    }
    uint32_t cp = 0;
    if (text[j + 1] != 'u' || !Hex4(text, j + 2, &cp)) {
      append("\\", 1);  // not an escape: keep the backslash, then what follows
      i = j + 1;
      continue;
    }
    i = j + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (i + 1 < text.size() && text[i] == '\\' && text[i + 1] == 'u' && Hex4(text, i + 2, &low) &&
          low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 6;
      } else {
        cp = 0xFFFD;
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    std::string utf8;  // at most 4 bytes: in the small-string buffer, no allocation
    AppendUtf8(cp, &utf8);
    append(utf8.data(), utf8.size());
  }
}

// The string value after the first `key` (`,"stream":"`-like, which cannot
// occur inside a JSON string, where every quote is escaped) in `text`; from
// the last occurrence when `last`.
bool FindStringField(std::string_view text, std::string_view key, bool last,
                     std::string_view* value) {
  const size_t at = last ? text.rfind(key) : text.find(key);
  if (at == kNone) return false;
  const size_t start = at + key.size();
  const size_t end = StringEnd(text, start);
  if (end == kNone) return false;
  *value = text.substr(start, end - start);
  return true;
}

// dockerd's own layout, `{"log":"...","stream":"stdout","time":"..."}`,
// read in one pass with no key search: nearly every line. False when the
// line is laid out otherwise (the general parser then reads it).
bool ParseDockerLayout(std::string_view line, size_t limit, std::string* decoded, Piece* piece) {
  constexpr std::string_view kHead = "{\"log\":\"";
  constexpr std::string_view kOut = "\",\"stream\":\"stdout\",\"time\":\"";
  constexpr std::string_view kErr = "\",\"stream\":\"stderr\",\"time\":\"";
  constexpr std::string_view kEnd = "\"}";
  if (line.substr(0, kHead.size()) != kHead) return false;
  bool cut = false;
  size_t length = 0;
  const size_t end = UnescapeString(line, kHead.size(), limit, decoded, &length, &cut);
  if (end == kNone) return false;
  std::string_view rest = line.substr(end);
  if (rest.substr(0, kOut.size()) == kOut) {
    piece->stream = kStdout;
  } else if (rest.substr(0, kErr.size()) == kErr) {
    piece->stream = kStderr;
  } else {
    return false;
  }
  rest.remove_prefix(kOut.size());
  if (rest.size() < kEnd.size() || rest.substr(rest.size() - kEnd.size()) != kEnd) return false;
  const std::string_view time = rest.substr(0, rest.size() - kEnd.size());
  size_t consumed = 0;
  if (!ParseTime(time, &piece->ms, &consumed) || consumed != time.size()) return false;
  const bool final_piece = EndsWithNewlineEscape(line.substr(kHead.size(), end - kHead.size()));
  piece->partial = !final_piece;
  piece->truncated = false;
  if (final_piece && !cut && length > 0) --length;  // the "\n" ending it
  piece->message = std::string_view(decoded->data(), length);
  return true;
}

bool ParseDockerLine(std::string_view line, std::string_view tail, bool truncated, size_t limit,
                     std::string* decoded, Piece* piece) {
  if (!truncated && decoded != nullptr && ParseDockerLayout(line, limit, decoded, piece))
    return true;
  size_t i = SkipSpace(line, 0);
  if (i >= line.size() || line[i] != '{') return false;
  ++i;
  std::string_view log, stream, time;  // still escaped
  bool have_log = false, have_stream = false, have_time = false;
  bool log_cut = false;   // the head ends inside the log string
  bool decoded_log = false;    // `decoded` holds the log, unescaped while it was found
  bool decoded_cut = false;    // ... and it was cut at `limit`
  size_t decoded_length = 0;
  bool complete = false;  // the object's closing brace was seen
  // Keys in any order; anything else ("attrs") skipped. Running out of
  // bytes is an error unless the line was cut, then we take what the head has.
  for (bool first = true;; first = false) {
    i = SkipSpace(line, i);
    if (i >= line.size()) break;
    if (first && line[i] == '}') {
      complete = true;
      ++i;
      break;
    }
    if (line[i] != '"') return false;
    const size_t key_end = StringEnd(line, i + 1);
    if (key_end == kNone) break;
    const std::string_view key = line.substr(i + 1, key_end - i - 1);
    i = SkipSpace(line, key_end + 1);
    if (i >= line.size()) break;
    if (line[i] != ':') return false;
    i = SkipSpace(line, i + 1);
    if (i >= line.size()) break;
    std::string_view* field = key == "log"      ? &log
                              : key == "stream" ? &stream
                              : key == "time"   ? &time
                                                : nullptr;
    if (field != nullptr) {
      if (line[i] != '"') return false;
      size_t end;
      if (field == &log && decoded != nullptr) {  // find its end and unescape it in one pass
        end = UnescapeString(line, i + 1, limit, decoded, &decoded_length, &decoded_cut);
        decoded_log = true;
      } else {
        end = StringEnd(line, i + 1);
      }
      if (end == kNone) {
        if (field == &log) {
          log = line.substr(i + 1);
          have_log = log_cut = true;
        }
        break;
      }
      *field = line.substr(i + 1, end - i - 1);
      (field == &log ? have_log : field == &stream ? have_stream : have_time) = true;
      i = end + 1;
    } else {
      i = ValueEnd(line, i);
      if (i == kNone) break;
    }
    i = SkipSpace(line, i);
    if (i >= line.size()) break;
    if (line[i] == ',') {
      ++i;
      continue;
    }
    if (line[i] != '}') return false;
    complete = true;
    ++i;
    break;
  }
  bool final_piece = false;
  if (!truncated) {
    if (!complete || SkipSpace(line, i) != line.size()) return false;
    final_piece = have_log && EndsWithNewlineEscape(log);
  } else {
    // Only the head was read: what it lacks is in the tail, where dockerd
    // writes `...\n","stream":"stdout","time":"..."}` (log, stream, attrs, time).
    if (complete) return false;  // the object ended, then more: not docker's
    if (!have_stream && FindStringField(tail, ",\"stream\":\"", false, &stream)) have_stream = true;
    if (!have_time && FindStringField(tail, ",\"time\":\"", true, &time)) have_time = true;
    if (log_cut) {
      // Unknown when the log's end is not in the tail: then say final, so
      // that at worst the rest of a message starts a new one, rather than the
      // next message being swallowed as the rest of this one.
      const size_t log_end = tail.find("\",\"stream\":\"");
      final_piece = log_end == kNone || EndsWithNewlineEscape(tail.substr(0, log_end));
    } else {
      final_piece = have_log && EndsWithNewlineEscape(log);
    }
  }
  if (!have_log || !have_stream || !have_time) return false;
  if (stream == "stdout") {
    piece->stream = kStdout;
  } else if (stream == "stderr") {
    piece->stream = kStderr;
  } else {
    return false;
  }
  size_t consumed = 0;
  if (!ParseTime(time, &piece->ms, &consumed) || consumed != time.size()) return false;
  piece->partial = !final_piece;
  piece->truncated = log_cut;
  if (decoded != nullptr) {  // then the log was unescaped while it was found
    // The "\n" ending the message, unless `limit` cut it off already.
    if (decoded_log && final_piece && !log_cut && !decoded_cut && decoded_length > 0)
      --decoded_length;
    piece->message = std::string_view(decoded->data(), decoded_length);
  }
  return true;
}

constexpr Envelope kCri{LogFormat::kCri, "cri", &ParseCriLine};
constexpr Envelope kDocker{LogFormat::kDocker, "docker", &ParseDockerLine};

// ---- the shared part ----

class ContainerDecoder final : public LineDecoder {
 public:
  ContainerDecoder(const Envelope& envelope, const std::string& path, size_t max_line_bytes)
      : envelope_(envelope),
        path_(path),
        max_line_bytes_(max_line_bytes),
        raw_cap_(max_line_bytes + kEnvelopeBytes) {}

  LogFormat format() const override { return envelope_.format; }

  void Feed(uint64_t offset, std::string_view bytes, std::vector<char>* scratch, const Emit& emit,
            SourceStats* stats) override {
    if (offset != next_offset_) {
      // Not where the last call ended: the partial raw line cannot be
      // completed; carry on from here.
      ClearRawLine();
      line_start_ = offset;
    }
    next_offset_ = offset + bytes.size();
    Begin(scratch, stats);
    size_t pos = 0;
    if (skip_line_) {
      // Resumed inside a line (a position that is not ours: a plain file's):
      // its start is lost, so it is skipped to its end.
      const void* newline = std::memchr(bytes.data(), '\n', bytes.size());
      if (newline == nullptr) {
        line_start_ = next_offset_;
        End(emit);
        return;
      }
      pos = static_cast<size_t>(static_cast<const char*>(newline) - bytes.data()) + 1;
      line_start_ = offset + pos;
      skip_line_ = false;
    }
    if (HasRawLine()) {
      const void* newline = std::memchr(bytes.data(), '\n', bytes.size());
      if (newline == nullptr) {
        AppendRawLine(bytes);
        End(emit);
        return;
      }
      pos = static_cast<size_t>(static_cast<const char*>(newline) - bytes.data());
      AppendRawLine(bytes.substr(0, pos));
      TakeLine(raw_, TailView(), raw_cut_, offset + pos + 1);
      ClearRawLine();
      ++pos;
    }
    // The complete raw lines, read where they lie: no copy but the output.
    while (pos < bytes.size()) {
      const void* newline = std::memchr(bytes.data() + pos, '\n', bytes.size() - pos);
      if (newline == nullptr) break;
      const size_t end = static_cast<size_t>(static_cast<const char*>(newline) - bytes.data());
      const std::string_view line = bytes.substr(pos, end - pos);
      if (line.size() > raw_cap_) {
        TakeLine(line.substr(0, raw_cap_), line.substr(line.size() - kEnvelopeBytes), true,
                 offset + end + 1);
      } else {
        TakeLine(line, {}, false, offset + end + 1);
      }
      pos = end + 1;
    }
    AppendRawLine(bytes.substr(pos));
    End(emit);
  }

  void Flush(std::vector<char>* scratch, const Emit& emit, SourceStats* stats) override {
    Begin(scratch, stats);
    if (HasRawLine()) {
      TakeLine(raw_, TailView(), raw_cut_, next_offset_);
      ClearRawLine();
    }
    // The unfinished messages, oldest first. They were not emitted before a
    // restart either: a stream stays open only while its message is
    // unfinished. (Only a Flush before a restart has caught up could take the
    // later pieces of a message counted before it for one; a file is let go
    // once read to its end, past the point the restart catches up to.)
    std::array<StreamState*, kStreamCount> open{};
    size_t count = 0;
    for (StreamState& s : streams_)
      if (s.open) open[count++] = &s;
    std::sort(open.begin(), open.begin() + count, [](const StreamState* a, const StreamState* b) {
      return a->first_offset < b->first_offset;
    });
    for (size_t k = 0; k < count; ++k) {
      if (!open[k]->cut) Output(open[k]->joined, {}, true, open[k]->last_ms);
      open[k]->Close();
    }
    End(emit);
  }

  // The restart position. Every message is emitted by exactly one raw line
  // (the one with its final piece, or the one whose piece made it longer than
  // max_line_bytes; a passed-on garbage line by itself), and is suppressed
  // during a restart iff that raw line ends at or before resume_offset + skip.
  //   resume_offset = min(start of the first piece of each unfinished
  //                       message, start of the partial raw line)
  //   skip          = max(end of the last complete raw line, the catch-up
  //                       end of our own restart) - resume_offset
  // Exact because:
  //  - a message emitted here was emitted by a complete raw line, which
  //    ends at or before resume_offset + skip: suppressed on restart;
  //  - a message not emitted yet is unfinished (all its pieces lie at or after
  //    resume_offset, so the restart re-creates it, and the same cut) or not
  //    begun; either way it is emitted by a raw line not read yet, which ends
  //    after resume_offset + skip: emitted on restart;
  //  - a restart may see only the later pieces of a message that began before
  //    resume_offset (another stream's unfinished message holds the point
  //    back); that message was finished here, so its raw lines, whatever the
  //    restart makes of them, end before resume_offset + skip: suppressed.
  DecoderPosition Position() const override {
    uint64_t resume = line_start_;
    for (const StreamState& s : streams_)
      if (s.open) resume = std::min(resume, s.first_offset);
    DecoderPosition position;
    position.resume_offset = resume;
    position.skip = std::max(line_start_, catchup_end_) - resume;
    position.counted_offset = std::max(line_start_, counted_offset_);
    // Ours are always at a raw line's start (a cut raw line is re-read from
    // its start, a cut message from its first piece); only a position given
    // to Resume() can be inside a line.
    position.skipping = skip_line_;
    return position;
  }

  void Resume(const DecoderPosition& position) override {
    ClearRawLine();
    for (StreamState& s : streams_) s.Close();
    next_offset_ = line_start_ = position.resume_offset;
    catchup_end_ = position.resume_offset + position.skip;
    counted_offset_ = std::max(position.counted_offset, position.resume_offset);
    skip_line_ = position.skipping;
    in_damage_ = false;
  }

  void Reset() override { Resume(DecoderPosition{}); }

 private:
  struct StreamState {
    std::string joined;         // the pieces so far, at most max_line_bytes
    uint64_t first_offset = 0;  // raw offset of the message's first piece
    int64_t last_ms = 0;        // time of its last piece
    bool open = false;          // a message is unfinished: its final piece not seen
    bool cut = false;           // ...and was cut and emitted: drop pieces until then
    void Close() {
      joined.clear();  // keeps the capacity
      open = cut = false;
    }
  };

  bool HasRawLine() const { return !raw_.empty() || raw_cut_; }

  // Keeps the partial raw line: its first raw_cap_ bytes in raw_, and, once
  // it is longer, its last kEnvelopeBytes in tail_.
  void AppendRawLine(std::string_view bytes) {
    if (!raw_cut_) {
      const size_t room = raw_cap_ - raw_.size();
      if (bytes.size() <= room) {
        raw_.append(bytes.data(), bytes.size());
        return;
      }
      raw_.append(bytes.data(), room);
      bytes.remove_prefix(room);
      raw_cut_ = true;
      tail_size_ = 0;
      AppendTail(
          std::string_view(raw_).substr(raw_.size() - std::min(raw_.size(), kEnvelopeBytes)));
    }
    AppendTail(bytes);
  }

  void AppendTail(std::string_view bytes) {
    if (bytes.size() >= kEnvelopeBytes) {
      std::memcpy(tail_.data(), bytes.data() + bytes.size() - kEnvelopeBytes, kEnvelopeBytes);
      tail_size_ = kEnvelopeBytes;
      return;
    }
    const size_t keep = std::min(tail_size_, kEnvelopeBytes - bytes.size());
    std::memmove(tail_.data(), tail_.data() + tail_size_ - keep, keep);
    if (!bytes.empty()) std::memcpy(tail_.data() + keep, bytes.data(), bytes.size());
    tail_size_ = keep + bytes.size();
  }

  std::string_view TailView() const { return std::string_view(tail_.data(), tail_size_); }

  void ClearRawLine() {
    raw_.clear();
    raw_cut_ = false;
    tail_size_ = 0;
  }

  // One complete raw line, [line_start_, end) in the file (its head, and its
  // tail when `truncated`).
  void TakeLine(std::string_view line, std::string_view tail, bool truncated, uint64_t end) {
    Piece piece;
    // decoded_ is not cleared: the docker parser writes into it from its
    // start, and keeps it at its size (UnescapeString).
    if (envelope_.parse(line, tail, truncated, max_line_bytes_ + 1, &decoded_, &piece)) {
      in_damage_ = false;
      TakePiece(piece, end);
    } else {
      PassOn(line, truncated || line.size() > max_line_bytes_, end);
    }
    line_start_ = end;
  }

  void TakePiece(const Piece& piece, uint64_t end) {
    StreamState& s = streams_[piece.stream];
    if (!s.open) {
      s.open = true;
      s.first_offset = line_start_;
    }
    s.last_ms = piece.ms;
    if (!s.cut) {
      const size_t room = max_line_bytes_ - s.joined.size();
      const bool cut = piece.truncated || piece.message.size() > room;
      if (!cut && piece.partial) {
        s.joined.append(piece.message.data(), piece.message.size());
        return;
      }
      if (!Counted(end)) {
        if (cut && stats_ != nullptr) ++stats_->lines_cut;
        Output(s.joined, piece.message.substr(0, room), true, piece.ms);
      }
      s.joined.clear();
      s.cut = cut;
    }
    if (!piece.partial) s.Close();
  }

  // A raw line not of the format: on as it is (cut if need be).
  void PassOn(std::string_view line, bool cut, uint64_t end) {
    if (Counted(end)) return;
    if (stats_ != nullptr) {
      ++stats_->decode_errors[static_cast<size_t>(envelope_.format)];
      if (cut) ++stats_->lines_cut;
    }
    Warn();
    Output(line.substr(0, max_line_bytes_), {}, false, 0);
  }

  // One report per damaged stretch, at most one a minute: a file full of
  // garbage logs once.
  void Warn() {
    if (in_damage_) return;
    in_damage_ = true;
    const auto now = std::chrono::steady_clock::now();
    if (warned_ && now - last_warning_ < std::chrono::minutes(1)) return;
    warned_ = true;
    last_warning_ = now;
    spdlog::warn("{}: the line at offset {} is not a {} log line; passed on as it is", path_,
                 line_start_, envelope_.name);
  }

  // Whether a message emitted by a raw line ending at `end` was counted
  // before the restart we are catching up from.
  bool Counted(uint64_t end) const { return end <= catchup_end_; }

  void Begin(std::vector<char>* scratch, SourceStats* stats) {
    scratch_ = scratch;
    stats_ = stats;
    out_size_ = 0;
    times_.clear();
  }

  // Appends the line a + b + '\n' to the output.
  void Output(std::string_view a, std::string_view b, bool timed, int64_t ms) {
    const size_t size = a.size() + b.size() + 1;
    if (scratch_->size() < out_size_ + size)
      scratch_->resize(std::max(out_size_ + size, 2 * scratch_->size()));
    char* out = scratch_->data() + out_size_;
    if (!a.empty()) std::memcpy(out, a.data(), a.size());
    if (!b.empty()) std::memcpy(out + a.size(), b.data(), b.size());
    out[size - 1] = '\n';
    if (timed) {
      times_.push_back(LineTime{out_size_, ms});
      // A docker message may hold an escaped "\n": each line it makes gets
      // the message's time. (A CRI message cannot: its raw line ended there.)
      const char* const last = out + size - 1;  // the terminating '\n'
      for (const char* p = envelope_.format == LogFormat::kCri ? last : out;
           (p = static_cast<const char*>(std::memchr(p, '\n', last - p))) != nullptr;) {
        ++p;
        times_.push_back(LineTime{static_cast<size_t>(p - scratch_->data()), ms});
      }
    }
    out_size_ += size;
  }

  // Hands on the whole output of a call as one run.
  void End(const Emit& emit) {
    if (out_size_ > 0)
      emit(std::string_view(scratch_->data(), out_size_), LineTimes{times_.data(), times_.size()});
    scratch_ = nullptr;
    stats_ = nullptr;
  }

  const Envelope& envelope_;
  const std::string path_;
  const size_t max_line_bytes_;
  const size_t raw_cap_;  // the most of a raw line kept: max_line_bytes + envelope

  std::string raw_;  // the partial raw line (its head when raw_cut_)
  bool raw_cut_ = false;
  std::array<char, kEnvelopeBytes> tail_{};  // the last bytes of a cut partial raw line
  size_t tail_size_ = 0;
  std::array<StreamState, kStreamCount> streams_;
  std::string decoded_;  // docker's unescaped message

  uint64_t next_offset_ = 0;     // raw offset the next Feed continues from
  uint64_t line_start_ = 0;      // end of the last complete raw line
  uint64_t catchup_end_ = 0;     // resume_offset + skip of the last Resume()
  uint64_t counted_offset_ = 0;  // from the last Resume()
  bool skip_line_ = false;       // resumed inside a line: skip to its end

  // The call in progress.
  std::vector<char>* scratch_ = nullptr;
  SourceStats* stats_ = nullptr;
  size_t out_size_ = 0;
  std::vector<LineTime> times_;

  bool in_damage_ = false;  // the last raw line was not of the format
  bool warned_ = false;
  std::chrono::steady_clock::time_point last_warning_;
};

}  // namespace

std::unique_ptr<LineDecoder> MakeCriDecoder(const std::string& path, size_t max_line_bytes) {
  return std::make_unique<ContainerDecoder>(kCri, path, max_line_bytes);
}

std::unique_ptr<LineDecoder> MakeDockerDecoder(const std::string& path, size_t max_line_bytes) {
  return std::make_unique<ContainerDecoder>(kDocker, path, max_line_bytes);
}

bool LooksLikeCriLine(std::string_view line) {
  Piece piece;
  return ParseCriLine(line, {}, false, 0, nullptr, &piece);
}

bool LooksLikeDockerLine(std::string_view line) {
  Piece piece;
  return ParseDockerLine(line, {}, false, 0, nullptr, &piece);
}

}  // namespace errpulse
