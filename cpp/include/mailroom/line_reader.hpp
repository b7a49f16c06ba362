// The command lines of the text protocols' servers (SMTP, POP3), bounded, as
// the bytes arrive in pieces of any size.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace mailroom {

// A line ends at LF (the session checks the CR before it: RFC 5321 §2.3.8,
// RFC 1939 §3). With its line end it may hold `limit` octets, so limit - 1
// before the LF; a longer one is dropped as it streams by, never buffered,
// and reported once its LF has come (RFC 5321 §4.5.3.1.4: 500 "line too
// long"; a POP3 -ERR). The limit may depend on the line's first octets and
// the session's state (an SMTP AUTH line or response may be longer).
class LineReader {
 public:
  enum class Result {
    More,      // all of the input was taken; the line goes on
    Line,      // line() is a whole line, without its LF
    Overlong,  // a line over the limit ended; discarded() octets were dropped
  };
  static constexpr std::size_t kHead = 8;  // octets of a line `limit_for` sees

  // Reads from in[i...], advancing i past what it took; `limit_for(head)`
  // gives the limit for the line that starts with `head` (its first octets,
  // up to kHead, fewer when that is all there is yet). line() stays valid
  // until the next read() or clear().
  template <class LimitFor>
  Result read(std::string_view in, std::size_t& i, LimitFor&& limit_for);

  std::string_view line() const { return line_; }
  std::size_t discarded() const { return discarded_; }
  // Octets held of a line not yet ended (at most its limit).
  std::size_t buffered() const { return partial_.size(); }
  // Forgets a partial line (STARTTLS: what came before the handshake).
  void clear() {
    wipe(partial_);
    wipe(done_);
    line_ = {};
    discarding_ = false;
    discarded_ = 0;
  }

 private:
  // Lines may carry credentials (AUTH responses): no copy outlives its use.
  static void wipe(std::string& s) {
    std::fill(s.begin(), s.end(), '\0');
    s.clear();
  }

  std::string partial_;  // the start of a line, within its limit
  std::string done_;     // a whole line that came in pieces
  std::string_view line_;
  bool discarding_ = false;
  std::size_t discarded_ = 0;
};

template <class LimitFor>
LineReader::Result LineReader::read(std::string_view in, std::size_t& i, LimitFor&& limit_for) {
  if (!done_.empty()) wipe(done_);
  line_ = {};
  const char* p = in.data() + i;
  const std::size_t avail = in.size() - i;
  const auto* lf = static_cast<const char*>(std::memchr(p, '\n', avail));
  const std::size_t seg = lf ? static_cast<std::size_t>(lf - p) : avail;
  if (discarding_) {
    discarded_ += lf ? seg + 1 : seg;
    i += lf ? seg + 1 : seg;
    if (!lf) return Result::More;
    discarding_ = false;
    return Result::Overlong;
  }
  char head[kHead];
  const std::size_t h = std::min(partial_.size(), kHead);
  std::memcpy(head, partial_.data(), h);
  const std::size_t more = std::min(avail, kHead - h);
  std::memcpy(head + h, p, more);
  const std::size_t limit = limit_for(std::string_view(head, h + more));
  const std::size_t max_content = limit > 0 ? limit - 1 : 0;
  if (partial_.size() + seg > max_content) {
    discarding_ = true;
    discarded_ = partial_.size();
    wipe(partial_);
    return read(in, i, limit_for);  // the same octets, now dropped
  }
  if (!lf) {
    partial_.append(p, avail);
    i = in.size();
    return Result::More;
  }
  i += seg + 1;
  if (partial_.empty()) {
    line_ = std::string_view(p, seg);
  } else {
    partial_.append(p, seg);
    done_.swap(partial_);
    line_ = done_;
  }
  return Result::Line;
}

}  // namespace mailroom
