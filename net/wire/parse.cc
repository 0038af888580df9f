#include "net/wire/parse.h"

namespace usnet {

std::string_view ParseErrorName(ParseError e) {
  switch (e) {
    case ParseError::kOk: return "ok";
    case ParseError::kTruncated: return "truncated";
    case ParseError::kBadVersion: return "bad version";
    case ParseError::kBadLength: return "bad length";
    case ParseError::kUnsupported: return "unsupported";
  }
  return "?";
}

}  // namespace usnet
