// Time for the microkernel. Protocol code never reads a clock: the kernel owns
// one Clock and hands `now` down; tests use ManualClock and run in virtual
// time, so every run is deterministic.
//
//   usnet::ManualClock clock;            // starts at kVirtualEpoch
//   clock.Advance(absl::Milliseconds(40));
//   absl::Time t = clock.Now();
#pragma once

#include "absl/time/time.h"

namespace usnet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // True for a clock that only moves when told to (virtual time): the event
  // loop then jumps straight to the next deadline instead of sleeping.
  virtual bool IsVirtual() const = 0;
};

// Virtual time. Starts at a fixed instant so runs are reproducible.
class ManualClock final : public Clock {
 public:
  static constexpr absl::Time kVirtualEpoch = absl::UnixEpoch();
  explicit ManualClock(absl::Time start = kVirtualEpoch) : now_(start) {}
  absl::Time Now() const override { return now_; }
  bool IsVirtual() const override { return true; }
  void Advance(absl::Duration d) { now_ += d; }
  // Moves to t; never backwards.
  void AdvanceTo(absl::Time t) {
    if (t > now_) now_ = t;
  }

 private:
  absl::Time now_;
};

// Real time from CLOCK_MONOTONIC, expressed as an absl::Time since boot so it
// never jumps with wall-clock changes.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override;
  bool IsVirtual() const override { return false; }
};

}  // namespace usnet
