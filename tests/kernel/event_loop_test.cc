#include "kernel/event_loop.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernel/timer_wheel.h"
#include "net/core/napi.h"
#include "net/core/napi_rx_queue.h"
#include "net/core/skbuff.h"
#include "tests/support/fake_device.h"

namespace usnet {
namespace {

using testing::CountingRxHandler;
using testing::FakeDevice;

constexpr absl::Time kT0 = ManualClock::kVirtualEpoch;

// A timer that logs the virtual time it fired at.
struct LoggedTimer {
  LoggedTimer(ManualClock* c, std::vector<absl::Duration>* l) : clock(c), log(l) {}
  ManualClock* clock;
  std::vector<absl::Duration>* log;
  Timer timer{[](void* p) {
                auto* t = static_cast<LoggedTimer*>(p);
                t->log->push_back(t->clock->Now() - kT0);
              },
              this};
};

// A poll task with `pending` units of work that follows the driver
// contract: at most `budget` units, Complete() only when under budget.
class FakeTask : public PollTask {
 public:
  FakeTask(EventLoop& loop, std::string name, int pending, std::vector<std::string>* log)
      : loop_(loop), name_(std::move(name)), pending_(pending), log_(log) {}
  int Poll(int budget) override {
    ++polls;
    budgets.push_back(budget);
    const int n = std::min(pending_, budget);
    pending_ -= n;
    if (log_) log_->push_back(name_ + ":" + std::to_string(n));
    if (on_poll) on_poll();
    if (n < budget) loop_.Complete(this);
    return n;
  }
  void OnCompleted() override {
    ++completions;
    if (log_) log_->push_back(name_ + ":done");
  }
  void Add(int n) { pending_ += n; }
  int pending() const { return pending_; }

  int polls = 0;
  int completions = 0;
  std::vector<int> budgets;
  std::function<void()> on_poll;

 private:
  EventLoop& loop_;
  std::string name_;
  int pending_;
  std::vector<std::string>* log_;
};

class EventLoopTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  EventLoop loop_{clock_};
  std::vector<std::string> log_;
};

// --- Time -----------------------------------------------------------------

TEST_F(EventLoopTest, StartsAtTheClocksTime) {
  EXPECT_EQ(loop_.now(), kT0);
  EXPECT_FALSE(loop_.HasImmediateWork());
  EXPECT_FALSE(loop_.RunOnce()) << "nothing to do";
  EXPECT_EQ(clock_.Now(), kT0) << "RunOnce never moves virtual time";
}

TEST_F(EventLoopTest, VirtualTimeJumpsToEachTimer) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired), b(&clock_, &fired), c(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0 + absl::Seconds(5));
  loop_.timers().Arm(b.timer, kT0 + absl::Milliseconds(1500));
  loop_.timers().Arm(c.timer, kT0 + absl::Seconds(60));
  loop_.RunUntil(kT0 + absl::Seconds(10));
  EXPECT_EQ(fired, (std::vector<absl::Duration>{absl::Milliseconds(1500), absl::Seconds(5)}));
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(10)) << "ends exactly at the deadline";
  EXPECT_TRUE(c.timer.pending());
  loop_.RunFor(absl::Seconds(100));
  EXPECT_EQ(fired.back(), absl::Seconds(60));
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(110));
}

TEST_F(EventLoopTest, NowIsTheRoundsTime) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0 + absl::Milliseconds(40));
  loop_.RunFor(absl::Milliseconds(40));
  EXPECT_EQ(loop_.now(), kT0 + absl::Milliseconds(40));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(loop_.now(), kT0 + absl::Milliseconds(40)) << "read once per round";
  loop_.RunOnce();
  EXPECT_EQ(loop_.now(), kT0 + absl::Milliseconds(1040));
}

TEST_F(EventLoopTest, TimerRearmingItselfFiresPeriodically) {
  struct Periodic {
    EventLoop* loop;
    int count = 0;
    Timer timer{[](void* p) {
                  auto* self = static_cast<Periodic*>(p);
                  ++self->count;
                  self->loop->timers().Arm(self->timer, self->loop->now() + absl::Milliseconds(200));
                },
                this};
  } p{&loop_};
  loop_.timers().Arm(p.timer, kT0 + absl::Milliseconds(200));
  loop_.RunFor(absl::Seconds(1));
  EXPECT_EQ(p.count, 5);  // 200, 400, 600, 800, 1000 ms
  loop_.timers().Cancel(p.timer);
}

TEST_F(EventLoopTest, RunUntilPredicateStopsWhenItHolds) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired), b(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0 + absl::Seconds(3));
  loop_.timers().Arm(b.timer, kT0 + absl::Seconds(7));
  const bool done =
      loop_.RunUntil([&] { return !fired.empty(); }, kT0 + absl::Seconds(100));
  EXPECT_TRUE(done);
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(3)) << "no further than needed";
  EXPECT_TRUE(b.timer.pending());
  loop_.timers().Cancel(b.timer);
}

TEST_F(EventLoopTest, RunUntilPredicateGivesUpAtTheDeadline) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0 + absl::Seconds(3));
  const bool done = loop_.RunUntil([] { return false; }, kT0 + absl::Seconds(10));
  EXPECT_FALSE(done);
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(10));
  EXPECT_EQ(fired.size(), 1u);
}

TEST_F(EventLoopTest, RunUntilPredicateAlreadyTrueDoesNothing) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0);
  EXPECT_TRUE(loop_.RunUntil([] { return true; }, kT0 + absl::Seconds(10)));
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(clock_.Now(), kT0);
  loop_.timers().Cancel(a.timer);
}

TEST_F(EventLoopTest, RunUntilWithNoDeadlineAndNothingPendingReturns) {
  EXPECT_FALSE(loop_.RunUntil([] { return false; }, absl::InfiniteFuture()));
  EXPECT_EQ(clock_.Now(), kT0);
}

TEST_F(EventLoopTest, RunUntilIdleStopsWhenNothingRemains) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired), b(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0 + absl::Seconds(2));
  loop_.timers().Arm(b.timer, kT0 + absl::Seconds(4));
  loop_.RunUntilIdle(kT0 + absl::Seconds(1000));
  EXPECT_EQ(fired.size(), 2u);
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(4)) << "stops at the last timer, not the limit";
}

TEST_F(EventLoopTest, RunUntilIdleRespectsItsLimit) {
  std::vector<absl::Duration> fired;
  LoggedTimer a(&clock_, &fired);
  loop_.timers().Arm(a.timer, kT0 + absl::Seconds(50));
  loop_.RunUntilIdle(kT0 + absl::Seconds(10));
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(10));
  loop_.timers().Cancel(a.timer);
}

TEST_F(EventLoopTest, StopEndsTheRunAfterTheRound) {
  struct Stopper {
    EventLoop* loop;
    int fired = 0;
    Timer timer{[](void* p) {
                  auto* s = static_cast<Stopper*>(p);
                  ++s->fired;
                  s->loop->Stop();
                },
                this};
  } s{&loop_};
  std::vector<absl::Duration> fired;
  LoggedTimer later(&clock_, &fired);
  loop_.timers().Arm(s.timer, kT0 + absl::Seconds(1));
  loop_.timers().Arm(later.timer, kT0 + absl::Seconds(2));
  loop_.RunUntil(kT0 + absl::Seconds(10));
  EXPECT_EQ(s.fired, 1);
  EXPECT_EQ(clock_.Now(), kT0 + absl::Seconds(1));
  EXPECT_TRUE(fired.empty());
  loop_.RunUntil(kT0 + absl::Seconds(10));  // a new run clears the stop
  EXPECT_EQ(fired.size(), 1u);
}

// --- Deferred work ----------------------------------------------------------

TEST_F(EventLoopTest, DeferredWorkRunsOnceAtTheEndOfTheRound) {
  int runs = 0;
  Work w([](void* p) { ++*static_cast<int*>(p); }, &runs);
  loop_.Defer(&w);
  loop_.Defer(&w);  // already queued: once
  EXPECT_TRUE(w.queued());
  EXPECT_TRUE(loop_.HasImmediateWork());
  EXPECT_TRUE(loop_.RunOnce());
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(w.queued());
  EXPECT_FALSE(loop_.HasImmediateWork());
  EXPECT_FALSE(loop_.RunOnce());
  EXPECT_EQ(runs, 1);
}

TEST_F(EventLoopTest, DeferredWorkRunsInQueueOrder) {
  struct Ctx {
    std::vector<std::string>* log;
    std::string name;
  };
  Ctx c1{&log_, "w1"}, c2{&log_, "w2"}, c3{&log_, "w3"};
  auto fn = [](void* p) {
    auto* c = static_cast<Ctx*>(p);
    c->log->push_back(c->name);
  };
  Work w1(fn, &c1), w2(fn, &c2), w3(fn, &c3);
  loop_.Defer(&w2);
  loop_.Defer(&w1);
  loop_.Defer(&w3);
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"w2", "w1", "w3"}));
}

TEST_F(EventLoopTest, WorkDeferredByWorkWaitsForTheNextRound) {
  struct SelfRequeue {
    EventLoop* loop;
    int runs = 0;
    Work work{[](void* p) {
                auto* s = static_cast<SelfRequeue*>(p);
                if (++s->runs < 3) s->loop->Defer(&s->work);
              },
              this};
  } s{&loop_};
  loop_.Defer(&s.work);
  loop_.RunOnce();
  EXPECT_EQ(s.runs, 1);
  EXPECT_TRUE(s.work.queued());
  loop_.RunOnce();
  EXPECT_EQ(s.runs, 2);
  loop_.RunUntil(kT0 + absl::Seconds(1));
  EXPECT_EQ(s.runs, 3);
  EXPECT_FALSE(s.work.queued());
}

TEST_F(EventLoopTest, ARoundRunsTimersThenPollsThenWork) {
  FakeTask task(loop_, "napi", 1, &log_);
  struct Ctx {
    std::vector<std::string>* log;
  } ctx{&log_};
  Work w([](void* p) { static_cast<Ctx*>(p)->log->push_back("work"); }, &ctx);
  struct TimerCtx {
    std::vector<std::string>* log;
    Timer timer{[](void* p) { static_cast<TimerCtx*>(p)->log->push_back("timer"); }, this};
  } t{&log_};
  loop_.Defer(&w);
  loop_.ScheduleNapi(&task);
  loop_.timers().Arm(t.timer, kT0);
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"timer", "napi:1", "napi:done", "work"}));
}

TEST_F(EventLoopTest, WorkDeferredFromAPollRunsInTheSameRound) {
  int runs = 0;
  Work w([](void* p) { ++*static_cast<int*>(p); }, &runs);
  FakeTask task(loop_, "t", 1, nullptr);
  task.on_poll = [&] { loop_.Defer(&w); };
  loop_.ScheduleNapi(&task);
  loop_.RunOnce();
  EXPECT_EQ(runs, 1);
}

// --- Polling (net_rx_action) -------------------------------------------------

TEST_F(EventLoopTest, PollUnderBudgetCompletes) {
  FakeTask t(loop_, "t", 10, &log_);
  loop_.ScheduleNapi(&t);
  EXPECT_TRUE(t.scheduled());
  EXPECT_TRUE(loop_.HasImmediateWork());
  EXPECT_TRUE(loop_.RunOnce());
  EXPECT_EQ(t.budgets, (std::vector<int>{64}));
  EXPECT_EQ(t.completions, 1);
  EXPECT_FALSE(t.scheduled());
  EXPECT_FALSE(loop_.HasImmediateWork());
  EXPECT_EQ(loop_.softnet().rounds, 1u);
  EXPECT_EQ(loop_.softnet().processed, 10u);
  EXPECT_EQ(loop_.softnet().time_squeeze, 0u);
  EXPECT_FALSE(loop_.RunOnce());
  EXPECT_EQ(t.polls, 1);
}

TEST_F(EventLoopTest, ScheduleTwiceIsPolledOnce) {
  FakeTask t(loop_, "t", 1, nullptr);
  loop_.ScheduleNapi(&t);
  loop_.ScheduleNapi(&t);
  loop_.RunOnce();
  EXPECT_EQ(t.polls, 1);
  EXPECT_FALSE(loop_.RunOnce());
  EXPECT_EQ(t.polls, 1);
}

TEST_F(EventLoopTest, FullWeightPollIsPolledAgainNextRound) {
  FakeTask t(loop_, "t", 150, &log_);
  loop_.ScheduleNapi(&t);
  loop_.RunOnce();
  EXPECT_EQ(t.polls, 1);
  EXPECT_EQ(t.completions, 0);
  EXPECT_TRUE(t.scheduled()) << "used its whole weight: stays on the list";
  EXPECT_TRUE(loop_.HasImmediateWork());
  loop_.RunOnce();
  EXPECT_EQ(t.polls, 2);
  EXPECT_TRUE(t.scheduled());
  loop_.RunOnce();
  EXPECT_EQ(t.polls, 3);
  EXPECT_EQ(t.completions, 1);
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(log_, (std::vector<std::string>{"t:64", "t:64", "t:22", "t:done"}));
  EXPECT_EQ(loop_.softnet().processed, 150u);
  EXPECT_EQ(loop_.softnet().rounds, 3u);
  EXPECT_EQ(loop_.softnet().time_squeeze, 0u) << "a lone task never exhausts 300";
}

TEST_F(EventLoopTest, ExactlyTheWeightStaysScheduledThenCompletesWithZero) {
  // Linux: a poll that returns budget must not complete, even if it has
  // nothing left; the next poll finds 0 and completes.
  FakeTask t(loop_, "t", 64, &log_);
  loop_.ScheduleNapi(&t);
  loop_.RunOnce();
  EXPECT_TRUE(t.scheduled());
  loop_.RunOnce();
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(log_, (std::vector<std::string>{"t:64", "t:0", "t:done"}));
}

TEST_F(EventLoopTest, RoundStopsAtNetdevBudgetAndCountsASqueeze) {
  std::vector<std::unique_ptr<FakeTask>> tasks;
  for (int i = 0; i < 6; ++i) {
    tasks.push_back(std::make_unique<FakeTask>(loop_, "t" + std::to_string(i), 1000, &log_));
    loop_.ScheduleNapi(tasks.back().get());
  }
  loop_.RunOnce();
  // 5 x 64 = 320 >= 300: the sixth waits for the next round.
  EXPECT_EQ(log_, (std::vector<std::string>{"t0:64", "t1:64", "t2:64", "t3:64", "t4:64"}));
  EXPECT_EQ(loop_.softnet().processed, 320u);
  EXPECT_EQ(loop_.softnet().time_squeeze, 1u);
  EXPECT_EQ(loop_.softnet().rounds, 1u);
  for (const auto& t : tasks) EXPECT_TRUE(t->scheduled());

  // The next round starts where the last stopped; polled ones went to the back.
  log_.clear();
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"t5:64", "t0:64", "t1:64", "t2:64", "t3:64"}));
  EXPECT_EQ(loop_.softnet().time_squeeze, 2u);
}

TEST_F(EventLoopTest, NoSqueezeWhenTheBudgetRunsOutWithNothingLeft) {
  // usnet counts a squeeze only when work is left (DESIGN.md section 4).
  std::vector<std::unique_ptr<FakeTask>> tasks;
  for (int i = 0; i < 6; ++i) {
    tasks.push_back(std::make_unique<FakeTask>(loop_, "t" + std::to_string(i), 50, nullptr));
    loop_.ScheduleNapi(tasks.back().get());
  }
  loop_.RunOnce();
  EXPECT_EQ(loop_.softnet().processed, 300u);
  EXPECT_EQ(loop_.softnet().time_squeeze, 0u);
  for (const auto& t : tasks) EXPECT_EQ(t->completions, 1);
}

TEST_F(EventLoopTest, BudgetAndWeightComeFromTheConfig) {
  loop_.config().napi_weight = 16;
  loop_.config().netdev_budget = 40;
  FakeTask a(loop_, "a", 100, &log_), b(loop_, "b", 100, &log_), c(loop_, "c", 5, &log_);
  loop_.ScheduleNapi(&a);
  loop_.ScheduleNapi(&b);
  loop_.ScheduleNapi(&c);
  loop_.RunOnce();
  // 16 + 16 = 32 < 40, then c does 5: 37 < 40, the list ends (a and b are
  // re-queued behind the round's end marker).
  EXPECT_EQ(log_, (std::vector<std::string>{"a:16", "b:16", "c:5", "c:done"}));
  EXPECT_EQ(a.budgets, (std::vector<int>{16}));
  EXPECT_EQ(loop_.softnet().time_squeeze, 0u);
  log_.clear();
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"a:16", "b:16"}));
  log_.clear();
  loop_.config().netdev_budget = 20;
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"a:16", "b:16"})) << "32 >= 20 after b";
  EXPECT_EQ(loop_.softnet().time_squeeze, 1u);
}

TEST_F(EventLoopTest, TaskScheduledDuringARoundWaitsForTheNext) {
  FakeTask a(loop_, "a", 1, &log_), b(loop_, "b", 1, &log_);
  a.on_poll = [&] { loop_.ScheduleNapi(&b); };
  loop_.ScheduleNapi(&a);
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"a:1", "a:done"}));
  EXPECT_TRUE(b.scheduled());
  loop_.RunOnce();
  EXPECT_EQ(log_, (std::vector<std::string>{"a:1", "a:done", "b:1", "b:done"}));
}

TEST_F(EventLoopTest, CompletedTaskMayBeRescheduledFromOnCompleted) {
  struct Rearm : FakeTask {
    using FakeTask::FakeTask;
    EventLoop* loop = nullptr;
    void OnCompleted() override {
      FakeTask::OnCompleted();
      if (pending() > 0) loop->ScheduleNapi(this);
    }
  } t(loop_, "t", 3, &log_);
  t.loop = &loop_;
  t.on_poll = [&] {
    if (t.polls == 1) t.Add(2);  // work slipped in after the driver looked
  };
  loop_.ScheduleNapi(&t);
  loop_.RunOnce();
  EXPECT_TRUE(t.scheduled());
  loop_.RunOnce();
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(log_, (std::vector<std::string>{"t:3", "t:done", "t:2", "t:done"}));
}

TEST(EventLoopDeathTest, CompletingAFullWeightPollAborts) {
  EXPECT_DEATH(
      {
        ManualClock clock;
        EventLoop loop(clock);
        struct Bad : PollTask {
          EventLoop* loop;
          int Poll(int budget) override {
            loop->Complete(this);
            return budget;
          }
        } bad;
        bad.loop = &loop;
        loop.ScheduleNapi(&bad);
        loop.RunOnce();
      },
      "check failed");
}

TEST(EventLoopDeathTest, CompleteOutsideItsPollAborts) {
  EXPECT_DEATH(
      {
        ManualClock clock;
        EventLoop loop(clock);
        struct Idle : PollTask {
          int Poll(int) override { return 0; }
        } t;
        loop.Complete(&t);
      },
      "check failed");
}

TEST(EventLoopDeathTest, PollReturningMoreThanItsBudgetAborts) {
  EXPECT_DEATH(
      {
        ManualClock clock;
        EventLoop loop(clock);
        struct Greedy : PollTask {
          int Poll(int budget) override { return budget + 1; }
        } t;
        loop.ScheduleNapi(&t);
        loop.RunOnce();
      },
      "check failed");
}

// --- NAPI ---------------------------------------------------------------------

class NapiTest : public EventLoopTest {
 protected:
  NapiTest() { dev_.SetRxHandler(&rx_); }
  SkbPtr Frame(uint32_t mark) {
    SkbPtr s = pool_.Alloc(64);
    EXPECT_NE(s->Put(60), nullptr);
    s->mark = mark;
    return s;
  }
  void TearDown() override {
    EXPECT_EQ(pool_.stats().unaccounted, 0u);
  }

  SkbPool pool_;
  FakeDevice dev_{"mem0"};
  CountingRxHandler rx_;
};

TEST_F(NapiTest, InterruptIsCountedOncePerSchedule) {
  NapiRxQueue rxq(loop_, dev_, 1000);
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(rxq.Enqueue(Frame(i)));
  EXPECT_EQ(rxq.napi().stats().interrupts, 1u) << "interrupts stay off until the poll completes";
  EXPECT_FALSE(rxq.napi().irq_enabled());
  EXPECT_TRUE(rxq.napi().scheduled());
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(rxq.napi().irq_enabled());
  EXPECT_FALSE(rxq.napi().scheduled());
  const NapiStats& s = rxq.napi().stats();
  EXPECT_EQ(s.polls, 1u);
  EXPECT_EQ(s.packets, 5u);
  EXPECT_EQ(s.full_polls, 0u);
  EXPECT_EQ(s.per_poll[3], 1u) << "5 packets: the 4-7 bucket";
  EXPECT_EQ(dev_.stats().rx_packets, 5u);
  EXPECT_EQ(dev_.stats().rx_bytes, 300u);

  ASSERT_TRUE(rxq.Enqueue(Frame(5)));
  EXPECT_EQ(rxq.napi().stats().interrupts, 2u);
  loop_.RunOnce();
  EXPECT_EQ(rxq.napi().stats().per_poll[1], 1u);
  EXPECT_EQ(pool_.stats().consumed, 6u);
}

TEST_F(NapiTest, BacklogBeyondTheWeightIsPolledOverSeveralRounds) {
  NapiRxQueue rxq(loop_, dev_, 1000);
  for (uint32_t i = 0; i < 150; ++i) ASSERT_TRUE(rxq.Enqueue(Frame(i)));
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks.size(), 64u);
  EXPECT_FALSE(rxq.napi().irq_enabled());
  EXPECT_TRUE(rxq.napi().scheduled());
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks.size(), 128u);
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks.size(), 150u);
  EXPECT_TRUE(rxq.napi().irq_enabled());
  EXPECT_FALSE(rxq.napi().scheduled());
  const NapiStats& s = rxq.napi().stats();
  EXPECT_EQ(s.interrupts, 1u);
  EXPECT_EQ(s.polls, 3u);
  EXPECT_EQ(s.packets, 150u);
  EXPECT_EQ(s.full_polls, 2u);
  EXPECT_EQ(s.per_poll[7], 2u) << "64: the 64+ bucket";
  EXPECT_EQ(s.per_poll[5], 1u) << "22: the 16-31 bucket";
  for (uint32_t i = 0; i < 150; ++i) ASSERT_EQ(rx_.marks[i], i);
}

TEST_F(NapiTest, PerPollHistogramBuckets) {
  NapiRxQueue rxq(loop_, dev_, 1000);
  const struct {
    int frames;
    int bucket;
  } cases[] = {{1, 1}, {2, 2}, {3, 2}, {4, 3}, {7, 3}, {8, 4}, {15, 4},
               {16, 5}, {31, 5}, {32, 6}, {63, 6}, {64, 7}};
  std::array<uint64_t, 8> expected{};
  for (const auto& c : cases) {
    for (int i = 0; i < c.frames; ++i) ASSERT_TRUE(rxq.Enqueue(Frame(0)));
    loop_.RunOnce();
    ++expected[c.bucket];
    if (c.frames == 64) {
      loop_.RunOnce();  // the follow-up poll finds nothing
      ++expected[0];
    }
    EXPECT_EQ(rxq.napi().stats().per_poll, expected) << c.frames;
  }
}

TEST_F(NapiTest, WorkArrivingDuringThePollReRaisesTheInterrupt) {
  // A driver whose ring fills again after it looked: on completion the
  // re-enabled line sees pending work and raises at once (level-triggered).
  int ring = 3;
  bool refill = true;
  Napi* self = nullptr;
  Napi napi(
      loop_,
      [&](int budget) {
        const int n = std::min(ring, budget);
        ring -= n;
        if (refill) {
          ring += 2;
          refill = false;
        }
        if (n < budget) self->CompleteDone(n);
        return n;
      },
      [&] { return ring > 0; });
  self = &napi;
  napi.Interrupt();
  EXPECT_EQ(napi.stats().interrupts, 1u);
  loop_.RunOnce();
  EXPECT_EQ(napi.stats().polls, 1u);
  EXPECT_EQ(napi.stats().interrupts, 2u) << "re-raised on completion";
  EXPECT_TRUE(napi.scheduled());
  EXPECT_FALSE(napi.irq_enabled());
  loop_.RunOnce();
  EXPECT_EQ(napi.stats().polls, 2u);
  EXPECT_EQ(napi.stats().packets, 5u);
  EXPECT_EQ(napi.stats().interrupts, 2u);
  EXPECT_FALSE(napi.scheduled());
  EXPECT_TRUE(napi.irq_enabled());
  EXPECT_FALSE(loop_.RunOnce());
}

TEST_F(NapiTest, InterruptWhileScheduledIsIgnored) {
  int ring = 1;
  Napi* self = nullptr;
  Napi napi(
      loop_,
      [&](int budget) {
        const int n = std::min(ring, budget);
        ring -= n;
        self->Interrupt();  // the device fires again mid-poll: masked
        if (n < budget) self->CompleteDone(n);
        return n;
      },
      [&] { return ring > 0; });
  self = &napi;
  napi.Interrupt();
  napi.Interrupt();
  EXPECT_EQ(napi.stats().interrupts, 1u);
  loop_.RunOnce();
  EXPECT_EQ(napi.stats().interrupts, 1u);
  EXPECT_EQ(napi.stats().polls, 1u);
  EXPECT_FALSE(napi.scheduled());
}

TEST_F(NapiTest, NapiWithoutHasWorkJustReEnables) {
  int polls = 0;
  Napi* self = nullptr;
  Napi napi(
      loop_,
      [&](int) {
        ++polls;
        self->CompleteDone(0);
        return 0;
      },
      nullptr);
  self = &napi;
  napi.Interrupt();
  loop_.RunOnce();
  EXPECT_EQ(polls, 1);
  EXPECT_TRUE(napi.irq_enabled());
  EXPECT_EQ(napi.stats().per_poll[0], 1u);
}

TEST_F(NapiTest, FullQueueDropsAndCounts) {
  NapiRxQueue rxq(loop_, dev_, 3);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(rxq.Enqueue(Frame(i)));
  EXPECT_FALSE(rxq.Enqueue(Frame(3)));
  EXPECT_FALSE(rxq.Enqueue(Frame(4)));
  EXPECT_EQ(rxq.size(), 3u);
  EXPECT_EQ(dev_.stats().rx_dropped, 2u);
  EXPECT_EQ(pool_.stats().dropped, 2u);
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(rxq.size(), 0u);
  rxq.set_limit(1);
  EXPECT_TRUE(rxq.Enqueue(Frame(5)));
  EXPECT_FALSE(rxq.Enqueue(Frame(6)));
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks.back(), 5u);
}

TEST_F(NapiTest, DestroyingTheQueuePurgesWhatIsLeft) {
  {
    NapiRxQueue rxq(loop_, dev_, 100);
    for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(rxq.Enqueue(Frame(i)));
    // Never polled: the NAPI instance is still on the loop's list, so this
    // test must not run the loop after the queue dies.
    EXPECT_TRUE(rxq.napi().scheduled());
  }
  EXPECT_EQ(pool_.stats().dropped, 4u);
  EXPECT_EQ(pool_.in_use(), 0u);
}

TEST_F(NapiTest, DeviceDownDropsReceivedFrames) {
  NapiRxQueue rxq(loop_, dev_, 100);
  dev_.set_up(false);
  ASSERT_TRUE(rxq.Enqueue(Frame(1)));
  loop_.RunOnce();
  EXPECT_TRUE(rx_.marks.empty());
  EXPECT_EQ(dev_.stats().rx_dropped, 1u);
  EXPECT_EQ(pool_.stats().dropped, 1u);
  EXPECT_EQ(rxq.napi().stats().packets, 1u) << "the poll still handled it";
}

TEST_F(NapiTest, TwoDevicesShareTheRoundBudget) {
  FakeDevice dev2("mem1");
  CountingRxHandler rx2;
  dev2.SetRxHandler(&rx2);
  loop_.config().netdev_budget = 100;
  NapiRxQueue q1(loop_, dev_, 1000), q2(loop_, dev2, 1000);
  for (uint32_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(q1.Enqueue(Frame(i)));
    ASSERT_TRUE(q2.Enqueue(Frame(i)));
  }
  loop_.RunOnce();
  EXPECT_EQ(rx_.marks.size(), 64u);
  EXPECT_EQ(rx2.marks.size(), 64u);
  EXPECT_EQ(loop_.softnet().time_squeeze, 1u);
  loop_.RunUntilIdle(kT0 + absl::Seconds(1));
  EXPECT_EQ(rx_.marks.size(), 200u);
  EXPECT_EQ(rx2.marks.size(), 200u);
  EXPECT_EQ(q1.napi().stats().interrupts, 1u);
  EXPECT_EQ(q2.napi().stats().interrupts, 1u);
}

TEST(NapiDeathTest, DestroyingAScheduledQueueLeavesNoDanglingPollEntry) {
  // Linux never frees a scheduled NAPI instance: unregister_netdevice runs
  // napi_disable (which waits until it leaves the poll list) before
  // netif_napi_del. Here a device torn down while its NAPI is scheduled
  // (frames queued, not yet polled) must not leave the loop pointing at
  // freed memory. Runs in a child: a use after free fails only this test.
  EXPECT_EXIT(
      {
        ManualClock clock;
        EventLoop loop(clock);
        SkbPool pool;
        FakeDevice dev("mem0");
        CountingRxHandler rx;
        dev.SetRxHandler(&rx);
        auto rxq = std::make_unique<NapiRxQueue>(loop, dev, 10);
        SkbPtr s = pool.Alloc(64);
        (void)s->Put(60);
        rxq->Enqueue(std::move(s));
        rxq.reset();  // purges the frame; the NAPI instance is still scheduled
        loop.RunOnce();
        std::exit(rx.marks.empty() && pool.stats().dropped == 1 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace usnet
