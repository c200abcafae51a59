// SendBudget: how many messages a receiver may send per minute and per
// second, kept under what its robot documents (WeCom and DingTalk: 20 a
// minute per robot, and DingTalk then blocks the robot for 10 minutes;
// Feishu: 100 a minute and 5 a second; Slack: about 1 a second). A message
// over budget waits in the receiver's queue instead of being refused by the
// robot. Sliding windows over the times of the last sends.
//
// Not thread-safe: the receiver's thread only.
#pragma once

#include <cstdint>
#include <deque>

#include "notify/payload.h"

namespace errpulse {

struct SendLimits {
  int64_t per_minute = 0;  // 0: no limit
  int64_t per_second = 0;  // 0: no limit
};

// The default budget for a payload format: a margin under the robot's
// documented limit (other senders may share the robot). Alertmanager and
// the plain webhook format: no limit.
SendLimits DefaultSendLimits(PayloadFormat format);

class SendBudget {
 public:
  explicit SendBudget(SendLimits limits) : limits_(limits) {}
  // How long (ms) before a message may be sent at `now_ms` (steady clock); 0: now.
  int64_t WaitMs(int64_t now_ms);
  // A message was sent (an attempt the robot answered) at `now_ms`.
  void Note(int64_t now_ms);

 private:
  SendLimits limits_;
  std::deque<int64_t> sent_ms_;  // within the last minute, oldest first
};

}  // namespace errpulse
