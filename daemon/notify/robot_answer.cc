#include "notify/robot_answer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace errpulse {
namespace {

using json = nlohmann::json;

// The robots' documented rate-limit codes, and how long their window is.
// WeCom 45009 "api freq out of limit" (20 messages a minute per robot);
// DingTalk 130101 "send too fast" (20 a minute; the robot is then throttled
// for up to 10 minutes, so the minute is a floor and the backoff doubles on);
// Feishu 9499 "Too Many Request" and 11232 (100 a minute, 5 a second).
struct RateLimitCode {
  PayloadFormat format;
  int64_t code;
  int64_t wait_ms;
};
constexpr RateLimitCode kRateLimitCodes[] = {
    {PayloadFormat::kWecom, 45009, 60'000},
    {PayloadFormat::kDingtalk, 130101, 60'000},
    {PayloadFormat::kDingtalk, 410100, 60'000},
    {PayloadFormat::kFeishu, 9499, 1'000},
    {PayloadFormat::kFeishu, 11232, 1'000},
};

const char* FormatName(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::kWecom: return "wecom";
    case PayloadFormat::kDingtalk: return "dingtalk";
    case PayloadFormat::kFeishu: return "feishu";
    case PayloadFormat::kSlack: return "slack";
    case PayloadFormat::kAlertmanagerApi: return "alertmanager";
    case PayloadFormat::kAlertmanagerWebhook: return "webhook";
  }
  return "?";
}

// A short, printable excerpt of what the receiver said.
std::string Excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The robot's (code, message) from a 2xx body; false when the body holds no
// code at all (then the robot accepted it: WeCom, DingTalk and Feishu always
// send one, a bridge speaking the webhook format need not).
bool RobotCode(std::string_view body, int64_t* code, std::string* message) {
  const json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  const char* code_key = nullptr;
  const char* message_key = nullptr;
  for (auto [c, m] : {std::pair{"errcode", "errmsg"}, std::pair{"code", "msg"},
                      std::pair{"StatusCode", "StatusMessage"}}) {
    if (j.contains(c) && j[c].is_number_integer()) {
      code_key = c;
      message_key = m;
      break;
    }
  }
  if (!code_key) return false;
  *code = j[code_key].get<int64_t>();
  if (j.contains(message_key) && j[message_key].is_string())
    *message = Excerpt(j[message_key].get<std::string>());
  return true;
}

}  // namespace

int64_t ParseRetryAfterMs(std::string_view value, int64_t now_unix_ms) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return -1;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return -1;
    return std::stoll(std::string(value)) * 1000;
  }
  // An HTTP-date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  const std::string text(value);
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return -1;
  const int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return at_ms > now_unix_ms ? at_ms - now_unix_ms : 0;
}

RobotVerdict ReadAnswer(PayloadFormat format, const HttpAnswer& answer, int64_t now_unix_ms) {
  RobotVerdict v;
  const int status = answer.status;
  if (status == 0) {
    v.outcome = RobotVerdict::kFailed;
    v.detail = "no answer";
    return v;
  }
  if (status == 429) {
    v.outcome = RobotVerdict::kThrottled;
    v.retry_after_ms = ParseRetryAfterMs(answer.retry_after, now_unix_ms);
    v.detail = "HTTP 429" + (answer.body.empty() ? "" : ": " + Excerpt(answer.body));
    return v;
  }
  if (status >= 500 || status < 200 || (status >= 300 && status < 400)) {
    v.outcome = RobotVerdict::kFailed;
    v.detail = "HTTP " + std::to_string(status);
    return v;
  }
  if (status >= 400) {
    v.outcome = RobotVerdict::kRejected;
    v.detail = "HTTP " + std::to_string(status) +
               (answer.body.empty() ? "" : ": " + Excerpt(answer.body));
    return v;
  }
  // 2xx. The Alertmanager API's and Slack's bodies carry no code.
  int64_t code = 0;
  std::string message;
  if (format == PayloadFormat::kAlertmanagerApi || format == PayloadFormat::kSlack ||
      !RobotCode(answer.body, &code, &message) || code == 0) {
    v.outcome = RobotVerdict::kSent;
    return v;
  }
  v.detail = std::string(FormatName(format)) + " code " + std::to_string(code) +
             (message.empty() ? "" : ": " + message);
  for (const auto& limit : kRateLimitCodes) {
    if (limit.format == format && limit.code == code) {
      v.outcome = RobotVerdict::kThrottled;
      v.retry_after_ms = limit.wait_ms;
      return v;
    }
  }
  v.outcome = RobotVerdict::kRejected;
  return v;
}

}  // namespace errpulse
