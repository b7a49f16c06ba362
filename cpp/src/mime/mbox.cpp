// mbox framing: MboxReader (streaming, sans-IO) and append_mbox_entry.
// The reader looks for "\nFrom " with string_view::find, so a chunk is scanned
// at memchr speed, and it keeps one offset into its buffer instead of erasing
// each framed message from the front.
#include "mailroom/mime/mbox.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "mailroom/text.hpp"

namespace mailroom::mime {
namespace {

constexpr std::string_view kFromLine = "\nFrom ";

bool is_quoting(MboxVariant v) {
  return v == MboxVariant::mboxo || v == MboxVariant::mboxrd || v == MboxVariant::mboxcl;
}

// Calls f(k, i) for every "From " at i that starts a line after k-i '>'s
// (k is where the line starts).
template <typename F>
void for_each_from_line(std::string_view data, F&& f) {
  std::size_t i = 0;
  while ((i = data.find("From ", i)) != std::string_view::npos) {
    std::size_t k = i;
    while (k > 0 && data[k - 1] == '>') --k;
    if (k == 0 || data[k - 1] == '\n') f(k, i);
    i += 5;
  }
}

// Where the empty line that ends the header block of `msg` begins, and where
// the body begins; npos when there is none.
std::pair<std::size_t, std::size_t> header_end(std::string_view msg) {
  if (!msg.empty() && msg[0] == '\n') return {0, 1};
  if (msg.size() >= 2 && msg[0] == '\r' && msg[1] == '\n') return {0, 2};
  // The first line end followed by "\n" or "\r\n": one pass, never further
  // than the header block (a search for each form would cross the buffer).
  for (std::size_t i = msg.find('\n'); i != std::string_view::npos; i = msg.find('\n', i + 1)) {
    if (i + 1 < msg.size() && msg[i + 1] == '\n') return {i + 1, i + 2};
    if (i + 2 < msg.size() && msg[i + 1] == '\r' && msg[i + 2] == '\n') return {i + 1, i + 3};
  }
  return {std::string_view::npos, std::string_view::npos};
}

// Content-Length of the header block [0, end) of `headers`; false when absent
// or not a number.
bool content_length(std::string_view headers, std::uint64_t& n) {
  std::size_t ls = 0;
  while (ls < headers.size()) {
    std::size_t nl = headers.find('\n', ls);
    if (nl == std::string_view::npos) nl = headers.size();
    std::string_view line = headers.substr(ls, nl - ls);
    if (istarts_with(line, "content-length:")) {
      std::string_view v = trim(line.substr(15));
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
      return parse_number(v, n);
    }
    ls = nl + 1;
  }
  return false;
}

}  // namespace

std::string_view mbox_variant_name(MboxVariant variant) {
  switch (variant) {
    case MboxVariant::mboxo: return "mboxo";
    case MboxVariant::mboxrd: return "mboxrd";
    case MboxVariant::mboxcl: return "mboxcl";
    case MboxVariant::mboxcl2: return "mboxcl2";
    case MboxVariant::detect: break;
  }
  return "detect";
}

MboxVariant mbox_variant_from_name(std::string_view name) {
  for (MboxVariant v : {MboxVariant::mboxo, MboxVariant::mboxrd, MboxVariant::mboxcl,
                        MboxVariant::mboxcl2, MboxVariant::detect}) {
    if (iequals(name, mbox_variant_name(v))) return v;
  }
  throw std::invalid_argument("unknown mbox variant '" + std::string(name) +
                              "': use mboxo, mboxrd, mboxcl or mboxcl2");
}

std::string unquote_from_lines(std::string_view data, MboxVariant variant) {
  if (!is_quoting(variant) || data.find(">From ") == std::string_view::npos)
    return std::string(data);
  std::string out;
  out.reserve(data.size());
  std::size_t copied = 0;
  for_each_from_line(data, [&](std::size_t k, std::size_t i) {
    if (k == i) return;                                     // a plain "From " line
    if (variant != MboxVariant::mboxrd && i - k != 1) return;  // mboxo: only ">From "
    out.append(data.substr(copied, k - copied));
    copied = k + 1;  // drop one '>'
  });
  out.append(data.substr(copied));
  return out;
}

MboxReader::MboxReader(MboxVariant variant, std::uint64_t max_message_bytes)
    : given_(variant), variant_(variant), max_message_(std::max<std::uint64_t>(max_message_bytes, 64)) {}

void MboxReader::feed(std::string_view bytes) {
  if (finished_) throw std::logic_error("MboxReader: feed() after finish()");
  if (head_ > 0 && head_ >= buf_.size() / 2) {
    buf_.erase(0, head_);
    base_ += head_;
    scan_ -= std::min(scan_, head_);
    head_ = 0;
  }
  buf_.append(bytes);
  frame(false);
}

void MboxReader::finish() {
  if (finished_) return;
  frame(true);
  finished_ = true;
  buf_.clear();
  base_ += head_;
  head_ = scan_ = 0;
}

std::vector<MboxMessage> MboxReader::take() { return std::exchange(ready_, {}); }

void MboxReader::frame(bool at_end) {
  while (frame_one(at_end)) {
  }
}

std::size_t MboxReader::find_from_line(std::size_t from) const {
  return std::string_view(buf_).find(kFromLine, from);
}

void MboxReader::learn_variant(std::string_view data) {
  if (given_ != MboxVariant::detect) return;
  if (content_length_family_) {
    if (variant_ == MboxVariant::mboxcl || variant_ == MboxVariant::mboxcl2) return;
    bool plain = false, quoted = false;
    for_each_from_line(data, [&](std::size_t k, std::size_t i) {
      if (k == i && i > 0) plain = true;
      if (i - k == 1) quoted = true;
    });
    // A body line "From " left as it is: nothing quotes (mboxcl2); ">From "
    // and no plain one: quoted as mboxcl. Neither: undecided, and no matter.
    if (plain) variant_ = MboxVariant::mboxcl2;
    else if (quoted) variant_ = MboxVariant::mboxcl;
    return;
  }
  if (variant_ == MboxVariant::detect) variant_ = MboxVariant::mboxo;
  if (variant_ == MboxVariant::mboxo) {
    // ">>From " is what mboxrd writes for a ">From " line; mboxo never does.
    // Searched for as such (rare), not through every "From " of the message.
    for (std::size_t p = data.find(">>From "); p != std::string_view::npos;
         p = data.find(">>From ", p + 1)) {
      std::size_t k = p;
      while (k > 0 && data[k - 1] == '>') --k;
      if (k == 0 || data[k - 1] == '\n') {
        variant_ = MboxVariant::mboxrd;
        break;
      }
    }
  }
}

void MboxReader::emit(std::size_t data_begin, std::size_t data_end, std::size_t next,
                      std::vector<MboxDefect> defects) {
  MboxMessage m;
  const std::size_t nl = buf_.find('\n', head_);
  std::size_t env_end = nl == std::string::npos || nl >= data_begin ? data_begin : nl;
  if (env_end > head_ + 5 && buf_[env_end - 1] == '\r') --env_end;
  if (env_end > head_ + 5) m.envelope.assign(buf_, head_ + 5, env_end - head_ - 5);
  std::string_view data(buf_.data() + data_begin, data_end - data_begin);
  learn_variant(data);
  MboxVariant unquote = given_;
  if (given_ == MboxVariant::detect) {
    // Undecided Content-Length input has no From lines to unquote; a plain
    // mbox is read as mboxrd, which reads every mboxo ">From " line the same.
    unquote = content_length_family_ ? variant_ : MboxVariant::mboxrd;
  }
  m.data = unquote_from_lines(data, unquote);
  m.offset = base_ + head_;
  m.size = data_end - head_;
  m.defects = std::move(defects);
  ready_.push_back(std::move(m));
  head_ = next;
  scan_ = next;
}

bool MboxReader::frame_one(bool at_end) {
  const std::size_t size = buf_.size();
  if (head_ >= size) return false;
  if (skipping_) {
    const std::size_t p = find_from_line(std::max(scan_, head_));
    if (p != std::string::npos) {
      skipping_ = false;
      head_ = scan_ = p + 1;
      return true;
    }
    head_ = at_end || size - head_ < 6 ? (at_end ? size : head_) : size - 5;
    scan_ = head_;
    return false;
  }
  if (size - head_ < 5 && !at_end) return false;
  if (size - head_ < 5 || std::memcmp(buf_.data() + head_, "From ", 5) != 0) {
    // Bytes before the first envelope line: empty lines are skipped quietly,
    // anything else is a defect (once per run of it).
    const std::size_t p = find_from_line(head_);
    const std::size_t stop = p != std::string::npos ? p + 1 : (at_end ? size : size - 5);
    if (stop <= head_) return false;
    const bool blank = std::all_of(buf_.begin() + static_cast<std::ptrdiff_t>(head_),
                                   buf_.begin() + static_cast<std::ptrdiff_t>(stop),
                                   [](char c) { return c == '\r' || c == '\n'; });
    if (!blank && garbage_end_ != base_ + head_) {
      defects_.push_back({"garbage", "bytes that are no message before an envelope line",
                          base_ + head_});
    }
    head_ = scan_ = stop;
    garbage_end_ = base_ + stop;
    return p != std::string::npos;
  }
  const std::size_t nl = buf_.find('\n', head_);
  if (nl == std::string::npos) {
    if (!at_end) {
      if (size - head_ > max_message_) {
        emit(size, size, size, {{"message_limit", "envelope line longer than max_message_bytes",
                                 base_ + head_}});
        skipping_ = true;
      }
      return false;
    }
    emit(size, size, size, {{"truncated", "the input ends inside an envelope line", base_ + head_}});
    return false;
  }
  const std::size_t hdr = nl + 1;
  std::vector<MboxDefect> defects;

  if (given_ != MboxVariant::mboxo && given_ != MboxVariant::mboxrd) {
    const std::string_view rest(buf_.data() + hdr, size - hdr);
    const auto [hb_end, body] = header_end(rest);
    if (hb_end == std::string_view::npos && !at_end && size - head_ <= max_message_) {
      return false;  // the header block is not all here yet
    }
    std::uint64_t n = 0;
    const bool has_length =
        hb_end != std::string_view::npos && content_length(rest.substr(0, hb_end), n);
    if (has_length) {
      const std::uint64_t end = static_cast<std::uint64_t>(hdr + body) + n;
      if (end + 7 > size && !at_end && end - head_ <= max_message_) return false;
      std::size_t next = std::string::npos;
      if (end <= size) {
        const std::string_view after(buf_.data() + end, size - end);
        if (after.empty()) next = size;
        else if (after.substr(0, 5) == "From ") next = end;
        else if (after.substr(0, 6) == "\nFrom ") next = end + 1;
        else if (after.substr(0, 7) == "\r\nFrom ") next = end + 2;
        else if (at_end && (after == "\n" || after == "\r\n")) next = size;
      }
      if (next != std::string::npos) {
        if (given_ == MboxVariant::detect) content_length_family_ = true;
        emit(hdr, end, next, std::move(defects));
        return true;
      }
      defects.push_back({"bad_content_length",
                         "Content-Length does not end the message at an envelope line; "
                         "framed by From lines instead",
                         base_ + head_});
    } else if (given_ != MboxVariant::detect && hb_end != std::string_view::npos) {
      defects.push_back({"missing_content_length", "no Content-Length field; framed by From lines",
                         base_ + head_});
    }
  }

  const std::size_t p = find_from_line(std::max(scan_, hdr - 1));
  if (p != std::string::npos) {
    std::size_t end = p + 1;
    if (p >= hdr && buf_[p - 1] == '\n') {
      end = p;  // the empty line "\n" before the envelope line separates
    } else if (p >= hdr + 1 && buf_[p - 1] == '\r' && (p - 1 == hdr || buf_[p - 2] == '\n')) {
      end = p - 1;  // ... or "\r\n"
    }
    emit(hdr, end, p + 1, std::move(defects));
    return true;
  }
  if (!at_end) {
    scan_ = std::max(hdr - 1, size >= 6 ? size - 6 : 0);
    if (size - head_ > max_message_) {
      defects.push_back({"message_limit", "message larger than max_message_bytes; the rest skipped",
                         base_ + head_});
      const std::size_t keep = size - 6;
      emit(hdr, std::max(hdr, keep), std::max(hdr, keep), std::move(defects));
      skipping_ = true;
    }
    return false;
  }
  std::size_t end = size;
  if (end >= hdr + 1 && buf_[end - 1] == '\n' && buf_[end - 2] == '\n') {
    end -= 1;  // the empty line after the last message
  } else if (end >= hdr + 2 && buf_[end - 1] == '\n' && buf_[end - 2] == '\r' &&
             buf_[end - 3] == '\n') {
    end -= 2;
  }
  emit(hdr, end, size, std::move(defects));
  return false;
}

void append_mbox_entry(std::string& out, std::string_view envelope, std::string_view message,
                       MboxVariant variant) {
  if (variant == MboxVariant::detect)
    throw std::invalid_argument("write an mbox as mboxo, mboxrd, mboxcl or mboxcl2");
  std::string env(envelope);
  if (message.substr(0, 5) == "From ") {  // its own envelope line (as Python's mailbox)
    std::size_t nl = message.find('\n');
    std::string_view line = message.substr(5, nl == std::string_view::npos ? message.size() - 5 : nl - 5);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    env.assign(line);
    message.remove_prefix(nl == std::string_view::npos ? message.size() : nl + 1);
  }
  if (env.empty()) throw std::invalid_argument("an mbox entry needs an envelope line");
  if (env.find_first_of("\r\n") != std::string::npos)
    throw std::invalid_argument("CR or LF in an mbox envelope line");

  std::string quoted;
  if (is_quoting(variant)) {
    quoted.reserve(message.size() + 16);
    std::size_t copied = 0;
    for_each_from_line(message, [&](std::size_t k, std::size_t i) {
      if (variant != MboxVariant::mboxrd && k != i) return;  // mboxo quotes "From " only
      quoted.append(message.substr(copied, k - copied));
      quoted.push_back('>');
      copied = k;
    });
    quoted.append(message.substr(copied));
  } else {
    quoted.assign(message);
  }
  if (!quoted.empty() && quoted.back() != '\n') quoted.push_back('\n');

  out.append("From ").append(env).push_back('\n');
  if (variant == MboxVariant::mboxcl || variant == MboxVariant::mboxcl2) {
    auto [hb_end, body] = header_end(quoted);
    std::string_view q(quoted);
    std::string_view headers = hb_end == std::string_view::npos ? q : q.substr(0, hb_end);
    std::string_view blank = hb_end == std::string_view::npos ? std::string_view("\n")
                                                               : q.substr(hb_end, body - hb_end);
    std::string_view rest = hb_end == std::string_view::npos ? std::string_view() : q.substr(body);
    // The header block without any Content-Length field (and its continuations).
    std::size_t ls = 0;
    bool dropping = false;
    while (ls < headers.size()) {
      std::size_t nl = headers.find('\n', ls);
      std::size_t le = nl == std::string_view::npos ? headers.size() : nl + 1;
      std::string_view line = headers.substr(ls, le - ls);
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
        if (!dropping) out.append(line);
      } else {
        dropping = istarts_with(line, "content-length:");
        if (!dropping) out.append(line);
      }
      ls = le;
    }
    const char* eol = blank == "\r\n" ? "\r\n" : "\n";
    out.append("Content-Length: ").append(std::to_string(rest.size())).append(eol);
    out.append(blank).append(rest);
  } else {
    out.append(quoted);
  }
  out.push_back('\n');
}

}  // namespace mailroom::mime
