// parse_message: one forward pass over the raw bytes with an explicit stack of
// open parts (no recursion), so nesting depth never touches the call stack.
//
// Boundaries are found by jumping between '-' characters with memchr: base64
// bodies contain none, so big attachments are skipped at memchr speed. A line
// starting with "--" is looked up in a hash map of the boundaries currently
// open, which keeps the work per line constant however deep the nesting.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "line_end_scan.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime {
namespace {

struct BoundaryHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

enum class FrameKind : unsigned char { leaf, multipart, message, status };
enum class MultipartState : unsigned char { preamble, child, epilogue };

struct Frame {
  std::uint32_t part = 0;
  FrameKind kind = FrameKind::leaf;
  MultipartState state = MultipartState::preamble;
  bool in_map = false;
  std::string boundary;
};

struct BoundaryMatch {
  std::size_t line_start = 0;  // where "--boundary" begins
  std::size_t after = 0;       // first byte after the boundary line
  int frame = -1;              // index into the stack, -1 when none
  bool close = false;
};


std::string lower_trim(std::string_view v) {
  std::size_t b = 0, e = v.size();
  while (b < e && (v[b] == ' ' || v[b] == '\t' || v[b] == '\r' || v[b] == '\n')) ++b;
  while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t' || v[e - 1] == '\r' ||
                   v[e - 1] == '\n'))
    --e;
  std::string out;
  out.reserve(e - b);
  for (std::size_t i = b; i < e; ++i) {
    char c = v[i];
    if (c == '(') break;  // a comment ends the token: "base64 (bad)"
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    out.push_back(c);
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

class Parser {
 public:
  Parser(ParsedMessage& m) : m_(m), d_(m.raw.data()), n_(m.raw.size()) {}

  void run() {
    scan_whole_input();
    std::size_t pos = open_part(0, -1, 0, "text/plain");
    for (;;) {
      BoundaryMatch bm = find_boundary(pos);
      if (bm.frame < 0) {
        close_above(-1, n_);
        break;
      }
      std::size_t le = line_end_before(bm.line_start);
      close_above(bm.frame, le);
      Frame& f = stack_[static_cast<std::size_t>(bm.frame)];
      Part& mp = m_.parts[f.part];
      if (f.state == MultipartState::preamble) {
        mp.preamble = {mp.body.begin, std::max<std::uint64_t>(le, mp.body.begin)};
      }
      if (bm.close) {
        f.state = MultipartState::epilogue;
        unmap(bm.frame);
        mp.epilogue = {bm.after, bm.after};
        pos = bm.after;
      } else if (m_.parts.size() >= m_.limits.max_parts) {
        if (!part_limit_reported_) {
          part_limit_reported_ = true;
          defect("part_limit", "more parts than max_parts; the rest is kept unsplit",
                 static_cast<std::int32_t>(f.part), bm.line_start);
        }
        f.state = MultipartState::epilogue;
        unmap(bm.frame);
        mp.epilogue = {bm.line_start, bm.line_start};
        pos = bm.line_start;
      } else {
        f.state = MultipartState::child;
        const char* def =
            mp.content_type == "multipart/digest" ? "message/rfc822" : "text/plain";
        std::uint32_t parent = f.part;
        std::uint32_t depth = mp.depth + 1;
        pos = open_part(bm.after, static_cast<std::int32_t>(parent), depth, def);
      }
    }
    check_top_level_headers();
  }

 private:
  ParsedMessage& m_;
  const char* d_;
  std::size_t n_;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, std::vector<std::uint32_t>, BoundaryHash,
                     std::equal_to<>>
      bmap_;
  std::size_t max_boundary_ = 0;
  bool part_limit_reported_ = false;

  void defect(const char* kind, std::string detail, std::int32_t part,
              std::uint64_t offset) {
    m_.defects.push_back(Defect{kind, std::move(detail), part, offset});
  }

  // NUL bytes, bare LF and bare CR, reported once each for the whole message.
  // Almost every message has none: one wide pass proves it, and only when it
  // finds something do the searches below say where.
  void scan_whole_input() {
    if (!line_end_scan::suspect(d_, n_)) return;
    if (const void* z = std::memchr(d_, 0, n_)) {
      defect("nul_byte", "NUL byte in message", -1,
             static_cast<const char*>(z) - d_);
    }
    std::size_t p = 0;
    while (p < n_) {
      const void* q = std::memchr(d_ + p, '\n', n_ - p);
      if (!q) break;
      std::size_t i = static_cast<const char*>(q) - d_;
      if (i == 0 || d_[i - 1] != '\r') {
        defect("bare_lf", "line ends in LF without CR", -1, i);
        break;
      }
      p = i + 1;
    }
    p = 0;
    while (p < n_) {
      const void* q = std::memchr(d_ + p, '\r', n_ - p);
      if (!q) break;
      std::size_t i = static_cast<const char*>(q) - d_;
      if (i + 1 >= n_ || d_[i + 1] != '\n') {
        defect("bare_cr", "CR not followed by LF", -1, i);
        break;
      }
      p = i + 2;
    }
  }

  void check_top_level_headers() {
    if (m_.parts.empty()) return;
    for (const char* name : {"From", "Date"}) {
      if (!m_.find_header(0, name)) {
        defect("missing_header", std::string("no ") + name + " header", 0, 0);
      }
    }
  }

  // Start of the line end that precedes line_start ("\r\n" or "\n").
  std::size_t line_end_before(std::size_t ls) const {
    std::size_t le = ls;
    if (le > 0 && d_[le - 1] == '\n') {
      --le;
      if (le > 0 && d_[le - 1] == '\r') --le;
    }
    return le;
  }

  // Is the line at `ls` (which starts with "--") a boundary of an open multipart?
  BoundaryMatch match_line(std::size_t ls) const {
    BoundaryMatch bm;
    bm.line_start = ls;
    std::size_t cap = std::min(n_, ls + 2 + max_boundary_ + 2 + 256);
    const void* q = std::memchr(d_ + ls, '\n', cap - ls);
    std::size_t e;
    if (q) {
      e = static_cast<const char*>(q) - d_;
      bm.after = e + 1;
    } else if (cap == n_) {
      e = n_;
      bm.after = n_;
    } else {
      return bm;  // a line too long to be a boundary
    }
    if (e > ls && d_[e - 1] == '\r') --e;
    while (e > ls + 2 && (d_[e - 1] == ' ' || d_[e - 1] == '\t')) --e;
    std::string_view c(d_ + ls + 2, e - ls - 2);
    if (c.size() >= 2 && c.substr(c.size() - 2) == "--") {
      auto it = bmap_.find(c.substr(0, c.size() - 2));
      if (it != bmap_.end()) {
        bm.frame = static_cast<int>(it->second.back());
        bm.close = true;
        return bm;
      }
    }
    auto it = bmap_.find(c);
    if (it != bmap_.end()) bm.frame = static_cast<int>(it->second.back());
    return bm;
  }

  // First boundary line at or after `pos` (which is at a line start).
  BoundaryMatch find_boundary(std::size_t pos) const {
    BoundaryMatch none;
    none.line_start = n_;
    if (bmap_.empty()) return none;
    std::size_t p = pos;
    while (p + 1 < n_) {
      const void* q = std::memchr(d_ + p, '-', n_ - p);
      if (!q) break;
      std::size_t i = static_cast<const char*>(q) - d_;
      if (i + 1 < n_ && d_[i + 1] == '-' && (i == pos || d_[i - 1] == '\n')) {
        BoundaryMatch bm = match_line(i);
        if (bm.frame >= 0) return bm;
      }
      p = i + 1;
    }
    return none;
  }

  void unmap(int fi) {
    Frame& f = stack_[static_cast<std::size_t>(fi)];
    if (!f.in_map) return;
    f.in_map = false;
    auto it = bmap_.find(std::string_view(f.boundary));
    if (it == bmap_.end()) return;
    auto& v = it->second;
    // Frames leave in stack order, so the entry is almost always the last one.
    if (!v.empty() && v.back() == static_cast<std::uint32_t>(fi)) {
      v.pop_back();
    } else {
      auto at = std::find(v.begin(), v.end(), static_cast<std::uint32_t>(fi));
      if (at != v.end()) v.erase(at);
    }
    if (v.empty()) bmap_.erase(it);
  }

  // Closes every open part above stack index `keep` at offset `e`.
  // A part never ends before its body begins (an empty body right before the
  // boundary), and a parent never ends before its last child.
  void close_above(int keep, std::size_t e) {
    std::uint64_t end = e;
    while (static_cast<int>(stack_.size()) > keep + 1) {
      int fi = static_cast<int>(stack_.size()) - 1;
      Frame& f = stack_.back();
      Part& p = m_.parts[f.part];
      end = std::max<std::uint64_t>(end, p.body.begin);
      p.body.end = end;
      p.whole.end = end;
      if (f.kind == FrameKind::multipart && f.state == MultipartState::preamble) {
        // Not one boundary line in the body: no parts to split it into. Keep
        // the body as one text part (Python's email keeps it as a string
        // payload, StartBoundaryNotFoundDefect) so a reader still sees it.
        defect("boundary_not_found",
               "multipart whose boundary never appears; its body kept as one text/plain part",
               static_cast<std::int32_t>(f.part), p.body.begin);
        p.is_multipart = false;
        p.preamble = {};
        p.epilogue = {};
        p.content_type = "text/plain";
      } else if (f.kind == FrameKind::multipart) {
        if (f.state == MultipartState::epilogue) {
          // The line end after a close delimiter that a parent's boundary
          // follows belongs to that boundary (RFC 2046 §5.1.1): the epilogue
          // is empty and ends with the body (fuzz finding).
          p.epilogue.begin = std::min<std::uint64_t>(p.epilogue.begin, end);
          p.epilogue.end = std::max<std::uint64_t>(end, p.epilogue.begin);
        } else {
          defect("unterminated_multipart", "multipart without its close boundary",
                 static_cast<std::int32_t>(f.part), e);
        }
      }
      const std::uint32_t closed = f.part;
      const bool status = f.kind == FrameKind::status;
      unmap(fi);
      stack_.pop_back();
      if (status) parse_status_groups(closed);
    }
  }

  // The body of a message/delivery-status part (RFC 3464 §2.1) is header
  // blocks separated by empty lines: the per-message fields, then one block
  // per recipient. Each becomes a child part with its fields and no body, as
  // Python's email gives it; mime/delivery_report.cpp reads the values.
  void parse_status_groups(std::uint32_t pi) {
    const Span body = m_.parts[pi].body;
    const std::size_t saved_n = n_;
    n_ = body.end;  // the groups end where the status part does
    std::size_t pos = body.begin;
    const std::uint32_t depth = m_.parts[pi].depth + 1;
    for (;;) {
      while (pos < n_ && (d_[pos] == '\r' || d_[pos] == '\n')) ++pos;  // empty lines
      if (pos >= n_) break;
      if (m_.parts.size() >= m_.limits.max_parts) {
        if (!part_limit_reported_) {
          part_limit_reported_ = true;
          defect("part_limit", "more parts than max_parts; the rest is kept unsplit",
                 static_cast<std::int32_t>(pi), pos);
        }
        break;
      }
      auto idx = static_cast<std::uint32_t>(m_.parts.size());
      m_.parts.emplace_back();
      m_.parts.back().parent = static_cast<std::int32_t>(pi);
      m_.parts.back().depth = depth;
      m_.parts[pi].children.push_back(idx);
      bool at_boundary = false;
      const std::size_t start = pos;
      pos = parse_headers(idx, pos, at_boundary, true);
      if (pos <= start) {  // a line that is no field and starts no group: skip it
        m_.parts.pop_back();
        m_.parts[pi].children.pop_back();
        for (Defect& d : m_.defects)
          if (d.part == static_cast<std::int32_t>(idx)) d.part = static_cast<std::int32_t>(pi);
        pos = line_after(start);
        continue;
      }
      Part& g = m_.parts[idx];
      g.whole = {start, g.body.begin};
    }
    n_ = saved_n;
  }

  static constexpr std::size_t kNoField = static_cast<std::size_t>(-1);

  // Start of the line after the one at `ls`.
  std::size_t line_after(std::size_t ls) const {
    const void* q = std::memchr(d_ + ls, '\n', n_ - ls);
    return q ? static_cast<std::size_t>(static_cast<const char*>(q) - d_) + 1 : n_;
  }

  // Where the colon of the header field line [ls, ce) is, or kNoField when the
  // line is no field: a name of printable US-ASCII (RFC 5322 §3.6.8), blanks
  // allowed before the colon (obsolete syntax, §4.5).
  std::size_t field_name_end(std::size_t ls, std::size_t ce) const {
    const void* colon = std::memchr(d_ + ls, ':', ce - ls);
    if (!colon) return kNoField;
    std::size_t name_end = static_cast<std::size_t>(static_cast<const char*>(colon) - d_);
    std::size_t ne = name_end;
    while (ne > ls && (d_[ne - 1] == ' ' || d_[ne - 1] == '\t')) --ne;
    if (ne == ls) return kNoField;
    for (std::size_t i = ls; i < ne; ++i) {
      unsigned char c = static_cast<unsigned char>(d_[i]);
      if (c < 33 || c > 126) return kNoField;
    }
    return name_end;
  }

  // After a line that is no field, does the header block go on at `pos`? Yes
  // when, past any continuation lines, the next line is a header field; no at
  // the empty line (then the line was the body's first, its separator missing,
  // as Python's email reads it), at the end of the input or at a boundary.
  bool header_block_goes_on(std::size_t pos) const {
    while (pos < n_ && (d_[pos] == ' ' || d_[pos] == '\t')) pos = line_after(pos);
    if (pos >= n_) return false;
    if (!bmap_.empty() && d_[pos] == '-' && pos + 1 < n_ && d_[pos + 1] == '-' &&
        match_line(pos).frame >= 0)
      return false;
    const void* q = std::memchr(d_ + pos, '\n', n_ - pos);
    std::size_t nl = q ? static_cast<std::size_t>(static_cast<const char*>(q) - d_) : n_;
    std::size_t ce = (nl > pos && d_[nl - 1] == '\r') ? nl - 1 : nl;
    return ce != pos && field_name_end(pos, ce) != kNoField;
  }

  // Header block of part `pi` starting at `pos`. Sets header_block, body.begin
  // and headers; returns where the boundary scan continues. `at_boundary` is
  // set when the block was cut short by a boundary line.
  std::size_t parse_headers(std::uint32_t pi, std::size_t pos, bool& at_boundary,
                            bool may_end_unterminated = false) {
    const Limits& lim = m_.limits;
    std::size_t begin = pos;
    std::vector<HeaderField>& hs = m_.parts[pi].headers;
    at_boundary = false;
    // A leading "From " line is the envelope line of an mbox message (RFC 4155
    // §2), also the first line of many exported .eml files: not a header field,
    // and not the end of the header block (Python's email calls it unixfrom).
    if (n_ - pos >= 5 && std::memcmp(d_ + pos, "From ", 5) == 0) {
      const void* q = std::memchr(d_ + pos, '\n', n_ - pos);
      std::size_t nl = q ? static_cast<std::size_t>(static_cast<const char*>(q) - d_) : n_;
      std::size_t ce = (nl > pos && d_[nl - 1] == '\r') ? nl - 1 : nl;
      m_.parts[pi].envelope_line = {pos, ce};
      pos = q ? nl + 1 : n_;
      begin = pos;
    }
    bool limit_hit = false;
    bool recording_cur = false;  // the last field seen was recorded
    auto finish = [&](std::size_t hb_end, std::size_t body_begin) {
      Part& p = m_.parts[pi];
      p.header_block = {begin, hb_end};
      p.body = {body_begin, body_begin};
      for (HeaderField& h : p.headers) {
        if (h.line.end > hb_end && hb_end >= h.value.end) h.line.end = hb_end;
      }
    };
    for (;;) {
      if (pos >= n_) {
        if (pos > begin && !may_end_unterminated) {
          defect("missing_separator", "header block not followed by an empty line",
                 static_cast<std::int32_t>(pi), n_);
        }
        finish(n_, n_);
        return n_;
      }
      std::size_t ls = pos;
      if (!bmap_.empty() && d_[ls] == '-' && ls + 1 < n_ && d_[ls + 1] == '-' &&
          match_line(ls).frame >= 0) {
        std::size_t le = std::max(line_end_before(ls), begin);
        if (ls > begin) {
          defect("missing_separator", "header block cut short by a boundary",
                 static_cast<std::int32_t>(pi), ls);
        }
        at_boundary = true;
        finish(le, le);
        return ls;
      }
      const void* q = std::memchr(d_ + ls, '\n', n_ - ls);
      std::size_t nl = q ? static_cast<std::size_t>(static_cast<const char*>(q) - d_) : n_;
      std::size_t next = q ? nl + 1 : n_;
      std::size_t ce = (nl > ls && d_[nl - 1] == '\r') ? nl - 1 : nl;
      if (ce == ls) {  // the empty line
        finish(ls, next);
        return next;
      }
      if (!limit_hit && next - begin > lim.max_header_bytes) {
        limit_hit = true;
        defect("header_limit", "header block larger than max_header_bytes",
               static_cast<std::int32_t>(pi), ls);
      }
      if (d_[ls] == ' ' || d_[ls] == '\t') {
        if (recording_cur && !limit_hit) {
          hs.back().value.end = ce;
          hs.back().line.end = next;
        } else if (hs.empty() && !recording_cur && ls == begin) {
          defect("invalid_header", "first header line is a continuation line",
                 static_cast<std::int32_t>(pi), ls);
        }
        pos = next;
        continue;
      }
      std::size_t name_end = field_name_end(ls, ce);
      if (name_end == kNoField) {
        if (header_block_goes_on(next)) {
          // A line that is no header field, with a field after it: a broken
          // line inside the header block. Skip it (and its
          // continuation lines) and read on, so no later field is lost.
          defect("invalid_header", "line in header block is not a header field; skipped",
                 static_cast<std::int32_t>(pi), ls);
          recording_cur = false;
          pos = next;
          while (pos < n_ && (d_[pos] == ' ' || d_[pos] == '\t')) pos = line_after(pos);
          continue;
        }
        // Otherwise the body starts here, without its empty line (as in most
        // readers: a message whose text follows the fields directly).
        defect("invalid_header", "line in header block is not a header field; the body starts here",
               static_cast<std::int32_t>(pi), ls);
        finish(ls, ls);
        return ls;
      }
      std::size_t ne = name_end;
      while (ne > ls && (d_[ne - 1] == ' ' || d_[ne - 1] == '\t')) --ne;
      recording_cur = false;
      if (!limit_hit && hs.size() >= lim.max_headers) {
        limit_hit = true;
        defect("header_limit", "more header fields than max_headers",
               static_cast<std::int32_t>(pi), ls);
      }
      if (!limit_hit) {
        std::size_t vb = name_end + 1;
        while (vb < ce && (d_[vb] == ' ' || d_[vb] == '\t')) ++vb;
        HeaderField h;
        h.name = {ls, ne};
        h.value = {vb, ce};
        h.line = {ls, next};
        hs.push_back(h);
        recording_cur = true;
      }
      pos = next;
    }
  }

  // Creates the part that starts at `pos` (and, for message/rfc822, the
  // embedded message inside it, iteratively). Returns where scanning goes on.
  std::size_t open_part(std::size_t pos, std::int32_t parent, std::uint32_t depth,
                        const char* default_type) {
    for (;;) {
      auto idx = static_cast<std::uint32_t>(m_.parts.size());
      m_.parts.emplace_back();
      {
        Part& p = m_.parts.back();
        p.parent = parent;
        p.depth = depth;
        p.whole = {pos, pos};
      }
      if (parent >= 0) m_.parts[static_cast<std::size_t>(parent)].children.push_back(idx);
      bool at_boundary = false;
      std::size_t scan = parse_headers(idx, pos, at_boundary);
      Part& p = m_.parts[idx];
      check_eight_bit(idx);
      apply_content_headers(idx, default_type);
      stack_.push_back(Frame{idx, FrameKind::leaf, MultipartState::preamble, false, {}});
      auto pi = static_cast<std::int32_t>(idx);
      if (p.content_type.compare(0, 10, "multipart/") == 0) {
        std::string_view b = p.param("boundary");
        if (b.empty()) {
          defect("missing_boundary", "multipart without a boundary parameter", pi,
                 p.header_block.begin);
        } else if (depth >= m_.limits.max_depth) {
          defect("depth_limit", "nesting deeper than max_depth; kept as one leaf", pi,
                 p.body.begin);
        } else if (!at_boundary) {
          Frame& f = stack_.back();
          f.kind = FrameKind::multipart;
          f.boundary = std::string(b);
          f.in_map = true;
          bmap_[f.boundary].push_back(static_cast<std::uint32_t>(stack_.size() - 1));
          max_boundary_ = std::max(max_boundary_, f.boundary.size());
          p.is_multipart = true;
          p.preamble = {p.body.begin, p.body.begin};
          p.epilogue = {p.body.begin, p.body.begin};
        }
        return scan;
      }
      if ((p.content_type == "message/delivery-status" ||
           p.content_type == "message/global-delivery-status") &&
          p.transfer_encoding != "base64" && p.transfer_encoding != "quoted-printable" &&
          !at_boundary && depth < m_.limits.max_depth) {
        stack_.back().kind = FrameKind::status;
        return scan;
      }
      bool message = p.content_type == "message/rfc822" || p.content_type == "message/global";
      if (message && p.transfer_encoding != "base64" &&
          p.transfer_encoding != "quoted-printable" && !at_boundary) {
        if (depth >= m_.limits.max_depth) {
          defect("depth_limit", "nesting deeper than max_depth; kept as one leaf", pi,
                 p.body.begin);
          return scan;
        }
        if (m_.parts.size() >= m_.limits.max_parts) {
          if (!part_limit_reported_) {
            part_limit_reported_ = true;
            defect("part_limit", "more parts than max_parts; the rest is kept unsplit",
                   pi, p.body.begin);
          }
          return scan;
        }
        p.is_message = true;
        stack_.back().kind = FrameKind::message;
        pos = p.body.begin;
        parent = pi;
        depth += 1;
        default_type = "text/plain";
        continue;
      }
      return scan;
    }
  }

  void check_eight_bit(std::uint32_t idx) {
    const Part& p = m_.parts[idx];
    for (std::uint64_t i = p.header_block.begin; i < p.header_block.end; ++i) {
      if (static_cast<unsigned char>(d_[i]) >= 0x80) {
        defect("eight_bit_header", "8-bit byte in header block",
               static_cast<std::int32_t>(idx), i);
        return;
      }
    }
  }

  void apply_content_headers(std::uint32_t idx, const char* default_type) {
    Part& p = m_.parts[idx];
    p.content_type = default_type;
    const HeaderField* ct = nullptr;
    const HeaderField* cd = nullptr;
    const HeaderField* cte = nullptr;
    for (const HeaderField& h : p.headers) {
      std::string_view name = m_.bytes(h.name);
      if (!ct && iequals(name, "content-type")) ct = &h;
      else if (!cd && iequals(name, "content-disposition")) cd = &h;
      else if (!cte && iequals(name, "content-transfer-encoding")) cte = &h;
    }
    if (ct) {
      ContentField f = parse_content_field(m_.bytes(ct->value));
      std::size_t slash = f.value.find('/');
      if (f.value.empty() || slash == std::string::npos || slash == 0 ||
          slash + 1 == f.value.size()) {
        defect("invalid_content_type", "unusable Content-Type; text/plain assumed",
               static_cast<std::int32_t>(idx), ct->value.begin);
        p.content_type = "text/plain";
      } else {
        p.content_type = std::move(f.value);
      }
      p.params = std::move(f.params);
      // Charset labels are case-insensitive; keep them lower-cased like the
      // media type so charset() compares plainly.
      for (auto& [name, value] : p.params) {
        if (name != "charset") continue;
        for (char& c : value) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        }
      }
    }
    if (cd) {
      ContentField f = parse_content_field(m_.bytes(cd->value));
      p.disposition = std::move(f.value);
      p.disposition_params = std::move(f.params);
    }
    if (cte) {
      p.transfer_encoding = lower_trim(m_.bytes(cte->value));
      if (p.transfer_encoding.empty()) p.transfer_encoding = "7bit";
    }
  }
};

}  // namespace

std::shared_ptr<ParsedMessage> parse_message(std::string data, const Limits& limits) {
  auto m = std::make_shared<ParsedMessage>();
  m->raw = std::move(data);
  m->limits = limits;
  if (m->limits.max_parts == 0) m->limits.max_parts = 1;
  Parser(*m).run();
  return m;
}

}  // namespace mailroom::mime
