#include "kernel/clock.h"

#include <time.h>

namespace usnet {

absl::Time RealClock::Now() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::UnixEpoch() + absl::DurationFromTimespec(ts);
}

}  // namespace usnet
