// Payload: alert notifications in the shape each kind of receiver wants:
// Alertmanager's API v2 (a JSON list of alerts), the Alertmanager webhook
// body (version 4) that chat bridges take, and readable messages for the
// WeCom, DingTalk, Feishu and Slack robots (code, name, meaning, count,
// window, host, runbook).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace errpulse {

enum class PayloadFormat { kAlertmanagerApi, kAlertmanagerWebhook, kWecom, kDingtalk, kFeishu, kSlack };

// "alertmanager" (the webhook body), "wecom", "dingtalk", "feishu", "slack".
bool ParseWebhookFormat(const std::string& name, PayloadFormat* out);

struct OutgoingAlert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  bool resolved = false;
};

std::string FormatPayload(PayloadFormat format, const std::vector<OutgoingAlert>& alerts,
                          const std::string& receiver);

}  // namespace errpulse
