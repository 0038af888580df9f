#include "kernel/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "kernel/check.h"

namespace usnet {

struct EventLoop::FdEntry {
  int fd;
  FdHandler fn;
};

EventLoop::EventLoop(Clock& clock, LoopConfig config)
    : clock_(clock), config_(config), now_(clock.Now()), now_ns_(absl::ToUnixNanos(now_)), timers_(now_) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  USNET_CHECK(epoll_fd_ >= 0 && wake_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake fd
  USNET_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0);
}

EventLoop::~EventLoop() {
  for (FdEntry* e : fds_) delete e;
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void EventLoop::ScheduleNapi(PollTask* t) {
  if (t->scheduled_) return;
  t->scheduled_ = true;
  t->next_ = nullptr;
  if (poll_tail_) {
    poll_tail_->next_ = t;
  } else {
    poll_head_ = t;
  }
  poll_tail_ = t;
}

void EventLoop::Complete(PollTask* t) {
  USNET_CHECK(t == completing_);
  completed_ = true;
}

void EventLoop::CancelNapi(PollTask* t) {
  if (!t->scheduled_) return;
  USNET_CHECK(t != completing_);
  PollTask* prev = nullptr;
  for (PollTask* p = poll_head_; p != t; p = p->next_) prev = p;
  (prev ? prev->next_ : poll_head_) = t->next_;
  if (poll_tail_ == t) poll_tail_ = prev;
  t->next_ = nullptr;
  t->scheduled_ = false;
}

void EventLoop::Defer(Work* w) {
  if (w->queued_) return;
  w->queued_ = true;
  w->next_ = nullptr;
  if (work_tail_) {
    work_tail_->next_ = w;
  } else {
    work_head_ = w;
  }
  work_tail_ = w;
}

// Linux net_rx_action: poll each scheduled instance with its weight until the
// round's budget (netdev_budget packets) or time (netdev_budget_usecs) runs
// out. An instance that used its whole weight goes to the back of the list.
bool EventLoop::NetRxAction() {
  if (poll_head_ == nullptr) return false;
  ++softnet_.rounds;
  int budget = config_.netdev_budget;
  const absl::Time time_limit = now_ + config_.netdev_budget_time;
  // Only instances already on the list when the round began are polled now;
  // ones scheduled during it wait for the next round, like Linux's
  // local list splice.
  PollTask* stop_after = poll_tail_;
  bool last = false;
  while (poll_head_ != nullptr && !last) {
    PollTask* t = poll_head_;
    last = (t == stop_after);
    poll_head_ = t->next_;
    if (poll_head_ == nullptr) poll_tail_ = nullptr;
    t->next_ = nullptr;

    completing_ = t;
    completed_ = false;
    const int weight = config_.napi_weight;
    int work = t->Poll(weight);
    completing_ = nullptr;
    USNET_CHECK(work >= 0 && work <= weight);
    softnet_.processed += static_cast<uint64_t>(work);
    budget -= work;
    if (completed_) {
      USNET_CHECK(work < weight);  // a task that used its weight may not complete
      t->scheduled_ = false;
      t->OnCompleted();
    } else {
      // Still has work: re-queue at the tail (scheduled_ stays true).
      t->scheduled_ = false;
      ScheduleNapi(t);
    }
    const bool out_of_time = !clock_.IsVirtual() && clock_.Now() > time_limit;
    if ((budget <= 0 || out_of_time) && poll_head_ != nullptr) {
      ++softnet_.time_squeeze;
      break;
    }
  }
  return true;
}

void EventLoop::CancelDefer(Work* w) {
  if (!w->queued_) return;
  Work* prev = nullptr;
  for (Work* p = work_head_; p != nullptr; prev = p, p = p->next_) {
    if (p != w) continue;
    (prev ? prev->next_ : work_head_) = w->next_;
    if (work_tail_ == w) work_tail_ = prev;
    break;
  }
  w->next_ = nullptr;
  w->queued_ = false;
}

bool EventLoop::RunDeferred() {
  if (work_head_ == nullptr) return false;
  // Run what was queued before we started, one at a time from the live
  // list (so CancelDefer works from inside a callback); new work waits for
  // the next round.
  Work* last = work_tail_;
  for (;;) {
    Work* w = work_head_;
    if (w == nullptr) break;
    work_head_ = w->next_;
    if (work_head_ == nullptr) work_tail_ = nullptr;
    w->next_ = nullptr;
    w->queued_ = false;
    const bool was_last = (w == last);
    w->fn_(w->ctx_);
    if (was_last) break;
  }
  return true;
}

bool EventLoop::RunOnce() {
  now_ = clock_.Now();
  now_ns_ = absl::ToUnixNanos(now_);
  bool did = hrtimers_.Run(now_) > 0;
  did |= timers_.Run(now_) > 0;
  did |= NetRxAction();
  did |= RunDeferred();
  return did;
}

void EventLoop::Advance(absl::Time limit) {
  // Nothing immediate: move time forward to the next deadline (virtual) or
  // sleep until it or an interrupt (real).
  std::optional<absl::Time> next = NextTimer();
  absl::Time target = next && *next < limit ? *next : limit;
  if (clock_.IsVirtual()) {
    static_cast<ManualClock&>(clock_).AdvanceTo(target);
  } else {
    SleepUntil(target);
  }
}

std::optional<absl::Time> EventLoop::NextTimer() const {
  std::optional<absl::Time> a = timers_.NextExpiry(), b = hrtimers_.NextExpiry();
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

void EventLoop::RunUntil(absl::Time t) {
  RunUntil([] { return false; }, t);
}

bool EventLoop::RunUntil(const std::function<bool()>& done, absl::Time deadline) {
  stop_ = false;
  while (!done() && !stop_) {
    RunOnce();
    if (done() || stop_) break;
    if (HasImmediateWork()) continue;
    if (clock_.Now() >= deadline) break;
    // Virtual time with nothing pending and no deadline: nothing can ever
    // happen again. Return rather than hang.
    if (clock_.IsVirtual() && !HasTimers() && deadline == absl::InfiniteFuture()) break;
    Advance(deadline);
  }
  return done();
}

void EventLoop::RunUntilIdle(absl::Time limit) {
  stop_ = false;
  while (!stop_) {
    RunOnce();
    if (HasImmediateWork()) continue;
    if (!HasTimers() || clock_.Now() >= limit) break;
    Advance(limit);
  }
}

void EventLoop::WatchFd(int fd, FdHandler fn) {
  auto* e = new FdEntry{fd, std::move(fn)};
  fds_.push_back(e);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = e;
  USNET_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0);
}

void EventLoop::UnwatchFd(int fd) {
  auto it = std::find_if(fds_.begin(), fds_.end(), [fd](FdEntry* e) { return e->fd == fd; });
  if (it == fds_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  delete *it;
  fds_.erase(it);
}

void EventLoop::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

void EventLoop::SleepUntil(std::optional<absl::Time> deadline) {
  // epoll_pwait2 takes a timespec: hrtimer deadlines keep their precision.
  timespec ts{};
  timespec* tsp = nullptr;
  if (deadline && *deadline != absl::InfiniteFuture()) {
    absl::Duration d = *deadline - clock_.Now();
    if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
    ts = absl::ToTimespec(d);
    tsp = &ts;
  }
  epoll_event evs[16];
  int n = epoll_pwait2(epoll_fd_, evs, 16, tsp, nullptr);
  for (int i = 0; i < n; ++i) {
    auto* e = static_cast<FdEntry*>(evs[i].data.ptr);
    if (e == nullptr) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &v, sizeof(v));
      continue;
    }
    e->fn();
  }
}

}  // namespace usnet
