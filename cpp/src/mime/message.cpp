// Accessors of the message model: parameters, header lookup, decoded bodies.
#include <cstring>
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

namespace {

enum class Coding { identity, base64, quoted_printable, unknown };

// What undoes a leaf's Content-Transfer-Encoding (RFC 2045 §6.1); an unknown
// encoding leaves the body as it is, flagged.
Coding coding_of(const Part& p) {
  if (p.is_multipart || p.is_message) return Coding::identity;
  const std::string& cte = p.transfer_encoding;
  if (cte == "base64") return Coding::base64;
  if (cte == "quoted-printable") return Coding::quoted_printable;
  if (cte == "7bit" || cte == "8bit" || cte == "binary") return Coding::identity;
  return Coding::unknown;
}

}  // namespace

std::size_t ParsedMessage::decoded_capacity(std::uint32_t index) const {
  if (index >= parts.size()) return 0;
  const Part& p = parts[index];
  const std::size_t n = p.body.size();
  return coding_of(p) == Coding::base64 ? base64_decoded_capacity(n) : n;
}

std::size_t ParsedMessage::decode_body_to(std::uint32_t index, char* out, bool* bad) const {
  if (bad) *bad = false;
  if (index >= parts.size()) return 0;
  const Part& p = parts[index];
  const std::string_view body = bytes(p.body);
  CodecIssue issue;
  std::size_t n = 0;
  switch (coding_of(p)) {
    case Coding::base64:
      n = base64_decode_to(body, out, &issue);
      break;
    case Coding::quoted_printable:
      n = qp_decode_to(body, out, &issue);
      break;
    case Coding::unknown:
      issue.bad = true;
      [[fallthrough]];
    case Coding::identity:
      if (!body.empty()) std::memcpy(out, body.data(), body.size());
      n = body.size();
      break;
  }
  if (bad) *bad = issue.bad;
  return n;
}

std::string_view ParsedMessage::decoded_view(std::uint32_t index, std::string& storage,
                                             bool* bad) const {
  if (bad) *bad = false;
  if (index >= parts.size()) return {};
  const Part& p = parts[index];
  const Coding c = coding_of(p);
  if (c == Coding::identity || c == Coding::unknown) {
    if (bad) *bad = c == Coding::unknown;
    return bytes(p.body);
  }
  storage.resize(decoded_capacity(index));
  storage.resize(decode_body_to(index, storage.data(), bad));
  return storage;
}

std::string ParsedMessage::decoded_body(std::uint32_t index, bool* bad) const {
  std::string storage;
  const std::string_view v = decoded_view(index, storage, bad);
  if (v.data() == storage.data()) return storage;
  return std::string(v);
}

std::string ParsedMessage::text_from(std::uint32_t index, std::string_view decoded,
                                     bool* bad) const {
  std::string out;
  std::string_view cs = index < parts.size() ? parts[index].charset() : "";
  bool b = false;
  if (!to_utf8(decoded, cs.empty() ? std::string_view("us-ascii") : cs, out, &b)) b = true;
  if (bad) *bad = b;
  return out;
}

bool ParsedMessage::text_is_utf8(std::uint32_t index) const {
  return index < parts.size() && reads_as_utf8(parts[index].charset());
}

std::string ParsedMessage::text(std::uint32_t index, bool* bad) const {
  bool b1 = false, b2 = false;
  std::string storage;
  std::string out = text_from(index, decoded_view(index, storage, &b1), &b2);
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
