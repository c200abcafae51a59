// How receivers' answers are read: chat robots' "200 + error code", rate
// limits (a robot's code, 429 with Retry-After), refusals and failures.
#include <gtest/gtest.h>

#include "notify/robot_answer.h"

namespace errpulse {
namespace {

constexpr int64_t kNow = 1796684690000;  // 2026-12-07T23:04:50Z

RobotVerdict Read(PayloadFormat format, int status, const std::string& body,
                  const std::string& retry_after = "") {
  return ReadAnswer(format, {status, retry_after, body}, kNow);
}

TEST(RobotAnswer, ASuccessIsTheRobotsZeroCodeNotTheHttpStatus) {
  EXPECT_EQ(Read(PayloadFormat::kWecom, 200, R"({"errcode":0,"errmsg":"ok"})").outcome,
            RobotVerdict::kSent);
  EXPECT_EQ(Read(PayloadFormat::kDingtalk, 200, R"({"errcode":0,"errmsg":"ok"})").outcome,
            RobotVerdict::kSent);
  EXPECT_EQ(Read(PayloadFormat::kFeishu, 200, R"({"code":0,"msg":"success","data":{}})").outcome,
            RobotVerdict::kSent);
  EXPECT_EQ(Read(PayloadFormat::kFeishu, 200, R"({"StatusCode":0,"StatusMessage":"success"})")
                .outcome,
            RobotVerdict::kSent);
  EXPECT_EQ(Read(PayloadFormat::kSlack, 200, "ok").outcome, RobotVerdict::kSent);
  EXPECT_EQ(Read(PayloadFormat::kAlertmanagerApi, 200, "").outcome, RobotVerdict::kSent);
  // A bridge speaking the webhook format may answer anything with a 2xx.
  EXPECT_EQ(Read(PayloadFormat::kAlertmanagerWebhook, 204, "").outcome, RobotVerdict::kSent);
}

TEST(RobotAnswer, RateLimitCodesAreThrottledAndWaitForTheRobotsWindow) {
  auto wecom = Read(PayloadFormat::kWecom, 200,
                    R"({"errcode":45009,"errmsg":"api freq out of limit, hint: [x]"})");
  EXPECT_EQ(wecom.outcome, RobotVerdict::kThrottled);
  EXPECT_EQ(wecom.retry_after_ms, 60'000);
  EXPECT_EQ(wecom.detail, "wecom code 45009: api freq out of limit, hint: [x]");
  auto ding = Read(PayloadFormat::kDingtalk, 200,
                   R"({"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"})");
  EXPECT_EQ(ding.outcome, RobotVerdict::kThrottled);
  EXPECT_EQ(ding.retry_after_ms, 60'000);
  auto feishu = Read(PayloadFormat::kFeishu, 200, R"({"code":9499,"msg":"Too Many Request"})");
  EXPECT_EQ(feishu.outcome, RobotVerdict::kThrottled);
  EXPECT_EQ(feishu.retry_after_ms, 1'000);
  // The same number from another robot is not its rate limit.
  EXPECT_EQ(Read(PayloadFormat::kWecom, 200, R"({"errcode":130101,"errmsg":"x"})").outcome,
            RobotVerdict::kRejected);
}

TEST(RobotAnswer, OtherCodesAndClientErrorsAreRejectedWithTheRobotsMessage) {
  auto wecom = Read(PayloadFormat::kWecom, 200, R"({"errcode":93000,"errmsg":"invalid webhook url"})");
  EXPECT_EQ(wecom.outcome, RobotVerdict::kRejected);
  EXPECT_EQ(wecom.detail, "wecom code 93000: invalid webhook url");
  auto ding = Read(PayloadFormat::kDingtalk, 200,
                   R"({"errcode":310000,"errmsg":"keywords not in content"})");
  EXPECT_EQ(ding.outcome, RobotVerdict::kRejected);
  auto feishu = Read(PayloadFormat::kFeishu, 200, R"({"code":19021,"msg":"sign match fail"})");
  EXPECT_EQ(feishu.outcome, RobotVerdict::kRejected);
  auto slack = Read(PayloadFormat::kSlack, 404, "channel_not_found");
  EXPECT_EQ(slack.outcome, RobotVerdict::kRejected);
  EXPECT_EQ(slack.detail, "HTTP 404: channel_not_found");
  EXPECT_EQ(Read(PayloadFormat::kAlertmanagerApi, 400, "bad alert").outcome,
            RobotVerdict::kRejected);
}

TEST(RobotAnswer, TooManyRequestsHonoursRetryAfterInSecondsOrAsADate) {
  auto seconds = Read(PayloadFormat::kSlack, 429, "", "30");
  EXPECT_EQ(seconds.outcome, RobotVerdict::kThrottled);
  EXPECT_EQ(seconds.retry_after_ms, 30'000);
  auto date = Read(PayloadFormat::kSlack, 429, "", "Mon, 07 Dec 2026 23:05:05 GMT");
  EXPECT_EQ(date.retry_after_ms, 15'000);
  EXPECT_EQ(Read(PayloadFormat::kSlack, 429, "", "soon").retry_after_ms, -1);  // the backoff
  EXPECT_EQ(Read(PayloadFormat::kSlack, 429, "").retry_after_ms, -1);
}

TEST(RobotAnswer, ServerErrorsAndNoAnswerAreRetried) {
  EXPECT_EQ(Read(PayloadFormat::kWecom, 502, "bad gateway").outcome, RobotVerdict::kFailed);
  EXPECT_EQ(Read(PayloadFormat::kWecom, 0, "").outcome, RobotVerdict::kFailed);
  EXPECT_EQ(Read(PayloadFormat::kWecom, 302, "").outcome, RobotVerdict::kFailed);
}

TEST(RobotAnswer, ABodyThatIsNotJsonWithACodeIsADelivery) {
  // Nothing says it failed; a proxy in front may answer plain text.
  EXPECT_EQ(Read(PayloadFormat::kWecom, 200, "ok").outcome, RobotVerdict::kSent);
  EXPECT_EQ(Read(PayloadFormat::kFeishu, 200, R"({"code":"0"})").outcome, RobotVerdict::kSent);
}

}  // namespace
}  // namespace errpulse
