// A usnet process: the host (Stack) it lives on and its file descriptor
// table. Embedded programs run "in" a process: the calling thread's current
// process decides which host socket() talks to, the way a Linux task's
// network namespace does.
//
//   Process server(host_b);
//   ProcessScope in(server);          // this thread now calls into host_b
//   int fd = usnet::sys::socket(AF_INET, SOCK_DGRAM, 0);
#pragma once

#include <memory>
#include <vector>

#include "net/core/sock.h"
#include "net/stack.h"

namespace usnet {

class Epoll;

// An open file: a socket or an epoll instance, shared by dup'ed descriptors.
struct File {
  std::unique_ptr<Sock> sock;
  std::unique_ptr<Epoll> epoll;
  bool nonblock = false;
  ~File();
};

class FdTable {
 public:
  static constexpr int kFirstFd = 3;  // 0-2 are the host's stdio
  explicit FdTable(int max_fds = 1 << 20) : max_fds_(max_fds) {}
  // The lowest free descriptor >= kFirstFd, or -EMFILE.
  int Install(std::shared_ptr<File> f);
  // Installs at exactly `fd` (dup2): closes what was there.
  int InstallAt(int fd, std::shared_ptr<File> f);
  std::shared_ptr<File> Get(int fd) const;
  // Returns -EBADF if fd is not open.
  int Close(int fd);
  size_t open_count() const { return open_; }

 private:
  std::vector<std::shared_ptr<File>> files_;
  size_t next_fd_ = kFirstFd;  // every slot below is in use
  int max_fds_;
  size_t open_ = 0;
};

class Process {
 public:
  explicit Process(Stack& stack) : stack_(stack) {}
  ~Process();
  Stack& stack() { return stack_; }
  FdTable& fds() { return fds_; }

 private:
  Stack& stack_;
  FdTable fds_;
};

// The calling thread's current process (nullptr outside any ProcessScope).
Process* CurrentProcess();

class ProcessScope {
 public:
  explicit ProcessScope(Process& p);
  ~ProcessScope();
  ProcessScope(const ProcessScope&) = delete;
  ProcessScope& operator=(const ProcessScope&) = delete;

 private:
  Process* prev_;
};

}  // namespace usnet
