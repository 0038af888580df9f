#include "kernel/sched.h"

#include "kernel/check.h"

namespace usnet {

namespace {
thread_local Scheduler* g_current = nullptr;
thread_local Blocker* g_blocker = nullptr;
}  // namespace

Blocker* Blocker::Current() { return g_blocker; }
Blocker::Scope::Scope(Blocker* b) : prev_(g_blocker) { g_blocker = b; }
Blocker::Scope::~Scope() { g_blocker = prev_; }

Scheduler* Scheduler::Current() { return g_current; }

Scheduler::Scheduler(EventLoop& loop) : loop_(loop) {}

Scheduler::~Scheduler() {
  {
    std::unique_lock<std::mutex> lk(mu_);
    shutting_down_ = true;
    // Tasks still blocked can never be woken by anything now: tell them so
    // (their calls return EDEADLK) and let each finish in turn.
    for (auto& t : tasks_) {
      if (t->state == Task::kBlocked) {
        t->state = Task::kRunnable;
        t->result = Wake::kDeadlock;
        runq_.push_back(static_cast<int>(&t - &tasks_[0]));
      }
    }
    while (true) {
      bool alive = false;
      for (auto& t : tasks_) alive |= t->state != Task::kDone;
      if (!alive) break;
      if (holder_ == kLoop) {
        if (runq_.empty()) {
          // Anything left blocked now was blocked again after the wake-up.
          for (auto& t : tasks_) {
            if (t->state == Task::kBlocked) {
              t->state = Task::kRunnable;
              t->result = Wake::kDeadlock;
              runq_.push_back(static_cast<int>(&t - &tasks_[0]));
            }
          }
        }
        if (!runq_.empty()) {
          holder_ = runq_.front();
          runq_.pop_front();
          tasks_[holder_]->cv.notify_one();
        }
      }
      loop_cv_.wait(lk, [&] { return holder_ == kLoop; });
    }
  }
  for (auto& t : tasks_) {
    if (t->thread.joinable()) t->thread.join();
  }
}

size_t Scheduler::tasks_alive() const {
  std::lock_guard<std::mutex> lk(mu_);
  size_t n = 0;
  for (const auto& t : tasks_) n += t->state != Task::kDone;
  return n;
}

void Scheduler::Spawn(std::string name, std::function<void()> fn) {
  std::unique_lock<std::mutex> lk(mu_);
  const int id = static_cast<int>(tasks_.size());
  auto t = std::make_unique<Task>();
  t->name = std::move(name);
  t->fn = std::move(fn);
  Task* raw = t.get();
  tasks_.push_back(std::move(t));
  runq_.push_back(id);
  raw->thread = std::thread([this, id] { TaskMain(id); });
}

void Scheduler::WaitForToken(std::unique_lock<std::mutex>& lk, int id) {
  tasks_[id]->cv.wait(lk, [&] { return holder_ == id; });
}

void Scheduler::PassToken(std::unique_lock<std::mutex>& lk) {
  (void)lk;
  if (!runq_.empty()) {
    holder_ = runq_.front();
    runq_.pop_front();
    tasks_[holder_]->cv.notify_one();
  } else {
    holder_ = kLoop;
    loop_cv_.notify_one();
  }
}

void Scheduler::TaskMain(int id) {
  g_current = this;
  g_blocker = this;
  std::function<void()> fn;
  {
    std::unique_lock<std::mutex> lk(mu_);
    WaitForToken(lk, id);
    fn = std::move(tasks_[id]->fn);
  }
  fn();
  std::unique_lock<std::mutex> lk(mu_);
  tasks_[id]->state = Task::kDone;
  PassToken(lk);
}

Scheduler::Wake Scheduler::Block(const std::function<bool()>& ready, absl::Time deadline) {
  if (ready()) return Wake::kReady;
  std::unique_lock<std::mutex> lk(mu_);
  const int id = holder_;
  USNET_CHECK(id != kLoop && tasks_[id]->thread.get_id() == std::this_thread::get_id());
  Task& t = *tasks_[id];
  if (shutting_down_) return Wake::kDeadlock;
  t.state = Task::kBlocked;
  t.ready = ready;
  t.deadline = deadline;
  PassToken(lk);
  WaitForToken(lk, id);
  t.ready = nullptr;
  return t.result;
}

bool Scheduler::WakeBlocked(bool deadlock) {
  const absl::Time now = loop_.clock().Now();
  bool any = false;
  for (size_t i = 0; i < tasks_.size(); ++i) {
    Task& t = *tasks_[i];
    if (t.state != Task::kBlocked) continue;
    Wake w;
    if (t.ready()) {
      w = Wake::kReady;
    } else if (now >= t.deadline) {
      w = Wake::kTimeout;
    } else if (deadlock) {
      w = Wake::kDeadlock;
    } else {
      continue;
    }
    t.state = Task::kRunnable;
    t.result = w;
    runq_.push_back(static_cast<int>(i));
    any = true;
  }
  return any;
}

bool Scheduler::AnyBlockedReady() {
  const absl::Time now = loop_.clock().Now();
  for (auto& t : tasks_) {
    if (t->state == Task::kBlocked && (t->ready() || now >= t->deadline)) return true;
  }
  return false;
}

absl::Time Scheduler::EarliestDeadline() const {
  absl::Time d = absl::InfiniteFuture();
  for (const auto& t : tasks_) {
    if (t->state == Task::kBlocked && t->deadline < d) d = t->deadline;
  }
  return d;
}

bool Scheduler::Run(absl::Time limit) {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    loop_cv_.wait(lk, [&] { return holder_ == kLoop; });
    bool alive = false;
    for (auto& t : tasks_) alive |= t->state != Task::kDone;
    if (!alive) return true;
    if (!runq_.empty() || WakeBlocked(false)) {
      PassToken(lk);
      continue;
    }
    if (loop_.clock().Now() >= limit) return false;
    // Every task is blocked: the loop runs until one can go on (the tasks
    // sleep on their condition variables meanwhile; nothing else runs).
    const absl::Time until = std::min(limit, EarliestDeadline());
    lk.unlock();
    const bool woke = loop_.RunUntil([&] { return AnyBlockedReady(); }, until);
    lk.lock();
    if (!woke && loop_.clock().IsVirtual() && !loop_.HasImmediateWork() && until == absl::InfiniteFuture() &&
        loop_.timers().size() == 0 && loop_.hrtimers().size() == 0) {
      WakeBlocked(true);  // nothing can ever happen: every blocked call fails
    }
  }
}

}  // namespace usnet
