#include "notify/payload.h"

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace errpulse {
namespace {

using nlohmann::json;

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// One alert as a few lines of text for a chat robot.
std::string Text(const OutgoingAlert& a, bool markdown) {
  const std::string bold = markdown ? "**" : "";
  std::string text = bold + (a.resolved ? "[RESOLVED] " : "[FIRING] ") + Get(a.labels, "alertname") + bold;
  if (auto code = Get(a.labels, "code"); !code.empty()) text += " " + code;
  if (auto summary = Get(a.annotations, "summary"); !summary.empty()) text += "\n" + summary;
  if (auto description = Get(a.annotations, "description"); !description.empty())
    text += "\n" + description;
  if (auto action = Get(a.annotations, "action"); !action.empty()) text += "\nAction: " + action;
  for (const char* key : {"source", "host", "severity"}) {
    if (auto v = Get(a.labels, key); !v.empty()) text += "\n" + std::string(key) + ": " + v;
  }
  text += "\nsince " + FormatUtc(a.starts_at_ms, false);
  if (a.resolved) text += ", resolved " + FormatUtc(a.ends_at_ms, false);
  if (auto runbook = Get(a.annotations, "runbook_url"); !runbook.empty())
    text += "\nRunbook: " + runbook;
  return text;
}

std::string Texts(const std::vector<OutgoingAlert>& alerts, bool markdown) {
  std::string out;
  for (const auto& a : alerts) out += (out.empty() ? "" : "\n\n") + Text(a, markdown);
  return out;
}

json AlertJson(const OutgoingAlert& a, bool with_status) {
  json j = {{"labels", a.labels},
            {"annotations", a.annotations},
            {"startsAt", FormatUtc(a.starts_at_ms, true)},
            {"endsAt", FormatUtc(a.ends_at_ms, true)}};
  if (with_status) j["status"] = a.resolved ? "resolved" : "firing";
  return j;
}

}  // namespace

bool ParseWebhookFormat(const std::string& name, PayloadFormat* out) {
  if (name == "alertmanager") *out = PayloadFormat::kAlertmanagerWebhook;
  else if (name == "wecom") *out = PayloadFormat::kWecom;
  else if (name == "dingtalk") *out = PayloadFormat::kDingtalk;
  else if (name == "feishu") *out = PayloadFormat::kFeishu;
  else if (name == "slack") *out = PayloadFormat::kSlack;
  else return false;
  return true;
}

std::string FormatPayload(PayloadFormat format, const std::vector<OutgoingAlert>& alerts,
                          const std::string& receiver) {
  switch (format) {
    case PayloadFormat::kAlertmanagerApi: {
      json out = json::array();
      for (const auto& a : alerts) out.push_back(AlertJson(a, false));
      return out.dump();
    }
    case PayloadFormat::kAlertmanagerWebhook: {
      json list = json::array();
      bool any_firing = false;
      for (const auto& a : alerts) {
        list.push_back(AlertJson(a, true));
        any_firing = any_firing || !a.resolved;
      }
      return json{{"version", "4"},
                  {"receiver", receiver},
                  {"status", any_firing ? "firing" : "resolved"},
                  {"groupKey", "errpulse"},
                  {"groupLabels", json::object()},
                  {"commonLabels", json::object()},
                  {"commonAnnotations", json::object()},
                  {"externalURL", ""},
                  {"truncatedAlerts", 0},
                  {"alerts", list}}
          .dump();
    }
    case PayloadFormat::kWecom:
      return json{{"msgtype", "markdown"}, {"markdown", {{"content", Texts(alerts, true)}}}}.dump();
    case PayloadFormat::kDingtalk:
      return json{{"msgtype", "markdown"},
                  {"markdown", {{"title", "errpulse alert"}, {"text", Texts(alerts, true)}}}}
          .dump();
    case PayloadFormat::kFeishu:
      return json{{"msg_type", "text"}, {"content", {{"text", Texts(alerts, false)}}}}.dump();
    case PayloadFormat::kSlack:
      return json{{"text", Texts(alerts, false)}}.dump();
  }
  return "";
}

}  // namespace errpulse
