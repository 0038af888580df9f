// The microkernel's event loop: one thread, run to completion. Each round it
// fires due timers (TIMER_SOFTIRQ), then polls scheduled PollTasks with a
// budget (NET_RX_SOFTIRQ: net_rx_action), then runs deferred work. In virtual
// time, when a round finds nothing to do it jumps the clock straight to the
// next timer; in real time it sleeps in epoll until a registered fd (an
// "interrupt": an io_uring eventfd, a TAP fd) fires or the next timer is due.
//
//   ManualClock clock;
//   EventLoop loop(clock);
//   loop.ScheduleNapi(&device_napi);      // from an "interrupt"
//   loop.RunFor(absl::Seconds(2));        // virtual: takes microseconds
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/time/time.h"
#include "kernel/clock.h"
#include "kernel/hrtimer.h"
#include "kernel/timer_wheel.h"

namespace usnet {

class EventLoop;

// Something the loop polls with a budget: a NAPI instance. Poll must process
// at most `budget` units. If it used the whole budget it stays scheduled and
// is polled again; otherwise it must have called EventLoop::Complete (Linux's
// napi_complete_done) before returning.
class PollTask {
 public:
  virtual ~PollTask() = default;
  virtual int Poll(int budget) = 0;
  // Runs after a completed poll has left the list (re-enable interrupts here).
  virtual void OnCompleted() {}
  bool scheduled() const { return scheduled_; }

 private:
  friend class EventLoop;
  PollTask* next_ = nullptr;
  bool scheduled_ = false;
};

// Work deferred to the end of the round (a tasklet). Intrusive; queued once.
class Work {
 public:
  using Fn = void (*)(void* ctx);
  Work(Fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  bool queued() const { return queued_; }

 private:
  friend class EventLoop;
  Fn fn_;
  void* ctx_;
  Work* next_ = nullptr;
  bool queued_ = false;
};

// Softnet statistics (Linux /proc/net/softnet_stat) for the whole loop.
struct SoftnetStats {
  uint64_t rounds = 0;        // net_rx_action invocations with work
  uint64_t processed = 0;     // units of work done by polls
  uint64_t time_squeeze = 0;  // round ended (budget or time) with work left
};

struct LoopConfig {
  int netdev_budget = 300;                                // net.core.netdev_budget
  absl::Duration netdev_budget_time = absl::Microseconds(2000);  // netdev_budget_usecs
  int napi_weight = 64;                                   // net.core.dev_weight
};

class EventLoop {
 public:
  explicit EventLoop(Clock& clock, LoopConfig config = {});
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  Clock& clock() { return clock_; }
  // The time of the current round (like jiffies: read once per round).
  absl::Time now() const { return now_; }
  // The same instant as nanoseconds since the Unix epoch (for timestamps on
  // the per-packet path, without an absl conversion per packet).
  int64_t now_ns() const { return now_ns_; }
  TimerWheel& timers() { return timers_; }
  HrTimerQueue& hrtimers() { return hrtimers_; }
  const SoftnetStats& softnet() const { return softnet_; }
  LoopConfig& config() { return config_; }

  // napi_schedule: queue `t` for polling unless it already is.
  void ScheduleNapi(PollTask* t);
  // napi_complete_done: `t` leaves the poll list after this poll.
  void Complete(PollTask* t);
  // napi_disable: takes `t` off the poll list (no-op if not scheduled).
  // A PollTask must not be destroyed while scheduled.
  void CancelNapi(PollTask* t);
  void Defer(Work* w);
  // Removes `w` from the deferred queue (before its owner dies).
  void CancelDefer(Work* w);

  // Real-time interrupt sources: `fn` runs in the loop when `fd` is readable.
  using FdHandler = std::function<void()>;
  void WatchFd(int fd, FdHandler fn);
  void UnwatchFd(int fd);
  // Wakes a real-time loop sleeping in RunOnce from another thread.
  void Wake();

  // One round. Returns whether anything ran.
  bool RunOnce();
  // Runs rounds until time `t`. Virtual: jumps between deadlines. Real: sleeps.
  void RunUntil(absl::Time t);
  void RunFor(absl::Duration d) { RunUntil(clock_.Now() + d); }
  // Runs until `done()` holds or time `deadline` passes; returns done().
  bool RunUntil(const std::function<bool()>& done, absl::Time deadline);
  // Virtual time: runs until no work and no timer remain, or `limit` passes.
  void RunUntilIdle(absl::Time limit);
  // Asks RunUntil loops to return after the current round.
  void Stop() { stop_ = true; }

  bool HasImmediateWork() const { return poll_head_ != nullptr || work_head_ != nullptr; }
  bool HasTimers() const { return timers_.size() + hrtimers_.size() > 0; }

 private:
  bool NetRxAction();
  bool RunDeferred();
  void SleepUntil(std::optional<absl::Time> deadline);
  void Advance(absl::Time limit);
  std::optional<absl::Time> NextTimer() const;

  Clock& clock_;
  LoopConfig config_;
  absl::Time now_;
  int64_t now_ns_ = 0;
  TimerWheel timers_;
  HrTimerQueue hrtimers_;
  SoftnetStats softnet_;
  PollTask* poll_head_ = nullptr;
  PollTask* poll_tail_ = nullptr;
  PollTask* completing_ = nullptr;  // the task whose Poll is running
  bool completed_ = false;
  Work* work_head_ = nullptr;
  Work* work_tail_ = nullptr;
  bool stop_ = false;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  struct FdEntry;
  std::vector<FdEntry*> fds_;
};

}  // namespace usnet
