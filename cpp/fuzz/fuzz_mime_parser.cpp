// libFuzzer target for the MIME parser: parse with small limits, then touch
// every part the way a mail reader would, and check the span invariants; read
// it as a delivery report too, and decode it as one quoted-printable body.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/delivery_report.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/message.hpp"

using namespace mailroom::mime;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(Span inner, Span outer) {
  return inner.begin <= inner.end && outer.begin <= inner.begin && inner.end <= outer.end;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Limits lim;
  lim.max_depth = 8;
  lim.max_parts = 64;
  lim.max_header_bytes = 4096;
  lim.max_headers = 32;
  auto msg = parse_message(std::string(reinterpret_cast<const char*>(data), size), lim);
  check(msg->raw.size() == size);
  check(!msg->parts.empty() && msg->parts.size() <= lim.max_parts);
  Span all{0, size};
  check(msg->parts[0].whole.begin == 0 && msg->parts[0].whole.end == size);
  std::size_t sink = 0;
  for (std::uint32_t i = 0; i < msg->parts.size(); ++i) {
    const Part& p = msg->parts[i];
    check(inside(p.whole, all) && inside(p.header_block, p.whole) && inside(p.body, p.whole));
    check(p.header_block.end <= p.body.begin);
    if (p.envelope_line.size() > 0) {  // a leading "From " line, before the fields
      check(inside(p.envelope_line, p.whole) && p.envelope_line.end <= p.header_block.begin);
      check(msg->bytes(p.envelope_line).substr(0, 5) == "From ");
    }
    check(p.depth <= lim.max_depth);
    if (p.parent >= 0) {
      const Part& parent = msg->parts[static_cast<std::uint32_t>(p.parent)];
      check(static_cast<std::uint32_t>(p.parent) < i && inside(p.whole, parent.body));
      check(p.depth == parent.depth + 1);
    }
    if (p.is_multipart) {
      check(inside(p.preamble, p.body) && inside(p.epilogue, p.body));
    }
    for (const HeaderField& h : p.headers) {
      check(inside(h.name, p.header_block) && inside(h.value, p.header_block));
      std::string_view v = msg->bytes(h.value);
      sink += parse_address_list(v).size();
      if (auto d = parse_date(v)) sink += static_cast<std::size_t>(d->day);
      sink += parse_content_field(v).params.size();
      // A value decodes as its unfolded self does (the fast paths of
      // decode_header against its careful one).
      bool bad = false, bad_unfolded = false;
      std::string unfolded;
      for (char c : v)
        if (c != '\r' && c != '\n') unfolded.push_back(c);
      check(decode_header(v, &bad) == decode_header(unfolded, &bad_unfolded));
      check(bad == bad_unfolded);
    }
    sink += msg->find_header(i, "content-type") != nullptr;
    bool bad = false;
    const std::string body = msg->decoded_body(i, &bad);
    sink += body.size();
    // The same decode into a buffer of exactly the capacity promised (ASan
    // sees a write past it) gives the same bytes and flag; the text is the
    // charset conversion of that view, and UTF-8 text stays as it was.
    const std::size_t cap = msg->decoded_capacity(i);
    check(body.size() <= cap);
    auto buf = std::make_unique<char[]>(cap);
    bool bad_to = false;
    const std::size_t n = msg->decode_body_to(i, buf.get(), &bad_to);
    check(n == body.size() && bad_to == bad && std::string_view(buf.get(), n) == body);
    std::string storage;
    check(msg->decoded_view(i, storage) == body);
    bool bad_text = false;
    const std::string text = msg->text(i, &bad_text);
    sink += text.size();
    if (msg->text_is_utf8(i)) {
      std::string clean;
      check(sanitize_utf8(body, clean) == (text == body));
      check(clean == text);
    }
    sink += msg->is_attachment(i);
    sink += p.filename().size() + p.charset().size();
  }
  // The whole input as a quoted-printable body, into a buffer of exactly its
  // size (ASan sees a store past it): the decoder's sixteen-byte run copy.
  {
    auto qp = std::make_unique<char[]>(size);
    const std::size_t n = qp_decode_to(std::string_view(reinterpret_cast<const char*>(data), size),
                                       qp.get(), nullptr);
    check(n <= size);
    sink += n;
  }
  // A delivery report (RFC 3464, RFC 8098), read as a mail reader would.
  const DeliveryReportData report = read_delivery_report(*msg);
  check(report.kind.empty() == (report.status_part < 0));
  check(report.original_part < static_cast<std::int32_t>(msg->parts.size()));
  check(report.recipients.size() <= kMaxReportLines);
  for (const auto& group : report.recipients)
    for (const auto& [name, value] : group) {
      std::string_view type;
      sink += without_type(value, &type).size() + type.size() + first_word(value).size();
      check(name.find(':') == std::string::npos);
    }
  sink += parse_disposition(report_field(report.per_message, "disposition")).modifiers.size();
  check(sink != static_cast<std::size_t>(-1));
  return 0;
}
