#include "syscalls/process.h"

#include <cerrno>

#include "syscalls/epoll.h"

namespace usnet {

File::~File() {
  // The last descriptor went away: close the socket. A socket that must
  // outlive its descriptor (TCP finishing its FIN exchange) keeps itself.
  if (sock && !sock->Close()) (void)sock.release();
}

int FdTable::Install(std::shared_ptr<File> f) {
  for (size_t i = kFirstFd; i < files_.size(); ++i) {
    if (!files_[i]) {
      files_[i] = std::move(f);
      ++open_;
      return static_cast<int>(i);
    }
  }
  if (files_.size() < kFirstFd) files_.resize(kFirstFd);
  if (static_cast<int>(files_.size()) >= max_fds_) return -EMFILE;
  files_.push_back(std::move(f));
  ++open_;
  return static_cast<int>(files_.size() - 1);
}

int FdTable::InstallAt(int fd, std::shared_ptr<File> f) {
  if (fd < kFirstFd || fd >= max_fds_) return -EBADF;
  if (static_cast<size_t>(fd) >= files_.size()) files_.resize(fd + 1);
  if (!files_[fd]) ++open_;
  files_[fd] = std::move(f);
  return fd;
}

std::shared_ptr<File> FdTable::Get(int fd) const {
  if (fd < 0 || static_cast<size_t>(fd) >= files_.size()) return nullptr;
  return files_[fd];
}

int FdTable::Close(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= files_.size() || !files_[fd]) return -EBADF;
  files_[fd].reset();
  --open_;
  return 0;
}

Process::~Process() = default;

namespace {
thread_local Process* g_current = nullptr;
}

Process* CurrentProcess() { return g_current; }

ProcessScope::ProcessScope(Process& p) : prev_(g_current) { g_current = &p; }
ProcessScope::~ProcessScope() { g_current = prev_; }

}  // namespace usnet
