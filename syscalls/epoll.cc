#include "syscalls/epoll.h"

#include <cerrno>

#include "syscalls/process.h"

namespace usnet {

namespace {
constexpr uint32_t kAlways = EPOLLERR | EPOLLHUP;  // reported even if not asked for
constexpr uint32_t kFlags = EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP;
// Linux EPOLLEXCLUSIVE_OK_BITS: what may accompany EPOLLEXCLUSIVE.
constexpr uint32_t kExclusiveOk =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
}  // namespace

Epoll::~Epoll() { items_.clear(); }

void Epoll::Item::OnWake(WaitQueue::Entry* e, uint32_t events) {
  Item* it = static_cast<Item*>(e->ctx);
  if (it->disabled) return;
  if (events & ((it->events & ~kFlags) | kAlways)) it->owner->MarkReady(it);
}

void Epoll::MarkReady(Item* it) {
  if (it->queued) return;
  it->queued = true;
  ready_.push_back(it);
}

void Epoll::Remove(int fd) {
  auto found = items_.find(fd);
  if (found == items_.end()) return;
  Item* it = found->second.get();
  if (it->queued) ready_.remove(it);
  items_.erase(found);
}

int Epoll::Ctl(int op, int fd, const std::shared_ptr<File>& file, const epoll_event* ev) {
  auto found = items_.find(fd);
  // An item whose socket was closed meanwhile no longer counts.
  if (found != items_.end() && found->second->file.expired()) {
    Remove(fd);
    found = items_.end();
  }
  // do_epoll_ctl: EPOLLEXCLUSIVE is for ADD only, without ONESHOT, RDHUP
  // and the like.
  if (op != EPOLL_CTL_DEL && ev != nullptr && (ev->events & EPOLLEXCLUSIVE)) {
    if (op == EPOLL_CTL_MOD || (ev->events & ~kExclusiveOk)) return -EINVAL;
  }
  switch (op) {
    case EPOLL_CTL_ADD: {
      if (found != items_.end()) return -EEXIST;
      if (ev == nullptr) return -EFAULT;
      auto it = std::make_unique<Item>(this, fd);
      it->file = file;
      it->events = ev->events;
      it->data = ev->data.u64;
      file->sock->wq().Add(&it->entry);
      Item* raw = it.get();
      items_.emplace(fd, std::move(it));
      // Already ready: report it without waiting for a change.
      if (file->sock->Poll() & ((raw->events & ~kFlags) | kAlways)) MarkReady(raw);
      return 0;
    }
    case EPOLL_CTL_MOD: {
      if (found == items_.end()) return -ENOENT;
      if (ev == nullptr) return -EFAULT;
      Item* it = found->second.get();
      if (it->events & EPOLLEXCLUSIVE) return -EINVAL;  // an exclusive item cannot be modified
      it->events = ev->events;
      it->data = ev->data.u64;
      it->disabled = false;
      if (file->sock->Poll() & ((it->events & ~kFlags) | kAlways)) MarkReady(it);
      return 0;
    }
    case EPOLL_CTL_DEL:
      if (found == items_.end()) return -ENOENT;
      Remove(fd);
      return 0;
    default:
      return -EINVAL;
  }
}

int Epoll::Collect(epoll_event* out, int max) {
  int n = 0;
  // One pass over what is ready now: level-triggered items that stay
  // ready go back to the end for the next call.
  size_t pending = ready_.size();
  while (pending-- > 0 && n < max && !ready_.empty()) {
    Item* it = ready_.front();
    ready_.pop_front();
    it->queued = false;
    std::shared_ptr<File> f = it->file.lock();
    if (!f) {
      Remove(it->fd);
      continue;
    }
    if (it->disabled) continue;
    const uint32_t revents = f->sock->Poll() & ((it->events & ~kFlags) | kAlways);
    if (revents == 0) continue;
    out[n].events = revents;
    out[n].data.u64 = it->data;
    ++n;
    if (it->events & EPOLLONESHOT) {
      it->disabled = true;
    } else if (!(it->events & EPOLLET)) {
      MarkReady(it);  // level-triggered: still ready, report again next time
    }
  }
  return n;
}

}  // namespace usnet
