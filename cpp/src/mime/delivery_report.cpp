// Reading DSNs (RFC 3464) and MDNs (RFC 8098).
#include "mailroom/mime/delivery_report.hpp"

#include "mailroom/text.hpp"

namespace mailroom::mime {

namespace {

bool is_status_type(std::string_view t) {
  return t == "message/delivery-status" || t == "message/global-delivery-status";
}
bool is_mdn_type(std::string_view t) {
  return t == "message/disposition-notification" || t == "message/global-disposition-notification";
}

// The groups of a report body: lines with their continuations joined, groups
// split at empty lines; a line that is no field is skipped, as a lenient
// reader does.
std::vector<ReportFields> field_groups(std::string_view body) {
  std::vector<ReportFields> groups;
  ReportFields current;
  std::size_t lines = 0;
  while (!body.empty() && lines++ < kMaxReportLines) {
    const std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) {
      if (!current.empty()) groups.push_back(std::move(current));
      current.clear();
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !current.empty()) {
      std::string& value = current.back().second;
      if (!value.empty()) value.push_back(' ');
      value.append(trim(line));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    current.emplace_back(lowered(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  if (!current.empty()) groups.push_back(std::move(current));
  return groups;
}

}  // namespace

DeliveryReportData read_delivery_report(const ParsedMessage& m) {
  DeliveryReportData out;
  for (std::uint32_t i = 0; i < m.parts.size(); ++i) {
    const std::string& t = m.parts[i].content_type;
    if (!is_status_type(t) && !is_mdn_type(t)) continue;
    out.kind = is_status_type(t) ? "delivery-status" : "disposition-notification";
    out.status_part = static_cast<std::int32_t>(i);
    break;
  }
  if (out.status_part < 0) return out;
  const auto index = static_cast<std::uint32_t>(out.status_part);
  std::vector<ReportFields> groups = field_groups(m.decoded_body(index));
  if (!groups.empty()) {
    out.per_message = std::move(groups.front());
    for (std::size_t g = 1; g < groups.size(); ++g) out.recipients.push_back(std::move(groups[g]));
  }
  // RFC 6522 §3: the returned message (or its headers) follows the status part.
  const std::int32_t parent = m.parts[index].parent;
  if (parent >= 0) {
    const auto& siblings = m.parts[static_cast<std::uint32_t>(parent)].children;
    bool after = false;
    for (std::uint32_t s : siblings) {
      if (s == index) {
        after = true;
        continue;
      }
      if (!after) continue;
      const std::string& t = m.parts[s].content_type;
      const bool headers = t == "text/rfc822-headers" || t == "message/global-headers";
      if (headers || t == "message/rfc822" || t == "message/global") {
        out.original_part = static_cast<std::int32_t>(s);
        out.original_headers_only = headers;
        break;
      }
    }
  }
  return out;
}

std::string_view report_field(const ReportFields& fields, std::string_view name) {
  for (const auto& [n, v] : fields)
    if (n == name) return v;
  return {};
}

std::string_view without_type(std::string_view value, std::string_view* type) {
  const std::size_t semi = value.find(';');
  if (semi == std::string_view::npos) {
    if (type) *type = {};
    return trim(value);
  }
  if (type) *type = trim(value.substr(0, semi));
  return trim(value.substr(semi + 1));
}

std::string_view first_word(std::string_view value) {
  value = trim(value.substr(0, value.find('(')));
  return value.substr(0, value.find_first_of(" \t"));
}

Disposition parse_disposition(std::string_view value) {
  Disposition d;
  const std::size_t semi = value.find(';');
  if (semi == std::string_view::npos) return d;
  d.ok = true;
  const std::string_view modes = value.substr(0, semi);
  const std::size_t slash = modes.find('/');
  d.action_mode = lowered(trim(modes.substr(0, slash)));
  if (slash != std::string_view::npos) d.sending_mode = std::string(trim(modes.substr(slash + 1)));
  std::string_view rest = value.substr(semi + 1);
  const std::size_t mod = rest.find('/');
  d.type = lowered(trim(rest.substr(0, mod)));
  if (mod != std::string_view::npos) {
    std::string_view mods = rest.substr(mod + 1);
    while (!mods.empty()) {
      const std::size_t comma = mods.find(',');
      const std::string_view one = trim(mods.substr(0, comma));
      if (!one.empty()) d.modifiers.push_back(lowered(one));
      mods.remove_prefix(comma == std::string_view::npos ? mods.size() : comma + 1);
    }
  }
  return d;
}

}  // namespace mailroom::mime
