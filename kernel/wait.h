// Wait queues (Linux wait_queue_head_t): a socket wakes whoever waits on it
// (a blocked syscall, a poll, an epoll instance) with the readiness bits
// that changed. Entries are intrusive; a callback may remove itself.
//
//   WaitQueue::Entry e([](WaitQueue::Entry* e, uint32_t ev) { ... }, ctx);
//   sock.wq().Add(&e);  ...  sock.wq().Remove(&e);
#pragma once

#include <cstdint>

#include "kernel/check.h"

namespace usnet {

class WaitQueue {
 public:
  struct Link {
    Link* next = nullptr;
    Link* prev = nullptr;
  };
  struct Entry : Link {
    using Fn = void (*)(Entry* self, uint32_t events);
    Entry(Fn f, void* c) : fn(f), ctx(c) {}
    ~Entry() { USNET_CHECK(!linked()); }
    bool linked() const { return prev != nullptr; }
    Fn fn;
    void* ctx;
  };

  WaitQueue() { head_.next = head_.prev = &head_; }
  ~WaitQueue() {
    // Detach whoever still waits: the object they waited on is gone.
    while (head_.next != &head_) Remove(static_cast<Entry*>(head_.next));
  }
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  void Add(Entry* e) {
    USNET_CHECK(!e->linked());
    e->prev = head_.prev;
    e->next = &head_;
    head_.prev->next = e;
    head_.prev = e;
  }
  void Remove(Entry* e) { Unlink(e); }
  // Takes `e` off whatever queue holds it (entries only know their
  // neighbours, so the queue itself is not needed).
  static void Unlink(Entry* e) {
    if (!e->linked()) return;
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->next = e->prev = nullptr;
  }
  bool empty() const { return head_.next == &head_; }
  // Calls every entry; safe against an entry removing itself.
  void Wake(uint32_t events) {
    for (Link* l = head_.next; l != &head_;) {
      Link* next = l->next;
      auto* e = static_cast<Entry*>(l);
      e->fn(e, events);
      l = next;
    }
  }

 private:
  Link head_;
};

}  // namespace usnet
