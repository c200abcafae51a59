// RobotAnswer: what a receiver's HTTP answer means for the alert it was
// given. Chat robots answer errors with HTTP 200 and an error code in the
// body: WeCom and DingTalk `{"errcode":45009,"errmsg":...}`, Feishu
// `{"code":9499,"msg":...}` (or the older `{"StatusCode":...}`); Slack
// answers 429 with Retry-After and other errors as 4xx with a text body.
// Treating any 2xx as delivered would count a page the robot refused as
// sent, and lose it.
//
//   2xx, body says ok (or no code)      -> kSent
//   2xx, a rate-limit code               -> kThrottled, retry after the robot's window
//   2xx, another non-zero code           -> kRejected (the robot's message kept)
//   429                                  -> kThrottled, after Retry-After when given
//   5xx, no answer                       -> kFailed (retried with backoff)
//   other 4xx                            -> kRejected
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/payload.h"

namespace errpulse {

struct HttpAnswer {
  int status = 0;           // 0: no answer (connection failed, timeout)
  std::string retry_after;  // the Retry-After header, as sent
  std::string body;
};

struct RobotVerdict {
  enum Outcome { kSent, kThrottled, kFailed, kRejected };
  Outcome outcome = kFailed;
  // kThrottled: how long to wait before sending again (ms); -1: the backoff.
  int64_t retry_after_ms = -1;
  // kThrottled, kRejected, kFailed: what the receiver said, for the log
  // ("wecom errcode 93000: invalid webhook url", "HTTP 503"). Never the URL.
  std::string detail;
};

RobotVerdict ReadAnswer(PayloadFormat format, const HttpAnswer& answer, int64_t now_unix_ms);

// Retry-After as delta-seconds or an HTTP-date; -1 when absent or unreadable.
int64_t ParseRetryAfterMs(std::string_view value, int64_t now_unix_ms);

}  // namespace errpulse
