// TCP sequence numbers: 32-bit, compared modulo 2^32 (RFC 9293 3.4; Linux
// before()/after()). A strong type, so TCP code cannot mix a sequence
// number with a length, a port or a timestamp.
//
//   SeqNum a(0xfffffff0), b = a + 0x20;   // wraps
//   a < b;                                  // true: b is "after" a
//   b - a;                                  // 0x20 (a signed distance)
#pragma once

#include <cstdint>

namespace usnet {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint32_t v) : v_(v) {}
  constexpr uint32_t value() const { return v_; }

  friend constexpr SeqNum operator+(SeqNum s, uint32_t n) { return SeqNum(s.v_ + n); }
  friend constexpr SeqNum operator-(SeqNum s, uint32_t n) { return SeqNum(s.v_ - n); }
  constexpr SeqNum& operator+=(uint32_t n) {
    v_ += n;
    return *this;
  }
  // The signed distance from b to a (a - b), valid within 2^31.
  friend constexpr int32_t operator-(SeqNum a, SeqNum b) { return static_cast<int32_t>(a.v_ - b.v_); }

  friend constexpr bool operator==(SeqNum a, SeqNum b) = default;
  friend constexpr bool operator<(SeqNum a, SeqNum b) { return (a - b) < 0; }
  friend constexpr bool operator>(SeqNum a, SeqNum b) { return (a - b) > 0; }
  friend constexpr bool operator<=(SeqNum a, SeqNum b) { return (a - b) <= 0; }
  friend constexpr bool operator>=(SeqNum a, SeqNum b) { return (a - b) >= 0; }

  // Linux between(seq, lo, hi): lo <= seq <= hi, modulo 2^32.
  static constexpr bool Between(SeqNum s, SeqNum lo, SeqNum hi) {
    return hi.v_ - lo.v_ >= s.v_ - lo.v_;
  }
  static constexpr SeqNum Max(SeqNum a, SeqNum b) { return a > b ? a : b; }
  static constexpr SeqNum Min(SeqNum a, SeqNum b) { return a < b ? a : b; }

 private:
  uint32_t v_ = 0;
};

}  // namespace usnet
