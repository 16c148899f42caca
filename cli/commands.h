// The `tidemark` subcommands; each returns the process exit code (0 ok, 1 failure,
// 2 bad usage or config).
#ifndef TIDEMARK_CLI_COMMANDS_H_
#define TIDEMARK_CLI_COMMANDS_H_

#include <cstdint>
#include <string>

namespace tidemark {

struct CommandArgs {
  std::string config;
  int64_t from = -1;
  int64_t limit = -1;
};

int RunCommand(const CommandArgs& args);
int CheckCommand(const CommandArgs& args);
int InspectCommand(const CommandArgs& args);
int CheckpointsCommand(const CommandArgs& args);
int ConfigShowCommand(const CommandArgs& args);

}  // namespace tidemark

#endif  // TIDEMARK_CLI_COMMANDS_H_
