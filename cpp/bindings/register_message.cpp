// mailroom._core.mime: ParsedMessage and the structured header field parsers.
// Arguments are converted first, then the GIL is released for the C++ work;
// message data goes back as bytes, text as str.
#include <pybind11/stl.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/delivery_report.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/html.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/mime/message_table.hpp"
#include "header_names.hpp"
#include "part_contents.hpp"
#include "register.hpp"
#include "text_values.hpp"

namespace py = pybind11;

namespace mailroom::bindings {
namespace {

using mime::ParsedMessage;
using mime::Span;

// bytes, bytearray, memoryview (anything with the buffer protocol), never str.
std::string bytes_like(const py::object& o, const char* what) {
  if (py::isinstance<py::str>(o)) {
    throw py::type_error(std::string(what) + " must be bytes-like, not str");
  }
  if (py::isinstance<py::bytes>(o)) return std::string(o.cast<std::string_view>());
  if (!PyObject_CheckBuffer(o.ptr())) {
    throw py::type_error(std::string(what) + " must be a bytes-like object");
  }
  py::buffer_info info = py::reinterpret_borrow<py::buffer>(o).request();
  return std::string(static_cast<const char*>(info.ptr),
                     static_cast<std::size_t>(info.size * info.itemsize));
}

// Header values for the field parsers: str (as UTF-8) or bytes-like.
std::string str_or_bytes(const py::object& o) {
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  return bytes_like(o, "value");
}

py::bytes span_bytes(const ParsedMessage& m, Span s) {
  std::string_view v = m.bytes(s);
  return py::bytes(v.data(), v.size());
}


py::list params_list(const mime::Params& ps) {
  py::list out;
  for (const auto& [k, v] : ps) out.append(py::make_tuple(utf8_str(k), utf8_str(v)));
  return out;
}

py::tuple span_tuple(Span s) { return py::make_tuple(s.begin, s.end); }

// A read-only str property of a parsed value, decoded as UTF-8 with U+FFFD for
// what is not (parsed mail is not always valid UTF-8).
template <class T>
auto utf8_field(std::string T::*member) {
  return [member](const T& x) { return utf8_str(x.*member); };
}

py::list fields_list(const mime::ReportFields& f) {
  py::list out;
  for (const auto& [name, value] : f) out.append(py::make_tuple(utf8_str(name), utf8_str(value)));
  return out;
}

void register_values(py::module_& m) {
  py::class_<mime::Address>(m, "Address", "A mailbox of an address list (RFC 5322 §3.4)")
      .def_property_readonly("display_name", utf8_field(&mime::Address::display_name),
                             "Decoded (RFC 2047); \"\" when none")
      .def_property_readonly("address", utf8_field(&mime::Address::address), "local@domain as written")
      .def_property_readonly("group", utf8_field(&mime::Address::group),
                             "The enclosing group's name; \"\" when none");
  py::class_<mime::DateTime>(m, "DateTime", "An RFC 5322 date-time (§3.3)")
      .def_readonly("year", &mime::DateTime::year)
      .def_readonly("month", &mime::DateTime::month)
      .def_readonly("day", &mime::DateTime::day)
      .def_readonly("hour", &mime::DateTime::hour)
      .def_readonly("minute", &mime::DateTime::minute)
      .def_readonly("second", &mime::DateTime::second)
      .def_readonly("offset_minutes", &mime::DateTime::offset_minutes, "East of UTC")
      .def_readonly("offset_unknown", &mime::DateTime::offset_unknown,
                    "\"-0000\" or an unknown zone name");
  py::class_<mime::ContentField>(m, "ContentField", "A Content-Type or Content-Disposition value")
      .def_property_readonly("value", utf8_field(&mime::ContentField::value),
                             "Lower-cased type/subtype or disposition type")
      .def_property_readonly(
          "params", [](const mime::ContentField& f) { return params_list(f.params); },
          "(name, value) pairs: names lower-cased, values unquoted and decoded (RFC 2231)")
      .def_readonly("malformed", &mime::ContentField::malformed);
  py::class_<mime::Defect>(m, "Defect", "Something the parser found malformed")
      .def_readonly("kind", &mime::Defect::kind, "A stable identifier (\"unterminated_multipart\")")
      .def_property_readonly("detail", utf8_field(&mime::Defect::detail))
      .def_readonly("part", &mime::Defect::part, "The part's index; -1 for the message")
      .def_readonly("offset", &mime::Defect::offset, "A byte offset into the raw message");
  using mime::DeliveryReportData;
  py::class_<DeliveryReportData>(m, "DeliveryReport", "A DSN's or MDN's parts and fields")
      .def_readonly("kind", &DeliveryReportData::kind,
                    "\"delivery-status\", \"disposition-notification\"; \"\" when none")
      .def_readonly("status_part", &DeliveryReportData::status_part, "The machine-readable part")
      .def_readonly("original_part", &DeliveryReportData::original_part,
                    "The returned message or its headers; -1 when none")
      .def_readonly("original_headers_only", &DeliveryReportData::original_headers_only,
                    "text/rfc822-headers rather than the whole message")
      .def_property_readonly(
          "per_message", [](const DeliveryReportData& r) { return fields_list(r.per_message); },
          "(name, value) of the first field group (an MDN's only one)")
      .def_property_readonly(
          "recipients",
          [](const DeliveryReportData& r) {
            py::list out;
            for (const auto& group : r.recipients) out.append(fields_list(group));
            return out;
          },
          "A DSN's per-recipient field groups");
  py::class_<mime::Disposition>(m, "Disposition", "An MDN's Disposition field (RFC 8098 §3.2.6)")
      .def_property_readonly("action_mode", utf8_field(&mime::Disposition::action_mode))
      .def_property_readonly("sending_mode", utf8_field(&mime::Disposition::sending_mode))
      .def_property_readonly("type", utf8_field(&mime::Disposition::type))
      .def_readonly("modifiers", &mime::Disposition::modifiers);
}

}  // namespace

void register_message(py::module_& m) {
  py::module_ mime_ = m.def_submodule("mime");
  register_values(mime_);
  py::class_<ParsedMessage, std::shared_ptr<ParsedMessage>> cls(
      mime_, "ParsedMessage",
      "A parsed message: the original bytes and its MIME tree as spans into them. "
      "Parts are numbered depth-first; part 0 is the message itself.");
  cls.def_static(
         "parse",
         [](const py::object& data, std::uint32_t max_depth, std::uint32_t max_parts,
            std::uint64_t max_header_bytes, std::uint32_t max_headers) {
           std::string raw = bytes_like(data, "data");
           const mime::Limits lim = parse_limits(max_depth, max_parts, max_header_bytes, max_headers);
           py::gil_scoped_release nogil;
           return mime::parse_message(std::move(raw), lim);
         },
         py::arg("data"), py::arg("max_depth") = 100, py::arg("max_parts") = 10000,
         py::arg("max_header_bytes") = 1048576, py::arg("max_headers") = 10000,
         "Parses raw message bytes; malformed input gives defects, never an error.")
      .def_property_readonly(
          "raw", [](const ParsedMessage& p) { return py::bytes(p.raw); },
          "The original bytes")
      .def_property_readonly("size", [](const ParsedMessage& p) { return p.raw.size(); })
      .def_property_readonly("part_count",
                             [](const ParsedMessage& p) { return p.parts.size(); })
      .def("defects",
           [](const ParsedMessage& p) { return p.defects; })
      .def("headers",
           [](const ParsedMessage& p, std::int64_t i) {
             auto k = check_index(p, i);
             py::list out;
             for (const auto& h : p.parts[k].headers) {
               out.append(py::make_tuple(header_name_str(p.bytes(h.name)), span_bytes(p, h.value)));
             }
             return out;
           },
           py::arg("i"))
      .def("header",
           [](const ParsedMessage& p, std::int64_t i, const std::string& name) -> py::object {
             auto k = check_index(p, i);
             const mime::HeaderField* h = p.find_header(k, name);
             if (!h) return py::none();
             return span_bytes(p, h->value);
           },
           py::arg("i"), py::arg("name"))
      .def("header_all",
           [](const ParsedMessage& p, std::int64_t i, const std::string& name) {
             auto k = check_index(p, i);
             py::list out;
             for (const auto& h : p.parts[k].headers) {
               std::string_view n = p.bytes(h.name);
               if (n.size() != name.size()) continue;
               bool same = true;
               for (std::size_t j = 0; j < n.size() && same; ++j) {
                 same = std::tolower(static_cast<unsigned char>(n[j])) ==
                        std::tolower(static_cast<unsigned char>(name[j]));
               }
               if (same) out.append(span_bytes(p, h.value));
             }
             return out;
           },
           py::arg("i"), py::arg("name"))
      .def("content_type",
           [](const ParsedMessage& p, std::int64_t i) {
             return utf8_str(p.parts[check_index(p, i)].content_type);
           },
           py::arg("i"))
      .def("params",
           [](const ParsedMessage& p, std::int64_t i) {
             return params_list(p.parts[check_index(p, i)].params);
           },
           py::arg("i"))
      .def("disposition",
           [](const ParsedMessage& p, std::int64_t i) {
             return utf8_str(p.parts[check_index(p, i)].disposition);
           },
           py::arg("i"))
      .def("disposition_params",
           [](const ParsedMessage& p, std::int64_t i) {
             return params_list(p.parts[check_index(p, i)].disposition_params);
           },
           py::arg("i"))
      .def("transfer_encoding",
           [](const ParsedMessage& p, std::int64_t i) {
             return utf8_str(p.parts[check_index(p, i)].transfer_encoding);
           },
           py::arg("i"))
      .def("charset",
           [](const ParsedMessage& p, std::int64_t i) {
             return utf8_str(p.parts[check_index(p, i)].charset());
           },
           py::arg("i"))
      .def("filename",
           [](const ParsedMessage& p, std::int64_t i) -> py::object {
             std::string_view f = p.parts[check_index(p, i)].filename();
             if (f.empty()) return py::none();
             return utf8_str(f);
           },
           py::arg("i"))
      .def("parent",
           [](const ParsedMessage& p, std::int64_t i) {
             return p.parts[check_index(p, i)].parent;
           },
           py::arg("i"))
      .def("depth",
           [](const ParsedMessage& p, std::int64_t i) {
             return p.parts[check_index(p, i)].depth;
           },
           py::arg("i"))
      .def("children",
           [](const ParsedMessage& p, std::int64_t i) {
             return p.parts[check_index(p, i)].children;
           },
           py::arg("i"))
      .def("is_multipart",
           [](const ParsedMessage& p, std::int64_t i) {
             return p.parts[check_index(p, i)].is_multipart;
           },
           py::arg("i"))
      .def("is_message",
           [](const ParsedMessage& p, std::int64_t i) {
             return p.parts[check_index(p, i)].is_message;
           },
           py::arg("i"))
      .def("is_attachment",
           [](const ParsedMessage& p, std::int64_t i) {
             return p.is_attachment(check_index(p, i));
           },
           py::arg("i"))
      .def("part_bytes",
           [](const ParsedMessage& p, std::int64_t i) {
             return span_bytes(p, p.parts[check_index(p, i)].whole);
           },
           py::arg("i"))
      .def("header_bytes",
           [](const ParsedMessage& p, std::int64_t i) {
             return span_bytes(p, p.parts[check_index(p, i)].header_block);
           },
           py::arg("i"))
      .def("body_raw",
           [](const ParsedMessage& p, std::int64_t i) {
             return span_bytes(p, p.parts[check_index(p, i)].body);
           },
           py::arg("i"))
      .def("preamble",
           [](const ParsedMessage& p, std::int64_t i) {
             return span_bytes(p, p.parts[check_index(p, i)].preamble);
           },
           py::arg("i"))
      .def("epilogue",
           [](const ParsedMessage& p, std::int64_t i) {
             return span_bytes(p, p.parts[check_index(p, i)].epilogue);
           },
           py::arg("i"))
      .def("spans",
           [](const ParsedMessage& p, std::int64_t i) {
             const auto& part = p.parts[check_index(p, i)];
             return py::make_tuple(span_tuple(part.whole), span_tuple(part.header_block),
                                   span_tuple(part.body));
           },
           py::arg("i"))
      .def("decoded", &decoded_bytes, py::arg("i"),
           "The body with its Content-Transfer-Encoding undone, and a bad flag")
      .def("text", &decoded_text, py::arg("i"),
           "The body as text by its charset, and a bad flag")
      .def("decoded_headers", &decoded_headers, py::arg("i"),
           "(name, value) of every header field of part i, values unfolded and "
           "RFC 2047 decoded: the work of decode_header() on each, in one call")
      .def("walk", &walk_indices, py::arg("i") = 0,
           "Part i and every part below it, depth first, as indices")
      .def("contents", &part_contents, py::arg("i") = 0, py::arg("make_part") = py::none(),
           py::arg("row") = py::none(),
           "(index, headers, content) of part i and every part below it, depth first: "
           "decoded headers; str for a text leaf, decoded bytes for another leaf, None "
           "for a container. With make_part, make_part(index) stands for the index; "
           "with row (a tuple type of three fields), each row is one of those.")
      .def(
          "delivery_report",
          [](const ParsedMessage& p) {
            py::gil_scoped_release nogil;
            return mime::read_delivery_report(p);
          },
          "A DSN's or MDN's parts and fields; kind \"\" when there is none")
      .def("__len__", [](const ParsedMessage& p) { return p.parts.size(); });

  mime_.def(
      "envelope_line",
      [](const ParsedMessage& p, std::int64_t i) -> py::object {
        const Span s = p.parts[check_index(p, i)].envelope_line;
        if (s.size() == 0) return py::none();
        return span_bytes(p, s);
      },
      py::arg("message"), py::arg("i") = 0,
      "The leading \"From \" envelope line of part i (mbox, RFC 4155), or None.");
  mime_.def(
      "reader_body",
      [](const ParsedMessage& p, std::string_view subtype) -> py::object {
        bool found = false;
        std::string text;
        {
          py::gil_scoped_release nogil;
          text = mime::reader_body(p, subtype, found);
        }
        if (!found) return py::none();
        return utf8_str(text);
      },
      py::arg("message"), py::arg("subtype"),
      "The text/<subtype> body a reader sees (not inside attached messages), or None.");
  mime_.def(
      "sanitize_html",
      [](const std::string& html, bool allow_remote) {
        mime::SanitizedHtml clean;
        {
          py::gil_scoped_release nogil;
          mime::SanitizeOptions options;
          options.allow_remote = allow_remote;
          clean = mime::sanitize_html(html, options);
        }
        return py::make_tuple(utf8_str(clean.html), clean.removed_elements,
                              clean.removed_attributes, clean.remote_blocked);
      },
      py::arg("html"), py::arg("allow_remote") = false,
      "HTML made safe to show: (html, removed elements, removed attributes, remote blocked).");
  mime_.def(
      "report_without_type",
      [](const std::string& value) {
        std::string_view type;
        const std::string_view rest = mime::without_type(value, &type);
        return py::make_tuple(std::string(type), std::string(rest));
      },
      py::arg("value"), "\"rfc822; bob@x\" -> (\"rfc822\", \"bob@x\") (RFC 3464 §2.1.2)");
  mime_.def(
      "report_first_word", [](const std::string& value) { return std::string(mime::first_word(value)); },
      py::arg("value"), "\"5.1.1 (comment)\" -> \"5.1.1\"");
  mime_.def(
      "parse_disposition",
      [](const std::string& value) -> std::optional<mime::Disposition> {
        mime::Disposition d = mime::parse_disposition(value);
        if (!d.ok) return std::nullopt;
        return d;
      },
      py::arg("value"), "An MDN's Disposition (RFC 8098 §3.2.6), or None");

  mime_.def(
      "parse_address_list",
      [](const py::object& raw) {
        std::string v = str_or_bytes(raw);
        std::vector<mime::Address> list;
        {
          py::gil_scoped_release nogil;
          list = mime::parse_address_list(v);
        }
        return list;
      },
      py::arg("raw"), "Parses an address list (groups flattened, each mailbox naming its group)");
  mime_.def(
      "parse_address_argument",
      [](const std::string& value, const std::string& what) {
        return mime::parse_address_argument(value, what);
      },
      py::arg("value"), py::arg("what") = "address",
      "Addresses given as an argument, read strictly; ValueError naming the rule");
  mime_.def(
      "parse_date",
      [](const py::object& raw) {
        std::string v = str_or_bytes(raw);
        py::gil_scoped_release nogil;
        return mime::parse_date(v);
      },
      py::arg("raw"), "Parses an RFC 5322 date, or None");
  mime_.def(
      "parse_content_field",
      [](const py::object& raw) {
        std::string v = str_or_bytes(raw);
        py::gil_scoped_release nogil;
        return mime::parse_content_field(v);
      },
      py::arg("raw"), "Parses a Content-Type or Content-Disposition value");
}

}  // namespace mailroom::bindings
