// Tasks: userland threads that make blocking calls into an embedded kernel,
// deterministically. Exactly one of {the event loop, one task} runs at a
// time, passing a token: a task runs until it blocks in a system call (or
// returns); the token then goes to the next runnable task, in the order
// they became runnable, or to the loop when none is. The loop runs its
// rounds (and, in virtual time, moves the clock) only while every task is
// blocked, and wakes a blocked task when its condition holds or its
// deadline passes. So a program with a server thread and client threads
// behaves the same on every run, and virtual time never skips over work a
// thread was about to do.
//
//   Scheduler s(loop);
//   s.Spawn("server", [&] { ProcessScope in(server_proc); RunServer(); });
//   s.Spawn("client", [&] { ProcessScope in(client_proc); RunClient(); });
//   bool all_done = s.Run(clock.Now() + absl::Minutes(1));
//
// Inside a task, a blocking call uses Scheduler::Current()->Block(...).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "kernel/event_loop.h"

namespace usnet {

// How a blocking system call waits on the calling thread. With none
// installed, the call runs the event loop itself (a single-threaded
// embedded program). A Scheduler task waits by passing the token; an
// external driver that owns the loop on another thread (the packetdrill
// adapter) installs its own Blocker for the threads that call in.
class Blocker {
 public:
  enum class Wake { kReady, kTimeout, kDeadlock };
  virtual ~Blocker() = default;
  // Waits until `ready()` holds (kReady), `deadline` passes (kTimeout), or
  // nothing could ever make it hold (kDeadlock).
  virtual Wake Block(const std::function<bool()>& ready, absl::Time deadline) = 0;

  // The calling thread's blocker; nullptr when it runs the loop itself.
  static Blocker* Current();
  // Installs `b` as the calling thread's blocker for the scope's lifetime.
  class Scope {
   public:
    explicit Scope(Blocker* b);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Blocker* prev_;
  };
};

class Scheduler final : public Blocker {
 public:

  explicit Scheduler(EventLoop& loop);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // A task that will run `fn` when it first gets the token.
  void Spawn(std::string name, std::function<void()> fn);
  // Drives tasks and the loop until every task has returned (true) or the
  // clock reaches `limit` (false; tasks still blocked stay blocked, and are
  // woken with kDeadlock when the scheduler is destroyed).
  bool Run(absl::Time limit);

  // From a task: waits until `ready()` holds (kReady), `deadline` passes
  // (kTimeout), or nothing could ever make it hold (kDeadlock: virtual
  // time, no timer pending, every task blocked). `ready` is evaluated by
  // whoever holds the token, never concurrently with the task.
  Wake Block(const std::function<bool()>& ready, absl::Time deadline) override;

  // The scheduler of the calling task; nullptr outside any task.
  static Scheduler* Current();
  EventLoop& loop() { return loop_; }
  size_t tasks_alive() const;

 private:
  struct Task {
    std::string name;
    std::function<void()> fn;
    std::thread thread;
    std::condition_variable cv;
    enum State { kRunnable, kBlocked, kDone } state = kRunnable;
    std::function<bool()> ready;
    absl::Time deadline;
    Wake result = Wake::kReady;
  };
  static constexpr int kLoop = -1;

  void TaskMain(int id);
  void PassToken(std::unique_lock<std::mutex>& lk);  // from the current holder
  void WaitForToken(std::unique_lock<std::mutex>& lk, int id);
  // With the token held by the loop: wakes blocked tasks whose condition
  // holds or whose deadline passed. Returns whether any became runnable.
  bool WakeBlocked(bool deadlock);
  bool AnyBlockedReady();
  absl::Time EarliestDeadline() const;

  EventLoop& loop_;
  mutable std::mutex mu_;
  std::condition_variable loop_cv_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::deque<int> runq_;
  int holder_ = kLoop;
  bool shutting_down_ = false;
};

}  // namespace usnet
