// Example programs written against POSIX socket names (userland/posix.h),
// each an `int main(argc, argv)`-style function so they run in a usnet
// task (embedded), in usnetd (--run), or as host binaries against libc.
//
//   echo-server --port 7 [--max-conns N]        epoll loop, echoes bytes back
//   echo-client --host A --port 7 [--bytes N] [--conns K]
//   http-server --port 8080 [--backlog 128] [--max-requests N]
//                                              HTTP/1.1 keep-alive; GET / and /bytes/N
//   http-client --host A --port 8080 [--path /] [--requests N] [--close]
//
// Each returns 0 on success, 1 on a failure it reports, 2 on bad flags.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace userland {

using ProgramMain = int (*)(int argc, char** argv);

int EchoServerMain(int argc, char** argv);
int EchoClientMain(int argc, char** argv);
int HttpServerMain(int argc, char** argv);
int HttpClientMain(int argc, char** argv);

// The program called `name`, or nullptr.
ProgramMain FindProgram(std::string_view name);
std::vector<std::string> ProgramNames();

// Runs a command line ("http-server --port 8080") through FindProgram.
// Returns the program's status, or 2 for an unknown program.
int RunCommandLine(const std::string& command);

}  // namespace userland
