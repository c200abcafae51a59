// format: auto — DetectFormat decides from a file's name and first bytes, and
// waits while there are too few bytes to tell.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "support/test_support.h"
#include "tail/log_format.h"

namespace errpulse {
namespace {

// Raw deflate of `text`, sync-flushed, never finished: a .clog's bytes.
std::string ClogBytes(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(text.size() + 256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

const std::string kLiteAv = "[I][03-13/10:42:25.736+8.0][18734,286219][log_setting.cc:141]Initialize\n";

TEST(DetectFormat, ByName) {
  EXPECT_EQ(DetectFormat("/x/LiteAV_C_20230313.clog", "", false), LogFormat::kClog);
  EXPECT_EQ(DetectFormat("/x/LiteAV_C_20230313-4242_01.clog.1", "", false), LogFormat::kClog);
  EXPECT_EQ(DetectFormat("/x/Imsdk_20200121.xlog", "", false), LogFormat::kXlog);
}

TEST(DetectFormat, ClogByContentWhateverItsName) {
  EXPECT_EQ(DetectFormat("/x/sdk.log", ClogBytes(kLiteAv + kLiteAv), false), LogFormat::kClog);
  // The first flush not arrived in full yet: wait rather than call it plain.
  const std::string bytes = ClogBytes(kLiteAv);
  EXPECT_EQ(DetectFormat("/x/sdk.log", bytes.substr(0, 3), false), std::nullopt);
  // ... but a file that will not grow is decided as it is.
  EXPECT_EQ(DetectFormat("/x/sdk.log", bytes.substr(0, 3), true), LogFormat::kPlain);
}

TEST(DetectFormat, ContainerLogsByTheirFirstLine) {
  EXPECT_EQ(DetectFormat("/var/log/pods/ns_p_u/c/0.log",
                         "2026-12-07T10:12:09.123456789Z stdout F hello\n", false),
            LogFormat::kCri);
  EXPECT_EQ(DetectFormat("/var/log/pods/ns_p_u/c/0.log",
                         "2026-12-07T10:12:09.123456789+08:00 stderr P part\n", false),
            LogFormat::kCri);
  EXPECT_EQ(DetectFormat("/d/x-json.log",
                         R"({"log":"hello\n","stream":"stdout","time":"2026-12-07T10:12:09.1Z"})"
                         "\n",
                         false),
            LogFormat::kDocker);
  // A first line still being written: not yet.
  EXPECT_EQ(DetectFormat("/d/x-json.log", R"({"log":"hel)", false), std::nullopt);
}

TEST(DetectFormat, EverythingElseIsPlain) {
  EXPECT_EQ(DetectFormat("/x/app.log", "2026-12-07 10:00:00 INFO started\n", false),
            LogFormat::kPlain);
  EXPECT_EQ(DetectFormat("/x/app.log", kLiteAv, false), LogFormat::kPlain);  // LiteAV, uncompressed
  EXPECT_EQ(DetectFormat("/x/app.log", R"({"ActionStatus":"FAIL","ErrorCode":60007})" "\n", false),
            LogFormat::kPlain);
  EXPECT_EQ(DetectFormat("/x/app.log", std::string(kDetectBytes, 'x'), false), LogFormat::kPlain);
  EXPECT_EQ(DetectFormat("/x/app.log", "", false), std::nullopt);
  EXPECT_EQ(DetectFormat("/x/app.log", "", true), LogFormat::kPlain);
  EXPECT_EQ(DetectFormat("/x/app.log", "no newline yet", false), std::nullopt);
}

TEST(LogFormatNames, RoundTrip) {
  for (LogFormat f : {LogFormat::kAuto, LogFormat::kPlain, LogFormat::kClog, LogFormat::kXlog,
                      LogFormat::kCri, LogFormat::kDocker})
    EXPECT_EQ(ParseLogFormat(LogFormatName(f)), f);
  EXPECT_EQ(ParseLogFormat("gzip"), std::nullopt);
}

}  // namespace
}  // namespace errpulse
