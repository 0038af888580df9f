// Helpers for tests that run a TCP connection between the two hosts of a
// TwoHosts: connect (b listens on 8080, a connects), then move data both
// ways at once with nonblocking sockets while the event loop runs, in one
// thread.
#pragma once

#include <string>

#include "tests/support/two_hosts.h"

namespace usnet::testing {

struct TcpPair {
  int listener = -1;  // on b
  int server = -1;    // on b, accepted
  int client = -1;    // on a
};

// Returns a connected pair, or one with server/client -1 (and a gtest
// failure) if the handshake does not finish within `limit`.
TcpPair ConnectPair(TwoHosts& net, absl::Duration limit = absl::Seconds(60));

struct ExchangeResult {
  bool done = false;  // both sides saw end of stream in time
  std::string a_got, b_got;
  size_t a_sent = 0, b_sent = 0;
  std::string Describe() const;
};

// a sends `up`, b sends `down`, each shuts down writing when done, until
// both have read to end of stream or `limit` of virtual time passes.
ExchangeResult Exchange(TwoHosts& net, const TcpPair& p, const std::string& up, const std::string& down,
                        absl::Duration limit);

// Closes every descriptor of the pair.
void ClosePair(TwoHosts& net, TcpPair& p);

// Deterministic pseudo-random bytes.
std::string RandomBytes(size_t n, uint64_t seed);

}  // namespace usnet::testing
