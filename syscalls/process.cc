#include "syscalls/process.h"

#include <algorithm>
#include <cerrno>

#include "syscalls/epoll.h"

namespace usnet {

File::~File() {
  // The last descriptor went away: close the socket. A socket that must
  // outlive its descriptor (TCP finishing its FIN exchange) keeps itself.
  if (sock && !sock->Close()) (void)sock.release();
}

int FdTable::Install(std::shared_ptr<File> f) {
  // The lowest free descriptor, found from a hint below which every slot is
  // taken (Linux's files_struct next_fd): opening N descriptors is O(N),
  // not O(N^2).
  if (files_.size() < kFirstFd) files_.resize(kFirstFd);
  size_t i = std::max<size_t>(next_fd_, kFirstFd);
  while (i < files_.size() && files_[i]) ++i;
  if (i == files_.size()) {
    if (static_cast<int>(i) >= max_fds_) return -EMFILE;
    files_.emplace_back();
  }
  files_[i] = std::move(f);
  ++open_;
  next_fd_ = i + 1;
  return static_cast<int>(i);
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
  next_fd_ = std::min(next_fd_, static_cast<size_t>(fd));
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
