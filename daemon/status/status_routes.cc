#include "status/status_routes.h"

#include "common/time_format.h"
#include "status/status_json.h"
#include "status/status_page.h"

namespace errpulse {
namespace {

constexpr int kRefreshSeconds = 5;

}  // namespace

bool IsStatusPath(const std::string& path) { return path == "/" || path == "/api/v1/status"; }

std::string ListenAddress(const std::string& host, uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpResponse StatusResponse(const std::string& target,
                            std::shared_ptr<const StatusSnapshot> snapshot,
                            const ServerInfo& server) {
  const size_t query_at = target.find('?');
  const std::string path = target.substr(0, query_at);
  const std::string query = query_at == std::string::npos ? "" : target.substr(query_at + 1);
  const int64_t now = WallClockMs();
  if (path == "/api/v1/status")
    return {200, "application/json", StatusJson(snapshot.get(), server, now)};
  const bool paused = ("&" + query + "&").find("&refresh=off&") != std::string::npos;
  return {200, "text/html; charset=utf-8",
          RenderStatusPage(snapshot.get(), server, now, paused ? 0 : kRefreshSeconds)};
}

}  // namespace errpulse
