// What a header view's Parse returns: the view, or why the bytes are not one.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/check.h"

namespace usnet {

enum class ParseError : uint8_t {
  kOk,
  kTruncated,    // fewer bytes than the header (or its length field) needs
  kBadVersion,   // IPv4 version != 4
  kBadLength,    // a length field is inconsistent (ihl < 5, total < ihl, ...)
  kUnsupported,  // well-formed but not something we handle (ARP for non-IPv4)
};

std::string_view ParseErrorName(ParseError e);

template <typename View>
class ParseResult {
 public:
  ParseResult(View v) : view_(v), error_(ParseError::kOk) {}  // NOLINT: implicit by design
  ParseResult(ParseError e) : view_(), error_(e) {}           // NOLINT
  bool ok() const { return error_ == ParseError::kOk; }
  explicit operator bool() const { return ok(); }
  ParseError error() const { return error_; }
  const View& operator*() const {
    USNET_CHECK(ok());
    return view_;
  }
  const View* operator->() const {
    USNET_CHECK(ok());
    return &view_;
  }

 private:
  View view_;
  ParseError error_;
};

}  // namespace usnet
