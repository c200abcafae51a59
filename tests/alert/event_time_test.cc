// ParseEventTime: the timestamp formats of the SDK, IM SDK and app logs.
#include <gtest/gtest.h>

#include "alert/event_time.h"

namespace errpulse {
namespace {

constexpr int64_t k2026_11_26 = 1795651200000;  // 2026-11-26T00:00:00Z in ms

TEST(EventTime, IsoWithAndWithoutZone) {
  EXPECT_EQ(ParseEventTime("2026-11-26T10:12:09.900+08:00 INFO x", 2000),
            k2026_11_26 + (2 * 3600 + 12 * 60 + 9) * 1000 + 900);
  EXPECT_EQ(ParseEventTime("[2026-11-26T02:12:09.9Z] x", 2000),
            k2026_11_26 + (2 * 3600 + 12 * 60 + 9) * 1000 + 900);
  EXPECT_EQ(ParseEventTime("TIM: 2026-11-26 00:00:01.297/E/22008", 2000), k2026_11_26 + 1297);
  EXPECT_EQ(ParseEventTime("2026-11-26 08:00:00.251701+0800 App[1:2] x", 2000),
            k2026_11_26 + 251);
}

TEST(EventTime, LogcatAndLiteAvWithoutYear) {
  EXPECT_EQ(ParseEventTime("11-26 00:00:02.500 27639-27684/com.app D/x: y", 2026),
            k2026_11_26 + 2500);
  EXPECT_EQ(ParseEventTime("I/liteav  (27728): [I][11-26/08:00:03.619+8.0][27728,6304] x", 2026),
            k2026_11_26 + 3619);
}

TEST(EventTime, MarsXlogZoneBeforeTheTime) {
  EXPECT_EQ(ParseEventTime("[E][2026-11-26 +8.0 08:00:04.297][22008, 22113][imsdk][x", 2000),
            k2026_11_26 + 4297);
  EXPECT_EQ(ParseEventTime("[I][2026-11-26 -5.0 19:00:00.000][1, 2][x", 2000),
            k2026_11_26 + 24 * 3600 * 1000);
}

TEST(EventTime, NoTimeOrNonsense) {
  EXPECT_FALSE(ParseEventTime("{\"ErrorCode\":60007}", 2026));
  EXPECT_FALSE(ParseEventTime("seq:117836059 port:8000", 2026));
  EXPECT_FALSE(ParseEventTime("2026-13-40 25:61:61", 2026));
}

}  // namespace
}  // namespace errpulse
