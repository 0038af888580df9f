// epoll for usnet descriptors (Linux fs/eventpoll.c, in miniature). Each
// watched socket gets an item with a wait-queue entry; a socket's wake-up
// puts the item on the instance's ready list, so epoll_wait looks only at
// sockets that changed. Level-triggered items stay on the ready list while
// ready; edge-triggered ones (EPOLLET) are reported once per wake-up;
// EPOLLONESHOT disables an item after one report until EPOLL_CTL_MOD.
// Closing a socket's last descriptor drops it from every epoll set.
#pragma once

#include <sys/epoll.h>

#include <list>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "kernel/wait.h"

namespace usnet {

struct File;

class Epoll {
 public:
  Epoll() = default;
  ~Epoll();
  Epoll(const Epoll&) = delete;
  Epoll& operator=(const Epoll&) = delete;

  // EPOLL_CTL_ADD/MOD/DEL; returns 0 or -errno (EEXIST, ENOENT, EINVAL).
  int Ctl(int op, int fd, const std::shared_ptr<File>& file, const epoll_event* ev);
  // Fills up to `max` events that are ready now; returns how many.
  int Collect(epoll_event* out, int max);
  bool MaybeReady() const { return !ready_.empty(); }

 private:
  struct Item {
    Item(Epoll* o, int f) : owner(o), fd(f), entry(&OnWake, this) {}
    ~Item() { WaitQueue::Unlink(&entry); }
    static void OnWake(WaitQueue::Entry* e, uint32_t events);
    Epoll* owner;
    int fd;
    std::weak_ptr<File> file;
    uint32_t events = 0;  // what the user asked for (EPOLLIN ... EPOLLET)
    uint64_t data = 0;
    bool queued = false;  // on ready_
    bool disabled = false;  // EPOLLONESHOT fired
    WaitQueue::Entry entry;
  };
  void MarkReady(Item* it);
  void Remove(int fd);

  absl::flat_hash_map<int, std::unique_ptr<Item>> items_;
  std::list<Item*> ready_;
};

}  // namespace usnet
