// A lab: two embedded usnet hosts, "a" (10.0.0.1) and "b" (10.0.0.2), on a
// memlink wire, with an optional FaultInjector on each end's transmit side
// (so every frame meets the faults once) and an optional pcap capture on
// host a's interface (both directions, like tcpdump on a). Virtual time by
// default; real time on request. The CLI tools, the demo and many tests
// start from here.
//
//   Lab lab({.faults = {.loss = 0.2}, .pcap_path = "out.pcap"});
//   ProcessScope in(lab.proc_a());
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "drivers/fault/fault_injector.h"
#include "drivers/pcap/pcap_writer.h"
#include "kernel/clock.h"
#include "kernel/event_loop.h"
#include "net/stack.h"
#include "syscalls/process.h"

namespace usnet {

struct LabOptions {
  uint32_t mtu = 1500;
  FaultConfig faults;         // on each end's transmit side
  uint64_t seed = 1;
  std::string pcap_path;      // empty: no capture
  bool realtime = false;
};

class Lab {
 public:
  // Fails only if the pcap file cannot be written.
  static absl::StatusOr<std::unique_ptr<Lab>> Create(const LabOptions& o);
  ~Lab();

  Clock& clock() { return *clock_; }
  EventLoop& loop() { return *loop_; }
  SkbPool& pool() { return pool_; }
  Stack& a() { return *a_; }
  Stack& b() { return *b_; }
  Process& proc_a() { return *proc_a_; }
  Process& proc_b() { return *proc_b_; }
  NetDevice* dev_a() { return dev_a_; }
  NetDevice* dev_b() { return dev_b_; }
  FaultInjector* faults_a() { return faults_a_; }
  FaultInjector* faults_b() { return faults_b_; }
  PcapWriter* pcap() { return pcap_.is_open() ? &pcap_ : nullptr; }

  static constexpr const char* kAddrA = "10.0.0.1";
  static constexpr const char* kAddrB = "10.0.0.2";

 private:
  explicit Lab(const LabOptions& o);
  absl::Status Init();

  LabOptions opts_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<EventLoop> loop_;
  SkbPool pool_;
  PcapWriter pcap_;
  std::unique_ptr<Stack> a_, b_;
  std::unique_ptr<Process> proc_a_, proc_b_;
  NetDevice* dev_a_ = nullptr;
  NetDevice* dev_b_ = nullptr;
  FaultInjector* faults_a_ = nullptr;
  FaultInjector* faults_b_ = nullptr;
};

}  // namespace usnet
