// The errpulsed subcommands. Each returns the process exit status:
// 0 success, 1 a problem with the input (bad code, unreadable log file),
// 2 invalid configuration, rules or catalog.
//
// Entry points only: they parse their own arguments (argv after the
// subcommand name) and print to stdout/stderr.
#pragma once

#include <string>
#include <vector>

namespace errpulse {

using Args = std::vector<std::string>;

int RunDaemonCommand(const Args& args);  // errpulsed [--config FILE] [--web.config.file FILE]
int CheckCommand(const Args& args);      // errpulsed check [--config FILE] [--web.config.file FILE]
int ExplainCommand(const Args& args);    // errpulsed explain [--json] CODE...
int ReplayCommand(const Args& args);     // errpulsed replay [--json] LOGFILE...
int DemoCommand(const Args& args);       // errpulsed demo [--listen ADDR]
int VersionCommand();
int UsageCommand(int status);

}  // namespace errpulse
