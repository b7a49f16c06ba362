// Accessors of the message model: parameters, header lookup, decoded bodies.
#include <string>
#include <string_view>

#include "mailroom/text.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/message.hpp"

namespace mailroom::mime {
namespace {


std::string_view find_param(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (iequals(k, name)) return v;
  }
  return {};
}

}  // namespace

std::string_view Part::param(std::string_view name) const {
  return find_param(params, name);
}

std::string_view Part::filename() const {
  std::string_view f = find_param(disposition_params, "filename");
  if (!f.empty()) return f;
  return find_param(params, "name");
}

const HeaderField* ParsedMessage::find_header(std::uint32_t index,
                                              std::string_view name) const {
  if (index >= parts.size()) return nullptr;
  for (const HeaderField& h : parts[index].headers) {
    if (iequals(bytes(h.name), name)) return &h;
  }
  return nullptr;
}

std::string ParsedMessage::decoded_body(std::uint32_t index, bool* bad) const {
  if (bad) *bad = false;
  if (index >= parts.size()) return {};
  const Part& p = parts[index];
  std::string_view body = bytes(p.body);
  if (p.is_multipart || p.is_message) return std::string(body);
  const std::string& cte = p.transfer_encoding;
  if (cte == "base64") return base64_decode(body, bad);
  if (cte == "quoted-printable") return qp_decode(body, bad);
  if (bad && !(cte == "7bit" || cte == "8bit" || cte == "binary")) *bad = true;
  return std::string(body);
}

std::string ParsedMessage::text(std::uint32_t index, bool* bad) const {
  bool b1 = false, b2 = false;
  std::string data = decoded_body(index, &b1);
  std::string out;
  std::string_view cs = index < parts.size() ? parts[index].charset() : "";
  if (!to_utf8(data, cs.empty() ? std::string_view("us-ascii") : cs, out, &b2)) {
    b2 = true;
  }
  if (bad) *bad = b1 || b2;
  return out;
}

bool ParsedMessage::is_attachment(std::uint32_t index) const {
  if (index >= parts.size()) return false;
  const Part& p = parts[index];
  if (p.is_multipart) return false;
  if (p.disposition == "attachment") return true;
  if (p.disposition == "inline") return false;
  bool text = p.content_type.compare(0, 5, "text/") == 0;
  if (!text) return true;
  return !p.filename().empty();
}

}  // namespace mailroom::mime
