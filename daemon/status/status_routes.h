// The status endpoints of the HTTP server: "/" (the HTML status page) and
// "/api/v1/status" (the same data as JSON). The router asks IsStatusPath()
// and hands over the current pipeline's snapshot, so whichever pipeline is
// current (a reload replaces it) is the one shown.
//
// Stateless functions, called on the HTTP thread; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "http/http_server.h"
#include "status/status_snapshot.h"

namespace errpulse {

// `path` without the query.
bool IsStatusPath(const std::string& path);

// The response for `target` (path and query; "/?refresh=off" pauses the
// page's automatic refresh). `snapshot` may be nullptr (starting).
HttpResponse StatusResponse(const std::string& target,
                            std::shared_ptr<const StatusSnapshot> snapshot,
                            const ServerInfo& server);

// "HOST:PORT" ("[::1]:PORT" for IPv6), as the status page shows it.
std::string ListenAddress(const std::string& host, uint16_t port);

}  // namespace errpulse
