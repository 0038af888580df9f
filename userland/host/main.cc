// The userland programs built against the host's libc (the same source as
// the usnet build, with USNET_USERLAND_LIBC): `usnet-host-prog PROGRAM ...`,
// for running them on Linux sockets side by side with usnet.
#include <cstdio>
#include <string>

#include "userland/programs.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROGRAM [flags]  (programs:", argv[0]);
    for (const std::string& n : userland::ProgramNames()) std::fprintf(stderr, " %s", n.c_str());
    std::fprintf(stderr, ")\n");
    return 2;
  }
  userland::ProgramMain m = userland::FindProgram(argv[1]);
  if (m == nullptr) {
    std::fprintf(stderr, "%s: unknown program '%s'\n", argv[0], argv[1]);
    return 2;
  }
  return m(argc - 1, argv + 1);
}
