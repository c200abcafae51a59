// The state file: SerializeSnapshot / ParseSnapshot round trips, every kind of
// damage a state file can suffer (each must be refused with a specific
// reason, never accepted as something else), and the StateStore around it
// (missing file, unusable file moved aside, commit + load, the state_dir lock).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "state/sample_snapshot.h"
#include "state/snapshot.h"
#include "state/state_store.h"
#include "support/test_support.h"
#include "tail/file_identity.h"

namespace errpulse {
namespace {

namespace ept = errpulse::testing;
namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------
// Helpers

std::string Hex16(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

// A state file around `body`, with a correct checksum (the same FNV-1a as the
// file fingerprints).
std::string WithChecksum(const std::string& body) {
  return "errpulse-state 1 " + Hex16(FingerprintHash(body.data(), body.size())) + "\n" + body +
         "\n";
}

std::string BodyOf(const std::string& text) {
  std::string body = text.substr(text.find('\n') + 1);
  if (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

// A snapshot whose contents tell whether ParseSnapshot touched it.
Snapshot Sentinel() {
  Snapshot s;
  s.written_at_ms = -4242;
  SourceState x;
  x.name = "sentinel";
  s.sources.push_back(x);
  return s;
}

// Parses `text`; expects it to be refused with a message containing `want`
// (or any non-empty message when `want` is empty), and `out` left alone.
::testing::AssertionResult Refused(const std::string& text, const std::string& want) {
  Snapshot out = Sentinel();
  const std::string problem = ParseSnapshot(text, &out);
  if (problem.empty()) {
    return ::testing::AssertionFailure()
           << "accepted as a valid state (" << out.sources.size() << " source(s)): "
           << text.substr(0, 300);
  }
  if (!want.empty() && problem.find(want) == std::string::npos)
    return ::testing::AssertionFailure() << "refused with '" << problem << "', want '" << want
                                         << "'";
  if (!SameSnapshot(out, Sentinel()))
    return ::testing::AssertionFailure() << "refused ('" << problem << "') but `out` was changed";
  return ::testing::AssertionSuccess() << problem;
}

// ---------------------------------------------------------------------------
// Round trips

TEST(Snapshot, RoundTripKeepsEveryField) {
  const Snapshot original = Sample();
  const std::string text = SerializeSnapshot(original);
  Snapshot parsed;
  ASSERT_EQ(ParseSnapshot(text, &parsed), "");
  EXPECT_TRUE(SameSnapshot(parsed, original));
  // Stable: serializing what was parsed gives the same bytes.
  EXPECT_EQ(SerializeSnapshot(parsed), text);
}

// Decoded formats (clog, xlog, cri, docker), an undecided file, decode
// counters and per-container counts: written when used, read back exactly.
TEST(Snapshot, DecodedFormatsAndContainersRoundTrip) {
  Snapshot original = Sample();
  SourceState& sdk = original.sources[0];
  FileRecord clog = MakeFile("/var/log/sdk/LiteAV_C_20261207.clog", 1, 2, 1024, 77, 0, false, false);
  clog.format = LogFormat::kClog;
  clog.decode_skip = 123456789;
  clog.counted_offset = 10485760;
  FileRecord caught_up = clog;
  caught_up.path = "/var/log/sdk/LiteAV_C_20261206.clog";
  caught_up.catch_up_to = 5000;
  caught_up.counted_offset = 5000;
  FileRecord undecided = MakeFile("/var/log/pods/new.log", 1, 3, 0, 0, 17, true, false);
  undecided.format = LogFormat::kAuto;
  undecided.counted_offset = 17;
  FileRecord cri = MakeFile("/var/log/pods/ns_pod_uid/app/0.log", 1, 4, 1024, 5, 900, false, true);
  cri.format = LogFormat::kCri;
  cri.decode_skip = 300;
  cri.counted_offset = 1200;
  sdk.files.insert(sdk.files.end(), {clog, caught_up, undecided, cri});
  sdk.tail.decode_errors[static_cast<size_t>(LogFormat::kClog)] = 2;
  sdk.tail.decode_errors[static_cast<size_t>(LogFormat::kDocker)] = 5;
  sdk.tail.encrypted_blocks = 7;
  sdk.tail.seq_gaps = 3;
  sdk.containers = {{"live", "room-7f9c", "app", 1000, 40, {{60007, 12}, {-2, 3}}},
                    {"other", "other", "other", 5, 0, {{INT64_MIN, 2}}}};
  const std::string text = SerializeSnapshot(original);
  Snapshot parsed;
  ASSERT_EQ(ParseSnapshot(text, &parsed), "");
  EXPECT_TRUE(SameSnapshot(parsed, original));
  EXPECT_EQ(SerializeSnapshot(parsed), text);
  // A plain set-up's file is what it was before formats existed.
  EXPECT_EQ(SerializeSnapshot(Sample()).find("format"), std::string::npos);
  // A decoded record without its position is refused, not read as plain.
  std::string broken = BodyOf(text);
  const size_t at = broken.find("\"decode_skip\":123456789,");
  ASSERT_NE(at, std::string::npos);
  broken.erase(at, std::string("\"decode_skip\":123456789,").size());
  EXPECT_TRUE(Refused(WithChecksum(broken), "decode_skip"));
}

// A journal source's cursor: written only for journal sources (a file
// source's state reads as it always did), read back exactly, and an empty or
// non-string cursor refused rather than read as "start over".
TEST(Snapshot, JournalCursorRoundTripsAndOnlyJournalSourcesHaveOne) {
  Snapshot original = Sample();
  EXPECT_EQ(SerializeSnapshot(original).find("journal_cursor"), std::string::npos);
  SourceState journal;
  journal.name = "app";
  journal.lines = 7;
  journal.journal_cursor = "s=3bdc6f5ef6d74b6c;i=1;b=5f0e2a3c;m=3e8;t=6454216075000;x=a567ec1a";
  original.sources.push_back(journal);
  const std::string text = SerializeSnapshot(original);
  Snapshot parsed;
  ASSERT_EQ(ParseSnapshot(text, &parsed), "");
  EXPECT_TRUE(SameSnapshot(parsed, original));
  EXPECT_EQ(parsed.sources.back().journal_cursor, journal.journal_cursor);
  EXPECT_EQ(SerializeSnapshot(parsed), text);
  const std::string body = BodyOf(text);
  const std::string field = "\"journal_cursor\":\"" + journal.journal_cursor + "\"";
  ASSERT_NE(body.find(field), std::string::npos) << body;
  for (const char* bad : {"\"journal_cursor\":\"\"", "\"journal_cursor\":17"}) {
    std::string broken = body;
    broken.replace(broken.find(field), field.size(), bad);
    EXPECT_TRUE(Refused(WithChecksum(broken), "journal_cursor")) << bad;
  }
}

TEST(Snapshot, HeaderIsMagicVersionAndFnvOfTheBody) {
  const std::string text = SerializeSnapshot(Sample());
  const size_t newline = text.find('\n');
  ASSERT_NE(newline, std::string::npos);
  const std::string header = text.substr(0, newline);
  EXPECT_TRUE(std::regex_match(header, std::regex("errpulse-state 1 [0-9a-f]{16}"))) << header;
  ASSERT_EQ(text.back(), '\n');
  const std::string body = BodyOf(text);
  EXPECT_EQ(header.substr(17), Hex16(FingerprintHash(body.data(), body.size())));
  // The body is one JSON object with the documented top-level keys.
  const json root = json::parse(body);
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.at("written_at_ms").get<int64_t>(), 1767225600123);
  ASSERT_EQ(root.at("sources").size(), 3u);
  EXPECT_EQ(root.at("sources")[0].at("by_code").at("-2105").get<uint64_t>(), 4u);
  EXPECT_EQ(root.at("sources")[0].at("files")[0].at("offset").get<uint64_t>(), 40960u);
  // A checksum written by us is accepted as it stands.
  Snapshot parsed;
  EXPECT_EQ(ParseSnapshot(WithChecksum(body), &parsed), "");
}

TEST(Snapshot, EmptySnapshotRoundTrips) {
  Snapshot empty;
  Snapshot parsed = Sentinel();
  ASSERT_EQ(ParseSnapshot(SerializeSnapshot(empty), &parsed), "");
  EXPECT_TRUE(SameSnapshot(parsed, empty));
}

TEST(Snapshot, ExtremeValuesRoundTrip) {
  Snapshot s;
  s.written_at_ms = std::numeric_limits<int64_t>::max();
  SourceState x;
  x.name = "";
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  x.lines = x.errors = x.successes = x.unknown_total = max;
  x.by_code = {{std::numeric_limits<int64_t>::min(), max},
               {std::numeric_limits<int64_t>::max(), 1},
               {-1, 0}};
  x.other = {{"client", max}};
  x.tail.bytes_read = x.tail.read_errors = x.tail.lines_cut = max;
  x.tail.rotations = x.tail.truncations = x.tail.files_lost = max;
  x.files = {MakeFile("/", max, max, kFingerprintBytes, max, max, true, true)};
  x.known = {{kFingerprintBytes, max}, {0, 0}};
  s.sources = {x};
  Snapshot parsed;
  ASSERT_EQ(ParseSnapshot(SerializeSnapshot(s), &parsed), "");
  EXPECT_TRUE(SameSnapshot(parsed, s));
}

TEST(Snapshot, MissingFinalNewlineIsStillTheSameSnapshot) {
  // Only the final newline lost: the content is complete and checksummed.
  std::string text = SerializeSnapshot(Sample());
  text.pop_back();
  Snapshot parsed;
  ASSERT_EQ(ParseSnapshot(text, &parsed), "");
  EXPECT_TRUE(SameSnapshot(parsed, Sample()));
}

// ---------------------------------------------------------------------------
// Damage to the header

TEST(SnapshotCorruption, EmptyInput) { EXPECT_TRUE(Refused("", "the file is empty")); }

TEST(SnapshotCorruption, HeaderOnly) {
  const std::string text = SerializeSnapshot(Sample());
  const std::string header = text.substr(0, text.find('\n') + 1);
  EXPECT_TRUE(Refused(header, "checksum mismatch"));
  // Even with the checksum of an empty body, an empty body is no state.
  EXPECT_TRUE(Refused("errpulse-state 1 " + Hex16(FingerprintHash("", 0)) + "\n", "invalid content"));
}

TEST(SnapshotCorruption, HeaderWithoutNewline) {
  const std::string text = SerializeSnapshot(Sample());
  EXPECT_TRUE(Refused(text.substr(0, text.find('\n')), "not an errpulse state file"));
  EXPECT_TRUE(Refused("errpulse-state", "not an errpulse state file"));
  EXPECT_TRUE(Refused("errpulse-state 1 ", "not an errpulse state file"));
}

TEST(SnapshotCorruption, ForeignMagic) {
  const std::string body = BodyOf(SerializeSnapshot(Sample()));
  const std::string sum = Hex16(FingerprintHash(body.data(), body.size()));
  EXPECT_TRUE(Refused("mtail-state 1 " + sum + "\n" + body + "\n", "not an errpulse state file"));
  EXPECT_TRUE(Refused("ERRPULSE-STATE 1 " + sum + "\n" + body + "\n", "not an errpulse state file"));
  EXPECT_TRUE(Refused(" errpulse-state 1 " + sum + "\n" + body + "\n", "not an errpulse state file"));
  // The body alone (someone saved the JSON without its header).
  EXPECT_TRUE(Refused(body + "\n", "not an errpulse state file"));
  // Some other program's JSON, YAML, a binary file.
  EXPECT_TRUE(Refused("{\"version\":1,\"offsets\":{\"/var/log/app.log\":123}}\n",
                      "not an errpulse state file"));
  EXPECT_TRUE(Refused("listen: 127.0.0.1:9464\nstate_dir: /var/lib/errpulse\n",
                      "not an errpulse state file"));
  EXPECT_TRUE(Refused(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\n\x01\x02", 13),
                      "not an errpulse state file"));
  // A name that merely starts with the magic.
  EXPECT_TRUE(Refused("errpulse-statefile 1 " + sum + "\n" + body + "\n",
                      "unsupported state format"));
}

TEST(SnapshotCorruption, OtherVersions) {
  const std::string body = BodyOf(SerializeSnapshot(Sample()));
  const std::string sum = Hex16(FingerprintHash(body.data(), body.size()));
  for (const std::string version : {"2", "0", "10", "01", "1.0", "", "-1", "v1"}) {
    const std::string text = "errpulse-state " + version + " " + sum + "\n" + body + "\n";
    const auto r = Refused(text, "unsupported state format");
    EXPECT_TRUE(r) << "version '" << version << "'";
  }
  // The message names what was found and what this errpulse reads.
  Snapshot out;
  const std::string problem = ParseSnapshot("errpulse-state 2 " + sum + "\n" + body + "\n", &out);
  EXPECT_NE(problem.find("errpulse-state 2"), std::string::npos) << problem;
  EXPECT_NE(problem.find("version 1"), std::string::npos) << problem;
}

TEST(SnapshotCorruption, BadHexInChecksum) {
  const std::string body = BodyOf(SerializeSnapshot(Sample()));
  const std::string sum = Hex16(FingerprintHash(body.data(), body.size()));
  const std::vector<std::string> bad = {
      "",                              // no checksum at all
      "g" + sum.substr(1),             // not a hex digit
      sum.substr(0, 15) + "z",         // not a hex digit, at the end
      sum + " ",                       // trailing space
      sum + " extra",                  // an extra field
      " " + sum,                       // two spaces
      "-" + sum.substr(1),             // a sign
      "0x" + sum.substr(2),            // a C prefix
      "1" + sum + "0",                 // 18 digits: does not fit 64 bits
      sum.substr(0, 8) + "\t" + sum.substr(9),  // a control character
  };
  for (const auto& checksum : bad) {
    const std::string text = "errpulse-state 1 " + checksum + "\n" + body + "\n";
    EXPECT_TRUE(Refused(text, "damaged header")) << "checksum '" << checksum << "'";
  }
  // A well-formed checksum that is not the body's.
  EXPECT_TRUE(Refused("errpulse-state 1 " + Hex16(FingerprintHash(body.data(), body.size()) ^ 1) +
                          "\n" + body + "\n",
                      "checksum mismatch"));
  EXPECT_TRUE(Refused("errpulse-state 1 0000000000000000\n" + body + "\n", "checksum mismatch"));
}

// ---------------------------------------------------------------------------
// Damage to the body

TEST(SnapshotCorruption, TruncatedAtEverySeventhByte) {
  const std::string text = SerializeSnapshot(Sample());
  const size_t header_end = text.find('\n');
  ASSERT_GT(text.size(), 1000u) << "the sample should be big enough to cut in many places";
  int cuts = 0;
  std::vector<size_t> at;
  for (size_t n = 0; n + 1 < text.size(); n += 7) at.push_back(n);
  at.push_back(text.size() - 2);  // the last byte of the JSON lost
  at.push_back(header_end);       // the header without its newline
  at.push_back(header_end + 1);   // the header alone
  for (size_t n : at) {
    const std::string cut = text.substr(0, n);
    std::string want;
    if (n == 0) {
      want = "the file is empty";
    } else if (n <= header_end) {
      want = "";  // not a state file / unsupported / damaged: any specific reason
    } else {
      want = "checksum mismatch";
    }
    EXPECT_TRUE(Refused(cut, want)) << "cut at byte " << n << " of " << text.size();
    ++cuts;
  }
  EXPECT_GT(cuts, 100);
}

TEST(SnapshotCorruption, EverySingleBitFlipInTheBodyIsCaught) {
  const std::string text = SerializeSnapshot(Sample());
  const size_t body_start = text.find('\n') + 1;
  int flips = 0;
  for (size_t i = body_start; i < text.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = text;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      Snapshot out = Sentinel();
      const std::string problem = ParseSnapshot(damaged, &out);
      ++flips;
      if (problem.find("checksum mismatch") == std::string::npos) {
        ADD_FAILURE() << "bit " << bit << " of byte " << i << " flipped: '" << problem << "'";
        return;
      }
    }
  }
  EXPECT_GT(flips, 8000);
}

TEST(SnapshotCorruption, SingleBitFlipsInTheHeaderNeverYieldAnotherSnapshot) {
  // A flip in the header must be refused, except where it is harmless (a hex
  // letter flipped to upper case still reads as the same checksum): then the
  // very same snapshot must come out.
  const std::string text = SerializeSnapshot(Sample());
  const size_t header_end = text.find('\n');
  for (size_t i = 0; i <= header_end; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = text;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      Snapshot out;
      const std::string problem = ParseSnapshot(damaged, &out);
      if (problem.empty()) {
        EXPECT_TRUE(SameSnapshot(out, Sample())) << "bit " << bit << " of header byte " << i;
      }
    }
  }
}

TEST(SnapshotCorruption, TrailingGarbageAfterTheBody) {
  const std::string text = SerializeSnapshot(Sample());
  const std::string body = BodyOf(text);
  // Appended to the file as written: the checksum no longer matches.
  EXPECT_TRUE(Refused(text + "garbage\n", "checksum mismatch"));
  EXPECT_TRUE(Refused(text + text, "checksum mismatch"));  // a doubled write
  EXPECT_TRUE(Refused(text + std::string(1, '\0'), "checksum mismatch"));
  EXPECT_TRUE(Refused(body + "}", "not an errpulse state file"));
  // Re-checksummed, so only the JSON parser can tell.
  EXPECT_TRUE(Refused(WithChecksum(body + "garbage"), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum(body + "\n{}"), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum(body + "}"), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum(body + std::string(1, '\0')), "invalid content"));
}

TEST(SnapshotCorruption, RechecksummedButNotJson) {
  EXPECT_TRUE(Refused(WithChecksum("garbage"), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum("{\"written_at_ms\":1,"), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum(std::string("\xff\xfe\x00\x01", 4)), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum("null"), ""));
  EXPECT_TRUE(Refused(WithChecksum("[]"), ""));
  EXPECT_TRUE(Refused(WithChecksum("42"), ""));
  EXPECT_TRUE(Refused(WithChecksum("\"errpulse\""), ""));
  EXPECT_TRUE(Refused(WithChecksum("{}"), "missing field 'written_at_ms'"));
}

// ---------------------------------------------------------------------------
// A correct checksum over a body of the wrong shape: what a bug, a hand edit
// or another program could write. Each must be refused, naming the problem.

struct ShapeCase {
  const char* what;
  std::function<void(json&)> edit;
  const char* want;  // a fragment of the message ("" = any message)
};

json& Src0(json& root) { return root["sources"][0]; }
json& File0(json& root) { return root["sources"][0]["files"][0]; }

std::vector<ShapeCase> ShapeCases() {
  return {
      // top level
      {"written_at_ms is a string", [](json& r) { r["written_at_ms"] = "1767225600123"; },
       "field 'written_at_ms' is not an integer"},
      {"written_at_ms is a float", [](json& r) { r["written_at_ms"] = 1.5; },
       "field 'written_at_ms' is not an integer"},
      {"written_at_ms missing", [](json& r) { r.erase("written_at_ms"); },
       "missing field 'written_at_ms'"},
      {"sources missing", [](json& r) { r.erase("sources"); }, "invalid content"},
      {"sources is an object", [](json& r) { r["sources"] = json::object(); },
       "field 'sources' is not a list"},
      {"sources is a string", [](json& r) { r["sources"] = "sdk"; },
       "field 'sources' is not a list"},
      {"sources is null", [](json& r) { r["sources"] = nullptr; }, "field 'sources' is not a list"},
      {"a source is a number", [](json& r) { r["sources"][0] = 5; }, "missing field 'name'"},
      {"a source is a list", [](json& r) { r["sources"][0] = json::array(); },
       "missing field 'name'"},
      // a source's counts
      {"name missing", [](json& r) { Src0(r).erase("name"); }, "missing field 'name'"},
      {"name is a number", [](json& r) { Src0(r)["name"] = 7; }, "field 'name' is not a string"},
      {"lines is a string", [](json& r) { Src0(r)["lines"] = "123456"; },
       "field 'lines' is not an integer"},
      {"lines is negative", [](json& r) { Src0(r)["lines"] = -1; }, "field 'lines' is negative"},
      {"lines is a float", [](json& r) { Src0(r)["lines"] = 3.0; },
       "field 'lines' is not an integer"},
      {"lines is too big", [](json& r) { Src0(r)["lines"] = 1.8446744073709552e19 * 2; },
       "field 'lines' is not an integer"},
      {"errors is a boolean", [](json& r) { Src0(r)["errors"] = true; },
       "field 'errors' is not an integer"},
      {"errors is null", [](json& r) { Src0(r)["errors"] = nullptr; },
       "field 'errors' is not an integer"},
      {"successes is negative", [](json& r) { Src0(r)["successes"] = -77; },
       "field 'successes' is negative"},
      {"unknown_total missing", [](json& r) { Src0(r).erase("unknown_total"); },
       "missing field 'unknown_total'"},
      // by_code
      {"by_code key is not a number", [](json& r) { Src0(r)["by_code"]["abc"] = 1; },
       "bad entry 'abc' in by_code"},
      {"by_code key has trailing text", [](json& r) { Src0(r)["by_code"]["12x"] = 1; },
       "bad entry '12x' in by_code"},
      {"by_code key is empty", [](json& r) { Src0(r)["by_code"][""] = 1; },
       "bad entry '' in by_code"},
      {"by_code key has a space", [](json& r) { Src0(r)["by_code"][" 5"] = 1; },
       "bad entry ' 5' in by_code"},
      {"by_code key has a plus sign", [](json& r) { Src0(r)["by_code"]["+5"] = 1; },
       "bad entry '+5' in by_code"},
      {"by_code key is a float", [](json& r) { Src0(r)["by_code"]["-2.5"] = 1; },
       "bad entry '-2.5' in by_code"},
      {"by_code key overflows", [](json& r) { Src0(r)["by_code"]["99999999999999999999"] = 1; },
       "bad entry '99999999999999999999' in by_code"},
      {"by_code value is negative", [](json& r) { Src0(r)["by_code"]["-2105"] = -4; },
       "bad entry '-2105' in by_code"},
      {"by_code value is a string", [](json& r) { Src0(r)["by_code"]["-2105"] = "4"; },
       "bad entry '-2105' in by_code"},
      {"by_code value is a float", [](json& r) { Src0(r)["by_code"]["-2105"] = 4.5; },
       "bad entry '-2105' in by_code"},
      {"by_code missing", [](json& r) { Src0(r).erase("by_code"); }, "invalid content"},
      {"by_code is a list", [](json& r) { Src0(r)["by_code"] = json::array({5, 7}); }, ""},
      {"by_code is null", [](json& r) { Src0(r)["by_code"] = nullptr; }, ""},
      {"by_code is a number", [](json& r) { Src0(r)["by_code"] = 5; }, ""},
      // other
      {"other value is negative", [](json& r) { Src0(r)["other"]["client"] = -2; },
       "bad entry 'client' in other"},
      {"other value is a string", [](json& r) { Src0(r)["other"]["client"] = "2"; },
       "bad entry 'client' in other"},
      {"other missing", [](json& r) { Src0(r).erase("other"); }, "invalid content"},
      {"other is a list", [](json& r) { Src0(r)["other"] = json::array({1, 2}); }, ""},
      {"other is null", [](json& r) { Src0(r)["other"] = nullptr; }, ""},
      // tail
      {"tail missing", [](json& r) { Src0(r).erase("tail"); }, "invalid content"},
      {"tail is a list", [](json& r) { Src0(r)["tail"] = json::array(); },
       "field 'tail' is not an object"},
      {"tail.bytes_read is negative", [](json& r) { Src0(r)["tail"]["bytes_read"] = -1; },
       "field 'bytes_read' is negative"},
      {"tail.rotations is a string", [](json& r) { Src0(r)["tail"]["rotations"] = "3"; },
       "field 'rotations' is not an integer"},
      {"tail.files_lost missing", [](json& r) { Src0(r)["tail"].erase("files_lost"); },
       "missing field 'files_lost'"},
      // files
      {"files missing", [](json& r) { Src0(r).erase("files"); }, "invalid content"},
      {"files is an object", [](json& r) { Src0(r)["files"] = json::object(); }, ""},
      {"files is null", [](json& r) { Src0(r)["files"] = nullptr; }, ""},
      {"files is a string", [](json& r) { Src0(r)["files"] = "/var/log/app.log"; }, ""},
      {"a file is a string", [](json& r) { Src0(r)["files"][0] = "/var/log/app.log"; },
       "missing field 'path'"},
      {"file path missing", [](json& r) { File0(r).erase("path"); }, "missing field 'path'"},
      {"file path is relative", [](json& r) { File0(r)["path"] = "logs/app.log"; },
       "file path is not absolute"},
      {"file path is empty", [](json& r) { File0(r)["path"] = ""; }, "file path is not absolute"},
      {"file path is a number", [](json& r) { File0(r)["path"] = 5; },
       "field 'path' is not a string"},
      {"file offset is negative", [](json& r) { File0(r)["offset"] = -1; },
       "field 'offset' is negative"},
      {"file offset is a string", [](json& r) { File0(r)["offset"] = "40960"; },
       "field 'offset' is not an integer"},
      {"file offset is a float", [](json& r) { File0(r)["offset"] = 40960.5; },
       "field 'offset' is not an integer"},
      {"file offset missing", [](json& r) { File0(r).erase("offset"); },
       "missing field 'offset'"},
      {"file inode is negative", [](json& r) { File0(r)["inode"] = -131074; },
       "field 'inode' is negative"},
      {"file inode missing", [](json& r) { File0(r).erase("inode"); }, "missing field 'inode'"},
      {"file device is a string", [](json& r) { File0(r)["device"] = "fd01"; },
       "field 'device' is not an integer"},
      {"file fingerprint is negative", [](json& r) { File0(r)["fingerprint"] = -5; },
       "field 'fingerprint' is negative"},
      {"file fingerprint missing", [](json& r) { File0(r).erase("fingerprint"); },
       "missing field 'fingerprint'"},
      {"fingerprint_length is one past the limit",
       [](json& r) { File0(r)["fingerprint_length"] = kFingerprintBytes + 1; },
       "fingerprint_length is out of range"},
      {"fingerprint_length is 65536", [](json& r) { File0(r)["fingerprint_length"] = 65536; },
       "fingerprint_length is out of range"},
      {"fingerprint_length is 2^32 + 1",
       [](json& r) { File0(r)["fingerprint_length"] = 4294967297ull; }, ""},
      {"fingerprint_length is 2^32 + 256",
       [](json& r) { File0(r)["fingerprint_length"] = 4294967552ull; }, ""},
      {"fingerprint_length is negative", [](json& r) { File0(r)["fingerprint_length"] = -1; },
       "field 'fingerprint_length' is negative"},
      {"skipping is a number", [](json& r) { File0(r)["skipping"] = 1; },
       "field 'skipping' is not a boolean"},
      {"skipping is a string", [](json& r) { File0(r)["skipping"] = "false"; },
       "field 'skipping' is not a boolean"},
      {"retired missing", [](json& r) { File0(r).erase("retired"); }, "missing field 'retired'"},
      // known
      {"known missing", [](json& r) { Src0(r).erase("known"); }, "invalid content"},
      {"known entry has one number", [](json& r) { Src0(r)["known"][0] = json::array({17}); },
       "bad entry in known"},
      {"known entry has three numbers",
       [](json& r) { Src0(r)["known"][0] = json::array({17, 42, 1}); }, "bad entry in known"},
      {"known entry is negative", [](json& r) { Src0(r)["known"][0] = json::array({17, -42}); },
       "bad entry in known"},
      {"known entry is too long",
       [](json& r) { Src0(r)["known"][0] = json::array({kFingerprintBytes + 1, 42}); },
       "bad entry in known"},
      {"known entry is an object",
       [](json& r) { Src0(r)["known"][0] = json{{"length", 17}, {"hash", 42}}; },
       "bad entry in known"},
      {"known is a number", [](json& r) { Src0(r)["known"] = 5; }, "field 'known' is not a list"},
      {"known is an object", [](json& r) { Src0(r)["known"] = json::object(); }, ""},
      {"known is null", [](json& r) { Src0(r)["known"] = nullptr; }, ""},
  };
}

TEST(SnapshotCorruption, CorrectChecksumWrongShape) {
  const json original = json::parse(BodyOf(SerializeSnapshot(Sample())));
  int accepted = 0;
  for (const auto& c : ShapeCases()) {
    json root = original;
    c.edit(root);
    const auto result = Refused(WithChecksum(root.dump()), c.want);
    if (!result) ++accepted;
    EXPECT_TRUE(result) << c.what;
  }
  EXPECT_EQ(accepted, 0) << "shapes that were accepted or refused for the wrong reason";
}

TEST(SnapshotCorruption, EveryFieldOfEveryRecordIsRequired) {
  // Remove each key of each object in turn, anywhere in the body.
  const json original = json::parse(BodyOf(SerializeSnapshot(Sample())));
  std::vector<std::vector<std::string>> paths;  // json pointer components
  std::function<void(const json&, std::vector<std::string>)> walk =
      [&](const json& j, std::vector<std::string> at) {
        if (j.is_object()) {
          // by_code and other are maps: their keys are data, not fields.
          const bool map = !at.empty() && (at.back() == "by_code" || at.back() == "other");
          for (const auto& [k, v] : j.items()) {
            auto next = at;
            next.push_back(k);
            if (!map) paths.push_back(next);
            walk(v, next);
          }
        } else if (j.is_array()) {
          for (size_t i = 0; i < j.size(); ++i) {
            auto next = at;
            next.push_back(std::to_string(i));
            walk(j[i], next);
          }
        }
      };
  walk(original, {});
  ASSERT_GT(paths.size(), 60u);
  for (const auto& p : paths) {
    std::string pointer;
    for (size_t i = 0; i + 1 < p.size(); ++i) pointer += "/" + p[i];
    json root = original;
    json& parent = pointer.empty() ? root : root.at(json::json_pointer(pointer));
    parent.erase(p.back());
    EXPECT_TRUE(Refused(WithChecksum(root.dump()), "")) << "without " << pointer << "/" << p.back();
  }
}

TEST(SnapshotCorruption, NotAnErrpulseJsonWithAValidHeader) {
  // A JSON file that is not an errpulse state, behind a correct header.
  EXPECT_TRUE(Refused(WithChecksum(R"({"version":1,"offsets":{"/var/log/app.log":123}})"),
                      "missing field 'written_at_ms'"));
  EXPECT_TRUE(Refused(WithChecksum(R"({"written_at_ms":1})"), "invalid content"));
  EXPECT_TRUE(Refused(WithChecksum(R"([{"written_at_ms":1,"sources":[]}])"),
                      "missing field 'written_at_ms'"));
}

// ---------------------------------------------------------------------------
// StateStore

std::vector<std::string> CorruptFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("state.corrupt-", 0) == 0) out.push_back(e.path().string());
  }
  return out;
}

TEST(StateStore, OpenCreatesTheDirectoryAndLoadOfNothingIsNone) {
  ept::TempDir dir;
  const std::string state_dir = dir.File("state");
  StateStore store(state_dir);
  ASSERT_EQ(store.Open(), "");
  struct stat st;
  ASSERT_EQ(::stat(state_dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(store.path(), state_dir + "/state");
  Snapshot out = Sentinel();
  std::string problem;
  EXPECT_EQ(store.Load(&out, &problem), StateStore::LoadResult::kNone);
  EXPECT_EQ(problem, "");
  EXPECT_TRUE(SameSnapshot(out, Sentinel()));
}

TEST(StateStore, CommitThenLoadRoundTrips) {
  ept::TempDir dir;
  const std::string state_dir = dir.File("state");
  {
    StateStore store(state_dir);
    ASSERT_EQ(store.Open(), "");
    Snapshot first = Sample();
    first.sources[0].lines = 1;
    ASSERT_EQ(store.Commit(first), "");
    ASSERT_EQ(store.Commit(Sample()), "");  // replaces the first
    EXPECT_EQ(ept::ReadFile(store.path()), SerializeSnapshot(Sample()));
    EXPECT_FALSE(fs::exists(store.path() + ".tmp")) << "the temporary file was left behind";
    Snapshot out;
    std::string problem;
    ASSERT_EQ(store.Load(&out, &problem), StateStore::LoadResult::kLoaded) << problem;
    EXPECT_TRUE(SameSnapshot(out, Sample()));
  }
  // A new process (store) on the same directory reads the same.
  StateStore again(state_dir);
  ASSERT_EQ(again.Open(), "");
  Snapshot out;
  std::string problem;
  ASSERT_EQ(again.Load(&out, &problem), StateStore::LoadResult::kLoaded) << problem;
  EXPECT_TRUE(SameSnapshot(out, Sample()));
  EXPECT_TRUE(CorruptFiles(state_dir).empty());
}

struct UnusableCase {
  const char* what;
  std::function<void(const std::string& state_path)> make;
  const char* want;
};

TEST(StateStore, UnusableFilesAreMovedAsideWithTheReason) {
  const std::string good = SerializeSnapshot(Sample());
  const std::vector<UnusableCase> cases = {
      {"garbage", [](const std::string& p) { ept::WriteFile(p, "\x01\x02garbage\xff\n"); },
       "not an errpulse state file"},
      {"empty", [](const std::string& p) { ept::WriteFile(p, ""); }, "the file is empty"},
      {"truncated",
       [&](const std::string& p) { ept::WriteFile(p, good.substr(0, good.size() / 2)); },
       "checksum mismatch"},
      {"bit flip",
       [&](const std::string& p) {
         std::string d = good;
         d[d.size() / 2] ^= 0x10;
         ept::WriteFile(p, d);
       },
       "checksum mismatch"},
      {"version 2",
       [&](const std::string& p) {
         std::string d = good;
         d[15] = '2';
         ept::WriteFile(p, d);
       },
       "unsupported state format"},
      {"wrong types",
       [&](const std::string& p) {
         json root = json::parse(BodyOf(good));
         root["sources"][0]["files"][0]["offset"] = -1;
         ept::WriteFile(p, WithChecksum(root.dump()));
       },
       "field 'offset' is negative"},
      {"a directory",
       [](const std::string& p) {
         ASSERT_EQ(::mkdir(p.c_str(), 0750), 0);
         ept::WriteFile(p + "/inside", "x");
       },
       "directory"},  // the reason, not "the file is empty"
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ept::TempDir dir;
    const std::string state_dir = dir.File("state");
    StateStore store(state_dir);
    ASSERT_EQ(store.Open(), "");
    c.make(store.path());
    const std::string before = fs::is_regular_file(store.path()) ? ept::ReadFile(store.path()) : "";
    Snapshot out = Sentinel();
    std::string problem;
    const auto result = store.Load(&out, &problem);
    EXPECT_EQ(result, StateStore::LoadResult::kUnusable) << problem;
    EXPECT_NE(problem, "");
    if (*c.want) {
      EXPECT_NE(problem.find(c.want), std::string::npos) << problem;
    }
    EXPECT_NE(problem.find("moved aside to " + store.path() + ".corrupt-"), std::string::npos)
        << problem;
    EXPECT_TRUE(SameSnapshot(out, Sentinel())) << "a refused state was still handed out";
    // Moved aside, content intact, for inspection.
    EXPECT_FALSE(fs::exists(store.path())) << "the unusable state was left in place";
    const auto aside = CorruptFiles(state_dir);
    ASSERT_EQ(aside.size(), 1u);
    EXPECT_TRUE(std::regex_match(fs::path(aside[0]).filename().string(),
                                 std::regex(R"(state\.corrupt-[0-9]{10,})")))
        << aside[0];
    if (fs::is_regular_file(aside[0])) {
      EXPECT_EQ(ept::ReadFile(aside[0]), before);
    }
    // The next load sees no state, and a commit works again.
    problem.clear();
    EXPECT_EQ(store.Load(&out, &problem), StateStore::LoadResult::kNone) << problem;
    ASSERT_EQ(store.Commit(Sample()), "");
    ASSERT_EQ(store.Load(&out, &problem), StateStore::LoadResult::kLoaded) << problem;
    EXPECT_TRUE(SameSnapshot(out, Sample()));
  }
}

TEST(StateStore, SecondOpenOnTheSameDirectoryFails) {
  ept::TempDir dir;
  const std::string state_dir = dir.File("state");
  auto first = std::make_unique<StateStore>(state_dir);
  ASSERT_EQ(first->Open(), "");
  {
    StateStore second(state_dir);
    const std::string error = second.Open();
    EXPECT_NE(error.find("another errpulsed is using state_dir"), std::string::npos) << error;
    EXPECT_NE(error.find(state_dir), std::string::npos) << error;
  }
  // The refused store did not release the first one's lock.
  {
    StateStore third(state_dir);
    EXPECT_NE(third.Open().find("another errpulsed"), std::string::npos);
  }
  // Once the first is gone (its process ended), the directory can be used.
  first.reset();
  StateStore fourth(state_dir);
  EXPECT_EQ(fourth.Open(), "");
}

TEST(StateStore, OpenReportsADirectoryThatCannotBeCreated) {
  ept::TempDir dir;
  ept::WriteFile(dir.File("file"), "x");
  StateStore store(dir.File("file/state"));
  const std::string error = store.Open();
  EXPECT_NE(error.find("cannot create state_dir"), std::string::npos) << error;
}

}  // namespace
}  // namespace errpulse
