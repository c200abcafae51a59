#include "notify/send_budget.h"

#include <algorithm>

namespace errpulse {

SendLimits DefaultSendLimits(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::kWecom:
    case PayloadFormat::kDingtalk:
      return {18, 0};
    case PayloadFormat::kFeishu:
      return {90, 4};
    case PayloadFormat::kSlack:
      return {50, 1};
    case PayloadFormat::kAlertmanagerApi:
    case PayloadFormat::kAlertmanagerWebhook:
      break;
  }
  return {0, 0};
}

int64_t SendBudget::WaitMs(int64_t now_ms) {
  while (!sent_ms_.empty() && now_ms - sent_ms_.front() >= 60'000) sent_ms_.pop_front();
  int64_t wait = 0;
  const auto n = static_cast<int64_t>(sent_ms_.size());
  if (limits_.per_minute > 0 && n >= limits_.per_minute)
    wait = std::max(wait, sent_ms_[static_cast<size_t>(n - limits_.per_minute)] + 60'000 - now_ms);
  if (limits_.per_second > 0 && n >= limits_.per_second) {
    const int64_t nth = sent_ms_[static_cast<size_t>(n - limits_.per_second)];
    if (now_ms - nth < 1'000) wait = std::max(wait, nth + 1'000 - now_ms);
  }
  return wait;
}

void SendBudget::Note(int64_t now_ms) { sent_ms_.push_back(now_ms); }

}  // namespace errpulse
