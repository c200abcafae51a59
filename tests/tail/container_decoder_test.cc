// The container-log decoders (cri, docker json-file) and ParseRfc3339: exact
// lines and times for each shape of input (P/F pieces, interleaved streams,
// escapes, dockerd's 16 KiB splits, garbage, over-long messages and raw
// lines); the same result however the bytes are cut into Feed calls; and
// exactly-once across a restart from Position() taken at every byte.
#include "tail/container_decoder.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tail/rfc3339.h"

namespace errpulse {
namespace {

constexpr int64_t kBaseMs = 1796638320000;  // 2026-12-07T10:12:00Z
constexpr size_t kCriIndex = static_cast<size_t>(LogFormat::kCri);
constexpr size_t kDockerIndex = static_cast<size_t>(LogFormat::kDocker);

// 2026-12-07T10:12:SS.mmm456789Z: `second` of the minute, `ms` after it.
std::string Time(int second, int ms = 0) {
  char text[64];
  std::snprintf(text, sizeof(text), "2026-12-07T10:12:%02d.%03d456789Z", second, ms);
  return text;
}
int64_t Ms(int second, int ms = 0) { return kBaseMs + second * 1000 + ms; }

std::string Cri(int second, const std::string& stream, const std::string& tag,
                const std::string& message) {
  return Time(second) + " " + stream + " " + tag + " " + message + "\n";
}

// `log` is written as given (already escaped); `final` appends the "\n".
std::string Docker(int second, const std::string& stream, const std::string& log,
                   bool final = true) {
  return "{\"log\":\"" + log + (final ? "\\n" : "") + "\",\"stream\":\"" + stream +
         "\",\"time\":\"" + Time(second) + "\"}\n";
}

struct Line {
  std::string text;
  int64_t ms;  // -1: the chunk has no time for it
  bool operator==(const Line& other) const { return text == other.text && ms == other.ms; }
};

std::ostream& operator<<(std::ostream& out, const Line& line) {
  return out << "{\"" << line.text << "\", " << line.ms << "}";
}

// A decoder and what it emitted.
struct DecoderRun {
  explicit DecoderRun(LogFormat format, size_t max_line_bytes = 1000)
      : decoder(format == LogFormat::kCri
                    ? MakeCriDecoder("/var/log/pods/x/0.log", max_line_bytes)
                    : MakeDockerDecoder("/var/lib/docker/x-json.log", max_line_bytes)) {}

  LineDecoder::Emit Sink() {
    return [this](std::string_view chunk, LineTimes times) {
      ++emits;
      ASSERT_FALSE(chunk.empty());
      ASSERT_EQ(chunk.back(), '\n');
      size_t t = 0;
      for (size_t start = 0; start < chunk.size();) {
        const size_t end = chunk.find('\n', start);
        int64_t ms = -1;
        if (t < times.size && times.data[t].offset == start) ms = times.data[t++].ms;
        lines.push_back({std::string(chunk.substr(start, end - start)), ms});
        start = end + 1;
      }
      EXPECT_EQ(t, times.size) << "a time not at a line's start";
    };
  }

  // Feeds input[from, to) in calls of at most `step` bytes.
  void Feed(std::string_view input, size_t from, size_t to, size_t step = SIZE_MAX) {
    for (size_t at = from; at < to;) {
      const size_t n = std::min(step, to - at);
      decoder->Feed(at, input.substr(at, n), &scratch, Sink(), &stats);
      at += n;
    }
  }
  void Feed(std::string_view input) { Feed(input, 0, input.size()); }
  void Flush() { decoder->Flush(&scratch, Sink(), &stats); }

  std::unique_ptr<LineDecoder> decoder;
  std::vector<char> scratch;
  SourceStats stats;
  std::vector<Line> lines;
  int emits = 0;
};

// For the exhaustive tests: their garbage lines would warn thousands of times.
class QuietLog {
 public:
  QuietLog() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::err); }
  ~QuietLog() { spdlog::set_level(level_); }

 private:
  spdlog::level::level_enum level_;
};

std::vector<Line> Decode(LogFormat format, std::string_view input, size_t max_line_bytes = 1000) {
  DecoderRun run(format, max_line_bytes);
  run.Feed(input);
  return run.lines;
}

// ---- cri ----

TEST(CriDecoder, FullLines) {
  const std::string input = Cri(1, "stdout", "F", "hello world") +
                            Cri(2, "stderr", "F", "ERROR code=60007 things broke") +
                            Cri(3, "stdout", "F", "") +  // an empty message is an empty line
                            Time(4) + " stdout F\n";     // so is one without the space
  DecoderRun run(LogFormat::kCri);
  run.Feed(input);
  EXPECT_EQ(run.lines, (std::vector<Line>{{"hello world", Ms(1)},
                                          {"ERROR code=60007 things broke", Ms(2)},
                                          {"", Ms(3)},
                                          {"", Ms(4)}}));
  EXPECT_EQ(run.emits, 1);  // one run per Feed, not one per line
  EXPECT_EQ(run.stats.decode_errors[kCriIndex], 0u);
  EXPECT_EQ(run.stats.lines_cut, 0u);
  EXPECT_EQ(run.decoder->format(), LogFormat::kCri);
}

TEST(CriDecoder, PartialPiecesJoined) {
  const std::string input = Cri(1, "stdout", "P", "first piece, ") +
                            Cri(2, "stdout", "P", "second piece, ") +
                            Cri(3, "stdout", "F", "last piece");
  EXPECT_EQ(Decode(LogFormat::kCri, input),
            (std::vector<Line>{{"first piece, second piece, last piece", Ms(3)}}));
}

TEST(CriDecoder, InterleavedStreams) {
  const std::string input = Cri(1, "stdout", "P", "out-a ") + Cri(2, "stderr", "F", "err") +
                            Cri(3, "stdout", "F", "out-b") + Cri(4, "stderr", "P", "e1 ") +
                            Cri(5, "stdout", "P", "o1 ") + Cri(6, "stderr", "P", "e2 ") +
                            Cri(7, "stdout", "F", "o2") + Cri(8, "stderr", "F", "e3");
  EXPECT_EQ(Decode(LogFormat::kCri, input),
            (std::vector<Line>{
                {"err", Ms(2)}, {"out-a out-b", Ms(3)}, {"o1 o2", Ms(7)}, {"e1 e2 e3", Ms(8)}}));
}

TEST(CriDecoder, TagWithMoreFields) {
  const std::string input = Cri(1, "stdout", "P:x:y", "joined ") + Cri(2, "stdout", "F:x", "tag");
  EXPECT_EQ(Decode(LogFormat::kCri, input), (std::vector<Line>{{"joined tag", Ms(2)}}));
}

TEST(CriDecoder, TimeZoneOffsetsAndCriOTimes) {
  const std::string input =
      "2026-12-07T18:12:09.123456789+08:00 stdout F from CRI-O\n"
      "2026-12-07T10:12:09Z stderr F no fraction\n"
      "2026-12-07T05:12:09.5-05:00 stdout F half a second\n";
  EXPECT_EQ(Decode(LogFormat::kCri, input), (std::vector<Line>{{"from CRI-O", Ms(9, 123)},
                                                               {"no fraction", Ms(9)},
                                                               {"half a second", Ms(9, 500)}}));
}

// The result must not depend on how the bytes are cut into Feed calls.
void ExpectSameAtEverySplit(LogFormat format, const std::string& input, size_t max_line_bytes) {
  QuietLog quiet;
  DecoderRun whole(format, max_line_bytes);
  whole.Feed(input);
  ASSERT_FALSE(whole.lines.empty());
  for (size_t split = 0; split <= input.size(); ++split) {
    DecoderRun run(format, max_line_bytes);
    run.Feed(input, 0, split);
    run.Feed(input, split, input.size());
    ASSERT_EQ(run.lines, whole.lines) << "split at " << split;
    ASSERT_EQ(run.stats.lines_cut, whole.stats.lines_cut) << "split at " << split;
    ASSERT_EQ(run.stats.decode_errors, whole.stats.decode_errors) << "split at " << split;
  }
  for (size_t step : {1, 2, 3, 7, 64}) {
    DecoderRun run(format, max_line_bytes);
    run.Feed(input, 0, input.size(), step);
    ASSERT_EQ(run.lines, whole.lines) << "step " << step;
    ASSERT_EQ(run.stats.lines_cut, whole.stats.lines_cut) << "step " << step;
  }
}

TEST(CriDecoder, SameLinesAtEverySplit) {
  const std::string input = Cri(1, "stdout", "P", "ab") + Cri(2, "stderr", "F", "e") +
                            Cri(3, "stdout", "P", "cd") + Cri(4, "stdout", "F", "ef") +
                            "garbage\n" + Cri(5, "stderr", "F", "last");
  const std::vector<Line> want = {
      {"e", Ms(2)}, {"abcdef", Ms(4)}, {"garbage", -1}, {"last", Ms(5)}};
  EXPECT_EQ(Decode(LogFormat::kCri, input), want);
  ExpectSameAtEverySplit(LogFormat::kCri, input, 1000);
}

TEST(CriDecoder, GarbagePassedOnAndCounted) {
  const std::string input =
      std::string("plain text line\n") + "\n" + "2026-12-07T10:12:09Z stdout X bad tag\n" +
      "2026-13-07T10:12:09Z stdout F bad month\n" + "2026-12-07T10:12:09Z stdin F bad stream\n" +
      Cri(1, "stdout", "F", "ok") + "2026-12-07T10:1\n";  // cut short
  DecoderRun run(LogFormat::kCri);
  run.Feed(input);
  EXPECT_EQ(run.lines, (std::vector<Line>{{"plain text line", -1},
                                          {"", -1},
                                          {"2026-12-07T10:12:09Z stdout X bad tag", -1},
                                          {"2026-13-07T10:12:09Z stdout F bad month", -1},
                                          {"2026-12-07T10:12:09Z stdin F bad stream", -1},
                                          {"ok", Ms(1)},
                                          {"2026-12-07T10:1", -1}}));
  EXPECT_EQ(run.stats.decode_errors[kCriIndex], 6u);
  EXPECT_EQ(run.stats.decode_errors[kDockerIndex], 0u);
}

TEST(CriDecoder, GarbageWarnedOncePerFile) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  DecoderRun run(LogFormat::kCri);
  std::string garbage;
  for (int i = 0; i < 100; ++i) garbage += "not a cri line " + std::to_string(i) + "\n";
  run.Feed(garbage, 0, garbage.size(), 100);
  const std::string more = Cri(1, "stdout", "F", "good") + "more garbage\n";
  run.Feed(garbage + more, garbage.size(), garbage.size() + more.size());
  spdlog::set_default_logger(previous);
  EXPECT_EQ(run.stats.decode_errors[kCriIndex], 101u);
  const std::string text = log.str();
  EXPECT_NE(text.find("/var/log/pods/x/0.log"), std::string::npos) << text;
  EXPECT_NE(text.find("offset 0"), std::string::npos) << text;
  size_t warnings = 0;
  for (size_t at = 0; (at = text.find("not a cri log line", at)) != std::string::npos; ++at)
    ++warnings;
  EXPECT_EQ(warnings, 1u) << text;
}

TEST(CriDecoder, LongMessagesCut) {
  const size_t max = 20;
  const std::string input =
      Cri(1, "stdout", "P", "0123456789") + Cri(2, "stdout", "P", "0123456789") +  // 20: fits
      Cri(3, "stderr", "F", "short") +
      Cri(4, "stdout", "P", "abc") +  // 23: cut here, the rest of the message skipped
      Cri(5, "stdout", "P", "skipped") + Cri(6, "stdout", "F", "skipped too") +
      Cri(7, "stdout", "F", "012345678901234567890123") +                          // one piece, cut
      Cri(8, "stdout", "P", "01234567890123456789") + Cri(9, "stdout", "F", "") +  // exactly max
      Cri(10, "stdout", "F", "next");
  DecoderRun run(LogFormat::kCri, max);
  run.Feed(input);
  EXPECT_EQ(run.lines, (std::vector<Line>{{"short", Ms(3)},
                                          {"01234567890123456789", Ms(4)},
                                          {"01234567890123456789", Ms(7)},
                                          {"01234567890123456789", Ms(9)},
                                          {"next", Ms(10)}}));
  EXPECT_EQ(run.stats.lines_cut, 2u);
  EXPECT_EQ(run.stats.decode_errors[kCriIndex], 0u);
  ExpectSameAtEverySplit(LogFormat::kCri, input, max);
}

TEST(CriDecoder, LongRawLineCut) {
  // Raw lines longer than max_line_bytes + 256 are cut: their head still
  // says which stream and piece they are.
  const size_t max = 20;
  const std::string input =
      Cri(1, "stderr", "P", std::string(1000, 'a')) + Cri(2, "stdout", "F", std::string(900, 'b')) +
      Cri(3, "stderr", "F", "rest of the cut message") + Cri(4, "stderr", "F", "after") +
      std::string(600, 'g') + "\n" + Cri(5, "stdout", "F", "end");
  DecoderRun run(LogFormat::kCri, max);
  run.Feed(input);
  EXPECT_EQ(run.lines, (std::vector<Line>{{std::string(20, 'a'), Ms(1)},
                                          {std::string(20, 'b'), Ms(2)},
                                          {"after", Ms(4)},
                                          {std::string(20, 'g'), -1},
                                          {"end", Ms(5)}}));
  EXPECT_EQ(run.stats.lines_cut, 3u);
  EXPECT_EQ(run.stats.decode_errors[kCriIndex], 1u);
  ExpectSameAtEverySplit(LogFormat::kCri, input, max);
}

TEST(CriDecoder, NothingUnbounded) {
  // A message that never ends, fed in large reads: one cut line, and the
  // output buffer stays the size of a line.
  const size_t max = 1000;
  DecoderRun run(LogFormat::kCri, max);
  std::string chunk;
  for (int i = 0; i < 600; ++i) chunk += Cri(1, "stdout", "P", std::string(100, 'x'));
  uint64_t offset = 0;
  for (int i = 0; i < 50; ++i) {
    run.decoder->Feed(offset, chunk, &run.scratch, run.Sink(), &run.stats);
    offset += chunk.size();
  }
  EXPECT_EQ(run.lines, (std::vector<Line>{{std::string(max, 'x'), Ms(1)}}));
  EXPECT_LE(run.scratch.size(), 2 * (max + 1));
  // A raw line with no end in sight: kept to its head, its length skipped.
  const std::string endless = Time(2) + " stderr F " + std::string(1 << 20, 'y');
  for (int i = 0; i < 10; ++i) {
    run.decoder->Feed(offset, endless, &run.scratch, run.Sink(), &run.stats);
    offset += endless.size();
  }
  run.decoder->Feed(offset, "\n", &run.scratch, run.Sink(), &run.stats);
  ASSERT_EQ(run.lines.size(), 2u);
  EXPECT_EQ(run.lines[1], (Line{std::string(max, 'y'), Ms(2)}));
  EXPECT_EQ(run.stats.lines_cut, 2u);
}

// ---- docker ----

TEST(DockerDecoder, Escapes) {
  const std::string input =
      Docker(1, "stdout", R"(say \"hi\" back\\slash \/ tab\there)") +
      Docker(2, "stderr", R"(caf\u00e9 \ud83d\ude00 nul\u0000end \b\f\r)") +
      Docker(3, "stdout", R"(two\nlines)") +  // one message, two lines, both timed
      Docker(4, "stdout", R"(bad \x escape \u12 \ud83d lone \ude00)") +
      Docker(5, "stdout", R"(\\n)") + Docker(6, "stdout", R"(ends in \\n)", false) +
      Docker(7, "stdout", "");
  EXPECT_EQ(
      Decode(LogFormat::kDocker, input),
      (std::vector<Line>{{"say \"hi\" back\\slash / tab\there", Ms(1)},
                         {std::string("caf\xc3\xa9 \xf0\x9f\x98\x80 nul\0end \b\f\r", 22), Ms(2)},
                         {"two", Ms(3)},
                         {"lines", Ms(3)},
                         {"bad \\x escape \\u12 \xef\xbf\xbd lone \xef\xbf\xbd", Ms(4)},
                         {"\\n", Ms(5)},
                         {"ends in \\n", Ms(7)}}));
}

TEST(DockerDecoder, RestResponse) {
  const std::string input =
      R"({"log":"{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007,\"ErrorInfo\":\"...\"}\n","stream":"stdout","time":"2026-12-07T10:12:09.123456789Z"})"
      "\n";
  EXPECT_EQ(Decode(LogFormat::kDocker, input),
            (std::vector<Line>{
                {R"({"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"..."})", Ms(9, 123)}}));
  EXPECT_TRUE(LooksLikeDockerLine(input.substr(0, input.size() - 1)));
}

TEST(DockerDecoder, SplitEntriesJoined) {
  // dockerd cuts messages over 16 KiB into entries, "\n" only on the last.
  const std::string a(16384, 'a'), b(16384, 'b');
  const std::string input = Docker(1, "stdout", a, false) + Docker(2, "stderr", "interleaved") +
                            Docker(3, "stdout", b, false) + Docker(4, "stdout", "c");
  DecoderRun run(LogFormat::kDocker, 64 * 1024);
  run.Feed(input);
  EXPECT_EQ(run.lines, (std::vector<Line>{{"interleaved", Ms(2)}, {a + b + "c", Ms(4)}}));
  EXPECT_EQ(run.stats.lines_cut, 0u);
}

TEST(DockerDecoder, KeysInAnyOrderAndAttrs) {
  const std::string input =
      R"({"stream":"stderr","time":"2026-12-07T10:12:01Z","log":"first\n"})"
      "\n"
      R"({"log":"second\n","stream":"stdout","attrs":{"tag":"x","n":[1,{"y":"}"}]},"time":"2026-12-07T10:12:02Z"})"
      "\n"
      R"( { "log" : "third\n" , "stream" : "stdout" , "time" : "2026-12-07T10:12:03Z" , "n" : 12 } )"
      "\n";
  EXPECT_EQ(Decode(LogFormat::kDocker, input),
            (std::vector<Line>{{"first", Ms(1)}, {"second", Ms(2)}, {"third", Ms(3)}}));
}

TEST(DockerDecoder, GarbagePassedOnAndCounted) {
  const std::vector<std::string> bad = {
      "plain text",
      R"({"log":"no end)",
      R"({"log":"x\n","stream":"stdout","time":"2026-12-07T10:12:01Z"} trailing)",
      R"({"log":"x\n","stream":"stdin","time":"2026-12-07T10:12:01Z"})",
      R"({"log":"x\n","stream":"stdout","time":"yesterday"})",
      R"({"log":"x\n","stream":"stdout"})",
      R"({"stream":"stdout","time":"2026-12-07T10:12:01Z"})",
      R"({"log":"x\n" "stream":"stdout","time":"2026-12-07T10:12:01Z"})",
      R"({"log":1,"stream":"stdout","time":"2026-12-07T10:12:01Z"})",
      "",
  };
  std::string input;
  std::vector<Line> want;
  for (const std::string& line : bad) {
    input += line + "\n";
    want.push_back({line, -1});
    EXPECT_FALSE(LooksLikeDockerLine(line)) << line;
  }
  input += Docker(5, "stdout", "fine");
  want.push_back({"fine", Ms(5)});
  DecoderRun run(LogFormat::kDocker);
  run.Feed(input);
  EXPECT_EQ(run.lines, want);
  EXPECT_EQ(run.stats.decode_errors[kDockerIndex], bad.size());
  EXPECT_EQ(run.stats.decode_errors[kCriIndex], 0u);
}

TEST(DockerDecoder, LongRawLineReadsStreamAndTimeFromItsTail) {
  const size_t max = 20;
  const std::string input =
      Docker(1, "stderr", std::string(1000, 'a'), false) +  // cut; the message goes on
      Docker(2, "stdout", "between") + Docker(3, "stderr", "skipped end of the cut message") +
      Docker(4, "stdout", std::string(990, 'b') + R"(\"\u00e9)") +  // cut, final
      Docker(5, "stderr", "after") + Docker(6, "stdout", "c");
  DecoderRun run(LogFormat::kDocker, max);
  run.Feed(input);
  EXPECT_EQ(run.lines, (std::vector<Line>{{std::string(20, 'a'), Ms(1)},
                                          {"between", Ms(2)},
                                          {std::string(20, 'b'), Ms(4)},
                                          {"after", Ms(5)},
                                          {"c", Ms(6)}}));
  EXPECT_EQ(run.stats.lines_cut, 2u);
  EXPECT_EQ(run.stats.decode_errors[kDockerIndex], 0u);
  ExpectSameAtEverySplit(LogFormat::kDocker, input, max);
}

TEST(DockerDecoder, SameLinesAtEverySplit) {
  const std::string input = Docker(1, "stdout", "ab", false) + Docker(2, "stderr", R"(\u00e9\"x)") +
                            Docker(3, "stdout", "cd", false) + Docker(4, "stdout", "ef") +
                            "{\"log\":\"garbage\n" + Docker(5, "stderr", "last");
  EXPECT_EQ(
      Decode(LogFormat::kDocker, input),
      (std::vector<Line>{
          {"\xc3\xa9\"x", Ms(2)}, {"abcdef", Ms(4)}, {"{\"log\":\"garbage", -1}, {"last", Ms(5)}}));
  ExpectSameAtEverySplit(LogFormat::kDocker, input, 1000);
}

// ---- restarts ----

// A decoder fed input[0, cut), then a fresh one resumed from its position
// and fed the rest: together they emit exactly what one decoder emits.
std::vector<Line> Restarted(LogFormat format, const std::string& input, size_t cut, size_t max,
                            SourceStats* stats) {
  DecoderRun first(format, max);
  first.Feed(input, 0, cut);
  const DecoderPosition position = first.decoder->Position();
  EXPECT_LE(position.resume_offset + position.skip, cut);
  EXPECT_GE(position.counted_offset, position.resume_offset);
  EXPECT_LE(position.counted_offset, cut);
  EXPECT_FALSE(position.skipping);
  DecoderRun second(format, max);
  second.decoder->Resume(position);
  second.Feed(input, position.resume_offset, input.size());
  std::vector<Line> lines = first.lines;
  lines.insert(lines.end(), second.lines.begin(), second.lines.end());
  stats->lines_cut = first.stats.lines_cut + second.stats.lines_cut;
  for (size_t i = 0; i < kLogFormatCount; ++i)
    stats->decode_errors[i] = first.stats.decode_errors[i] + second.stats.decode_errors[i];
  return lines;
}

TEST(ContainerDecoder, RestartDoesNotRecountAnotherStreamsLine) {
  // stdout's P holds the resume point back; stderr's F after it was counted.
  const std::string before = Cri(1, "stdout", "P", "out ") + Cri(2, "stderr", "F", "err");
  const std::string input = before + Cri(3, "stdout", "F", "done");
  DecoderRun first(LogFormat::kCri);
  first.Feed(input, 0, before.size());
  EXPECT_EQ(first.lines, (std::vector<Line>{{"err", Ms(2)}}));
  const DecoderPosition position = first.decoder->Position();
  EXPECT_EQ(position.resume_offset, 0u);
  EXPECT_EQ(position.skip, before.size());
  EXPECT_EQ(position.counted_offset, before.size());
  DecoderRun second(LogFormat::kCri);
  second.decoder->Resume(position);
  second.Feed(input, 0, input.size());  // re-reads the stderr line
  EXPECT_EQ(second.lines, (std::vector<Line>{{"out done", Ms(3)}}));
}

TEST(ContainerDecoder, RestartSeeingOnlyAFinalPieceDoesNotRecount) {
  // stdout's message began before the resume point (held back by stderr's P):
  // the restart sees only its F piece, and must not emit it again.
  const std::string head = Cri(1, "stdout", "P", "out ");
  const std::string before = head + Cri(2, "stderr", "P", "err ") + Cri(3, "stdout", "F", "done");
  const std::string input =
      before + Cri(4, "stdout", "F", "new") + Cri(5, "stderr", "F", "finished");
  DecoderRun first(LogFormat::kCri);
  first.Feed(input, 0, before.size());
  EXPECT_EQ(first.lines, (std::vector<Line>{{"out done", Ms(3)}}));
  const DecoderPosition position = first.decoder->Position();
  EXPECT_EQ(position.resume_offset, head.size());
  EXPECT_EQ(position.skip, before.size() - head.size());
  DecoderRun second(LogFormat::kCri);
  second.decoder->Resume(position);
  second.Feed(input, position.resume_offset, input.size());
  EXPECT_EQ(second.lines, (std::vector<Line>{{"new", Ms(4)}, {"err finished", Ms(5)}}));
}

// Mixed inputs: joins across other streams' lines, garbage, cut messages and
// cut raw lines, with max_line_bytes 24.
std::string MixedCri() {
  return Cri(1, "stdout", "F", "first") + Cri(2, "stdout", "P", "aaaa") +
         Cri(3, "stderr", "F", "err one") + Cri(4, "stdout", "P", "bbbb") + "not a cri line\n" +
         Cri(5, "stdout", "F", "cccc") + Cri(6, "stderr", "P", std::string(15, 'L')) +
         Cri(7, "stderr", "P", std::string(15, 'M')) + Cri(8, "stdout", "F", "mid") +
         Cri(9, "stderr", "P", "skipped") + Cri(10, "stderr", "F", "skipped") +
         Cri(11, "stdout", "F", std::string(300, 'x')) + Cri(12, "stderr", "P", "x") +
         Cri(13, "stdout", "P", "y") + Cri(14, "stdout", "F", "z") + Cri(15, "stderr", "F", "w") +
         Cri(16, "stdout", "F", "last");
}

std::string MixedDocker() {
  return Docker(1, "stdout", "first") + Docker(2, "stdout", "aaaa", false) +
         Docker(3, "stderr", R"(err \"one\")") + Docker(4, "stdout", "bbbb", false) +
         "{\"log\":\"not docker\n" + Docker(5, "stdout", "cccc") +
         Docker(6, "stderr", std::string(15, 'L'), false) +
         Docker(7, "stderr", std::string(15, 'M'), false) + Docker(8, "stdout", "mid") +
         Docker(9, "stderr", "skipped", false) + Docker(10, "stderr", "skipped") +
         Docker(11, "stdout", std::string(300, 'x')) + Docker(12, "stderr", "x", false) +
         Docker(13, "stdout", "y", false) + Docker(14, "stdout", "z") + Docker(15, "stderr", "w") +
         Docker(16, "stdout", "last");
}

const std::vector<Line>& MixedLines() {
  static const std::vector<Line> lines = {{"first", Ms(1)},
                                          {"err one", Ms(3)},
                                          {"not a cri line", -1},
                                          {"aaaabbbbcccc", Ms(5)},
                                          {std::string(15, 'L') + std::string(9, 'M'), Ms(7)},
                                          {"mid", Ms(8)},
                                          {std::string(24, 'x'), Ms(11)},
                                          {"yz", Ms(14)},
                                          {"xw", Ms(15)},
                                          {"last", Ms(16)}};
  return lines;
}

void ExpectExactlyOnceAtEveryByte(LogFormat format, const std::string& input,
                                  const std::vector<Line>& want) {
  QuietLog quiet;
  const size_t max = 24;
  DecoderRun whole(format, max);
  whole.Feed(input);
  ASSERT_EQ(whole.lines, want);
  ASSERT_EQ(whole.stats.lines_cut, 2u);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    SourceStats stats;
    ASSERT_EQ(Restarted(format, input, cut, max, &stats), want) << "restart at " << cut;
    ASSERT_EQ(stats.lines_cut, whole.stats.lines_cut) << "restart at " << cut;
    ASSERT_EQ(stats.decode_errors, whole.stats.decode_errors) << "restart at " << cut;
  }
}

TEST(ContainerDecoder, CriExactlyOnceAcrossARestartAtEveryByte) {
  ExpectExactlyOnceAtEveryByte(LogFormat::kCri, MixedCri(), MixedLines());
}

TEST(ContainerDecoder, DockerExactlyOnceAcrossARestartAtEveryByte) {
  std::vector<Line> want = MixedLines();
  want[1].text = "err \"one\"";
  want[2].text = "{\"log\":\"not docker";
  ExpectExactlyOnceAtEveryByte(LogFormat::kDocker, MixedDocker(), want);
}

TEST(ContainerDecoder, RestartWhileCatchingUp) {
  // Restarted again before the second decoder caught up with the first's
  // position, at many pairs of points: still each line once.
  QuietLog quiet;
  const std::string input = MixedCri();
  const size_t max = 24;
  for (size_t cut1 = 0; cut1 <= input.size(); cut1 += 3) {
    DecoderRun first(LogFormat::kCri, max);
    first.Feed(input, 0, cut1);
    const DecoderPosition p1 = first.decoder->Position();
    for (size_t cut2 = p1.resume_offset; cut2 <= input.size(); cut2 += 11) {
      DecoderRun second(LogFormat::kCri, max);
      second.decoder->Resume(p1);
      second.Feed(input, p1.resume_offset, cut2, 5);
      const DecoderPosition p2 = second.decoder->Position();
      ASSERT_GE(p2.resume_offset, p1.resume_offset);
      ASSERT_GE(p2.resume_offset + p2.skip, p1.resume_offset + p1.skip);
      ASSERT_GE(p2.counted_offset, p1.counted_offset);
      DecoderRun third(LogFormat::kCri, max);
      third.decoder->Resume(p2);
      third.Feed(input, p2.resume_offset, input.size());
      std::vector<Line> lines = first.lines;
      lines.insert(lines.end(), second.lines.begin(), second.lines.end());
      lines.insert(lines.end(), third.lines.begin(), third.lines.end());
      ASSERT_EQ(lines, MixedLines()) << "restarts at " << cut1 << " and " << cut2;
      ASSERT_EQ(first.stats.lines_cut + second.stats.lines_cut + third.stats.lines_cut, 2u);
    }
  }
}

TEST(ContainerDecoder, ResumeInsideALineSkipsToItsEnd) {
  // A position that is not a container decoder's (a plain file's, say).
  const std::string input = Cri(1, "stdout", "F", "first") + Cri(2, "stdout", "F", "second");
  DecoderPosition inside;
  inside.resume_offset = inside.counted_offset = 5;
  inside.skipping = true;
  DecoderRun run(LogFormat::kCri);
  run.decoder->Resume(inside);
  run.Feed(input, 5, 20);
  EXPECT_TRUE(run.decoder->Position().skipping);
  EXPECT_EQ(run.decoder->Position().resume_offset, 20u);
  run.Feed(input, 20, input.size());
  EXPECT_EQ(run.lines, (std::vector<Line>{{"second", Ms(2)}}));
  EXPECT_FALSE(run.decoder->Position().skipping);
  EXPECT_EQ(run.decoder->Position().resume_offset, input.size());
}

TEST(ContainerDecoder, FlushEmitsWhatIsPending) {
  const std::string input = Cri(1, "stdout", "P", "abc") + Cri(2, "stderr", "P", "def") + Time(3) +
                            " stdout P ghi";  // the raw line has no end
  DecoderRun run(LogFormat::kCri);
  run.Feed(input);
  EXPECT_TRUE(run.lines.empty());
  run.Flush();
  EXPECT_EQ(run.lines, (std::vector<Line>{{"abcghi", Ms(3)}, {"def", Ms(2)}}));
  EXPECT_EQ(run.decoder->Position().resume_offset, input.size());
  run.Flush();  // nothing left
  EXPECT_EQ(run.lines.size(), 2u);

  DecoderRun docker(LogFormat::kDocker);
  docker.Feed(Docker(1, "stdout", "x") + R"({"log":"cut sho)");
  docker.Flush();
  EXPECT_EQ(docker.lines, (std::vector<Line>{{"x", Ms(1)}, {R"({"log":"cut sho)", -1}}));
}

TEST(ContainerDecoder, ResetStartsOver) {
  const std::string input = MixedCri();
  DecoderRun run(LogFormat::kCri, 24);
  run.Feed(input, 0, input.size() / 2);
  run.decoder->Reset();
  run.lines.clear();
  run.Feed(input);
  EXPECT_EQ(run.lines, MixedLines());
  const DecoderPosition position = run.decoder->Position();
  EXPECT_EQ(position.resume_offset, input.size());
  EXPECT_EQ(position.skip, 0u);
  EXPECT_EQ(position.counted_offset, input.size());
}

TEST(ContainerDecoder, LooksLike) {
  EXPECT_TRUE(LooksLikeCriLine("2026-12-07T10:12:09.123456789Z stdout F hello"));
  EXPECT_TRUE(LooksLikeCriLine("2026-12-07T10:12:09.123456789+08:00 stderr P:x part"));
  EXPECT_TRUE(LooksLikeCriLine("2026-12-07T10:12:09Z stdout F"));
  EXPECT_FALSE(LooksLikeCriLine("2026-12-07T10:12:09Z stdout"));
  EXPECT_FALSE(LooksLikeCriLine("2026-12-07T10:12:09Z stdout Full message"));
  EXPECT_FALSE(LooksLikeCriLine("2026-12-07 10:12:09,123 ERROR plain log"));
  EXPECT_FALSE(
      LooksLikeCriLine(R"({"log":"x\n","stream":"stdout","time":"2026-12-07T10:12:09Z"})"));
  EXPECT_TRUE(
      LooksLikeDockerLine(R"({"log":"x\n","stream":"stdout","time":"2026-12-07T10:12:09Z"})"));
  EXPECT_TRUE(
      LooksLikeDockerLine(R"({"log":"part","stream":"stderr","time":"2026-12-07T10:12:09Z"})"));
  EXPECT_FALSE(LooksLikeDockerLine(R"({"log":"x\n","stream":"stdout","time":"2026-12-07T10:12)"));
  EXPECT_FALSE(LooksLikeDockerLine(R"({"level":"error","msg":"not docker's"})"));
  EXPECT_FALSE(LooksLikeDockerLine("2026-12-07T10:12:09Z stdout F hello"));
}

// ---- RFC 3339 ----

int64_t ParseOk(std::string_view text, size_t want_consumed) {
  int64_t ms = 0;
  size_t consumed = 0;
  EXPECT_TRUE(ParseRfc3339(text, &ms, &consumed)) << text;
  EXPECT_EQ(consumed, want_consumed) << text;
  return ms;
}

TEST(Rfc3339, Parses) {
  EXPECT_EQ(ParseOk("2026-12-07T10:12:09Z", 20), Ms(9));
  EXPECT_EQ(ParseOk("2026-12-07t10:12:09z", 20), Ms(9));
  EXPECT_EQ(ParseOk("2026-12-07 10:12:09Z", 20), Ms(9));
  EXPECT_EQ(ParseOk("2026-12-07T10:12:09.123456789Z stdout F x", 30), Ms(9, 123));
  EXPECT_EQ(ParseOk("2026-12-07T18:12:09.123456789+08:00", 35), Ms(9, 123));
  EXPECT_EQ(ParseOk("2026-12-07T04:42:09-05:30", 25), Ms(9));
  EXPECT_EQ(ParseOk("2026-12-07T10:12:09+00:00", 25), Ms(9));
  EXPECT_EQ(ParseOk("2026-12-07T10:12:09-00:00", 25), Ms(9));
  EXPECT_EQ(ParseOk("2026-12-08T00:12:09+14:00", 25), Ms(9));  // across the date line
  // 1 to 9 fraction digits, truncated to milliseconds.
  const char* fractions[] = {".9",      ".98",      ".987",      ".9876",     ".98765",
                             ".987654", ".9876543", ".98765432", ".987654321"};
  const int want_ms[] = {900, 980, 987, 987, 987, 987, 987, 987, 987};
  for (int i = 0; i < 9; ++i) {
    const std::string text = std::string("2026-12-07T10:12:09") + fractions[i] + "Z";
    EXPECT_EQ(ParseOk(text, text.size()), Ms(9, want_ms[i])) << text;
  }
  EXPECT_EQ(ParseOk("1970-01-01T00:00:00Z", 20), 0);
  EXPECT_EQ(ParseOk("1969-12-31T23:59:59Z", 20), -1000);
  EXPECT_EQ(ParseOk("1969-12-31T23:59:59.5Z", 22), -500);
  EXPECT_EQ(ParseOk("2024-02-29T00:00:00Z", 20), 1709164800000);  // leap year
  EXPECT_EQ(ParseOk("2000-03-01T00:00:00Z", 20), 951868800000);
  EXPECT_EQ(ParseOk("0001-01-01T00:00:00Z", 20), -62135596800000);
  EXPECT_EQ(ParseOk("9999-12-31T23:59:59Z", 20), 253402300799000);
  EXPECT_EQ(ParseOk("2016-12-31T23:59:60Z", 20), 1483228800000);  // leap second
}

TEST(Rfc3339, Rejects) {
  const char* bad[] = {
      "",
      "2026-12-07T10:12:09",              // no zone
      "2026-12-07T10:12:09.Z",            // no fraction digits
      "2026-12-07T10:12:09.1234567890Z",  // ten fraction digits
      "2026-12-07X10:12:09Z",
      "2026-12-07T10:12Z",
      "2026-12-7T10:12:09Z",
      "2026/12/07T10:12:09Z",
      "2026-00-07T10:12:09Z",
      "2026-13-07T10:12:09Z",
      "2026-12-00T10:12:09Z",
      "2026-12-32T10:12:09Z",
      "2026-02-29T10:12:09Z",  // not a leap year
      "1900-02-29T10:12:09Z",
      "2026-04-31T10:12:09Z",
      "2026-12-07T24:12:09Z",
      "2026-12-07T10:60:09Z",
      "2026-12-07T10:12:61Z",
      "2026-12-07T10:12:09+8:00",
      "2026-12-07T10:12:09+08",
      "2026-12-07T10:12:09+0800",
      "2026-12-07T10:12:09+24:00",
      "2026-12-07T10:12:09+08:60",
      "2026-12-07T10:12:09 Z",
      "2026-12-07T1a:12:09Z",
      "-026-12-07T10:12:09Z",
  };
  for (const char* text : bad) {
    int64_t ms = 42;
    size_t consumed = 42;
    EXPECT_FALSE(ParseRfc3339(text, &ms, &consumed)) << text;
    EXPECT_EQ(ms, 42);
    EXPECT_EQ(consumed, 42u);
  }
}

}  // namespace
}  // namespace errpulse

namespace errpulse {
namespace {

// The cache reads only the fraction when the second and zone repeat: it must
// give what a full parse gives, whatever the sequence.
TEST(Rfc3339, CacheGivesWhatAFullParseGives) {
  const std::vector<std::string> stamps = {
      "2026-12-07T10:12:09.123456789Z stdout F x", "2026-12-07T10:12:09.9Z", "2026-12-07T10:12:09.05Z",
      "2026-12-07T10:12:09.123+08:00", "2026-12-07T10:12:09.5+08:00", "2026-12-07T10:12:10.000000001Z",
      "2026-12-07T10:12:10Z", "2026-12-07T10:12:10.1234567891Z", "2026-12-07T10:12:10.7z",
      "2026-12-07 10:12:10.7Z", "2026-12-07T10:12:10.7", "2026-02-30T10:12:10.7Z",
      "2026-12-07T10:12:10.7-05:30 rest", "2026-12-07T10:12:10.25-05:30"};
  Rfc3339Cache cache;
  for (int round = 0; round < 2; ++round) {
    for (const auto& s : stamps) {
      int64_t want_ms = -1, got_ms = -1;
      size_t want_n = 0, got_n = 0;
      const bool want = ParseRfc3339(s, &want_ms, &want_n);
      const bool got = cache.Parse(s, &got_ms, &got_n);
      EXPECT_EQ(got, want) << s;
      if (want) {
        EXPECT_EQ(got_ms, want_ms) << s;
        EXPECT_EQ(got_n, want_n) << s;
      }
    }
  }
}

}  // namespace
}  // namespace errpulse
