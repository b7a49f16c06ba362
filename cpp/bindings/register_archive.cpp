// mailroom._core's mail-as-data side: mbox framing, batches of messages parsed
// on native threads with the GIL released, and the mbox writer.
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bytes_arg.hpp"
#include "mailroom/mime/mbox.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/mime/message_batch.hpp"
#include "mailroom/mime/message_table.hpp"
#include "mailroom/mime/threading.hpp"
#include "mailroom/store/flags.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {
namespace {

using mime::MboxReader;

mime::Limits limits_of(std::uint32_t max_depth, std::uint32_t max_parts,
                       std::uint64_t max_header_bytes, std::uint32_t max_headers) {
  mime::Limits lim;
  lim.max_depth = max_depth;
  lim.max_parts = max_parts;
  lim.max_header_bytes = max_header_bytes;
  lim.max_headers = max_headers;
  return lim;
}

py::str latin1_str(std::string_view v) {
  PyObject* o = PyUnicode_DecodeLatin1(v.data(), static_cast<Py_ssize_t>(v.size()), nullptr);
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

py::list defect_list(const std::vector<mime::MboxDefect>& ds) {
  py::list out;
  for (const auto& d : ds) out.append(py::make_tuple(d.kind, d.detail, d.offset));
  return out;
}

mime::MboxVariant variant_arg(const std::string& name) {
  try {
    return mime::mbox_variant_from_name(name);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
}

template <typename T>
py::bytes vector_bytes(const std::vector<T>& v) {
  return py::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Arrow's validity bitmap (LSB first), or None when every row is valid.
py::object bitmap(const std::vector<std::uint8_t>& valid) {
  if (std::all_of(valid.begin(), valid.end(), [](std::uint8_t b) { return b != 0; }))
    return py::none();
  std::string bits((valid.size() + 7) / 8, '\0');
  for (std::size_t i = 0; i < valid.size(); ++i)
    if (valid[i]) bits[i / 8] = static_cast<char>(bits[i / 8] | (1 << (i % 8)));
  return py::bytes(bits);
}

py::tuple strings(const mime::StringColumn& c) {
  return py::make_tuple(c.size(), bitmap(c.valid), vector_bytes(c.offsets), py::bytes(c.data));
}

py::dict table_dict(const mime::MessageTable& t, const mime::TableOptions& o) {
  py::dict d;
  d["rows"] = t.rows;
  for (auto [name, col] : {std::pair{"message_id", &t.message_id}, {"from_addr", &t.from_addr},
                           {"from_name", &t.from_name}, {"subject", &t.subject},
                           {"in_reply_to", &t.in_reply_to}})
    d[name] = strings(*col);
  if (o.text) d["text"] = strings(t.text);
  if (o.html) d["html"] = strings(t.html);
  d["date"] = py::make_tuple(bitmap(t.date_valid), vector_bytes(t.date));
  d["size"] = vector_bytes(t.size);
  d["thread_id"] = vector_bytes(t.thread_id);
  for (auto [name, col] : {std::pair{"to", &t.to}, {"cc", &t.cc}, {"bcc", &t.bcc},
                           {"references", &t.references}})
    d[name] = py::make_tuple(vector_bytes(col->offsets), strings(col->values));
  d["attachments"] = py::make_tuple(vector_bytes(t.attachments.offsets),
                                    strings(t.attachments.name),
                                    strings(t.attachments.content_type),
                                    vector_bytes(t.attachments.size));
  if (o.headers)
    d["headers"] = py::make_tuple(vector_bytes(t.headers.offsets), strings(t.headers.name),
                                  strings(t.headers.value));
  return d;
}

struct TableBuilder {
  mime::TableOptions options;
  mime::MessageTableBuilder builder;
  explicit TableBuilder(mime::TableOptions o) : options(o), builder(o) {}
};

}  // namespace

void register_archive(py::module_& m) {
  py::class_<TableBuilder>(m, "MessageTableBuilder",
                           "Fills the columns of the message table natively, batch by batch.")
      .def(py::init([](bool text, bool html, bool headers, unsigned threads) {
             mime::TableOptions o;
             o.text = text;
             o.html = html;
             o.headers = headers;
             o.threads = threads;
             return std::make_unique<TableBuilder>(o);
           }),
           py::arg("text") = false, py::arg("html") = false, py::arg("headers") = false,
           py::arg("threads") = 0)
      .def(
          "add",
          [](TableBuilder& b, const std::vector<std::shared_ptr<mime::ParsedMessage>>& batch) {
            py::gil_scoped_release nogil;
            b.builder.add(batch);
          },
          py::arg("batch"))
      .def(
          "add_mbox",
          [](TableBuilder& b, MboxReader& r) {
            py::gil_scoped_release nogil;
            std::vector<mime::MboxMessage> framed = r.take();
            std::vector<std::string> raws;
            raws.reserve(framed.size());
            for (auto& f : framed) raws.push_back(std::move(f.data));
            b.builder.add_raw(std::move(raws), mime::Limits{});
            return framed.size();
          },
          py::arg("reader"), "Parses what the reader framed so far and adds it; returns how many.")
      .def_property_readonly("rows", [](const TableBuilder& b) { return b.builder.rows(); })
      .def("finish", [](TableBuilder& b) {
        mime::MessageTable t;
        {
          py::gil_scoped_release nogil;
          t = b.builder.finish();
        }
        return table_dict(t, b.options);
      });

  m.def(
      "envelope_line",
      [](const mime::ParsedMessage& p, std::int64_t i) -> py::object {
        if (i < 0 || static_cast<std::uint64_t>(i) >= p.parts.size())
          throw py::index_error("part index out of range");
        const mime::Span s = p.parts[static_cast<std::size_t>(i)].envelope_line;
        if (s.size() == 0) return py::none();
        const std::string_view v = p.bytes(s);
        return py::bytes(v.data(), v.size());
      },
      py::arg("message"), py::arg("i") = 0,
      "The leading \"From \" envelope line of part i (mbox, RFC 4155), or None.");

  py::class_<MboxReader>(m, "MboxReader",
                         "Frames an mbox stream fed in chunks into messages (sans-IO).")
      .def(py::init([](const std::string& variant, std::uint64_t max_message_bytes) {
             return std::make_unique<MboxReader>(variant_arg(variant), max_message_bytes);
           }),
           py::arg("variant") = "detect",
           py::arg("max_message_bytes") = mime::kDefaultMaxMboxMessage)
      .def(
          "feed",
          [](MboxReader& r, const py::object& chunk) {
            ByteArg data(chunk, "MboxReader.feed", "chunk", false);
            py::gil_scoped_release nogil;
            r.feed(data.view());
          },
          py::arg("chunk"))
      .def("finish", [](MboxReader& r) { r.finish(); })
      .def(
          "take",
          [](MboxReader& r, unsigned threads, std::uint32_t max_depth, std::uint32_t max_parts,
             std::uint64_t max_header_bytes, std::uint32_t max_headers) {
            std::vector<mime::MboxMessage> framed = r.take();
            std::vector<std::shared_ptr<mime::ParsedMessage>> parsed;
            {
              py::gil_scoped_release nogil;
              std::vector<std::string> raws;
              raws.reserve(framed.size());
              for (auto& f : framed) raws.push_back(std::move(f.data));
              parsed = mime::parse_messages(
                  std::move(raws), limits_of(max_depth, max_parts, max_header_bytes, max_headers),
                  threads);
            }
            py::list out;
            for (std::size_t i = 0; i < framed.size(); ++i) {
              const auto& f = framed[i];
              out.append(py::make_tuple(parsed[i], latin1_str(f.envelope), f.offset, f.size,
                                        defect_list(f.defects)));
            }
            return out;
          },
          py::arg("threads") = 0, py::arg("max_depth") = 100, py::arg("max_parts") = 10000,
          py::arg("max_header_bytes") = 1048576, py::arg("max_headers") = 10000,
          "The messages framed so far, parsed on native threads: "
          "(ParsedMessage, envelope, offset, size, defects) each.")
      .def_property_readonly("variant",
                             [](const MboxReader& r) {
                               return std::string(mime::mbox_variant_name(r.variant()));
                             })
      .def_property_readonly("consumed", &MboxReader::consumed)
      .def("defects", [](const MboxReader& r) { return defect_list(r.defects()); });

  m.def(
      "parse_messages",
      [](const py::list& raws, unsigned threads, std::uint32_t max_depth, std::uint32_t max_parts,
         std::uint64_t max_header_bytes, std::uint32_t max_headers) {
        std::vector<std::string> data;
        data.reserve(raws.size());
        for (const py::handle& h : raws) {
          ByteArg a(h, "parse_messages", "each message", false);
          data.emplace_back(a.view());
        }
        py::gil_scoped_release nogil;
        return mime::parse_messages(std::move(data),
                                    limits_of(max_depth, max_parts, max_header_bytes, max_headers),
                                    threads);
      },
      py::arg("raws"), py::arg("threads") = 0, py::arg("max_depth") = 100,
      py::arg("max_parts") = 10000, py::arg("max_header_bytes") = 1048576,
      py::arg("max_headers") = 10000,
      "Parses many raw messages on native threads, the GIL released; in order.");

  m.def(
      "thread_messages",
      [](const std::vector<std::shared_ptr<mime::ParsedMessage>>& messages) {
        std::vector<mime::ThreadInput> in;
        mime::Threads t;
        {
          py::gil_scoped_release nogil;
          in.reserve(messages.size());
          for (const auto& p : messages) in.push_back(mime::thread_input(*p));
          t = mime::thread_references(in);
        }
        return py::make_tuple(t.thread, t.parent, t.roots.size());
      },
      py::arg("messages"),
      "RFC 5256 REFERENCES threading: (thread of each message, its parent message or -1, "
      "the number of threads).");
  m.def(
      "reader_body",
      [](const mime::ParsedMessage& p, std::string_view subtype) -> py::object {
        bool found = false;
        std::string text;
        {
          py::gil_scoped_release nogil;
          text = mime::reader_body(p, subtype, found);
        }
        if (!found) return py::none();
        PyObject* o = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()),
                                           "replace");
        if (!o) throw py::error_already_set();
        return py::reinterpret_steal<py::str>(o);
      },
      py::arg("message"), py::arg("subtype"),
      "The text/<subtype> body a reader sees (not inside attached messages), or None.");
  m.def(
      "base_subject",
      [](std::string_view subject) {
        const mime::BaseSubject b = mime::base_subject(subject);
        return py::make_tuple(b.text, b.reply_or_forward);
      },
      py::arg("subject"), "RFC 5256 §2.1 base subject: (text, whether a reply or forward).");

  // Maildir info (the letters after ":2,") and flag names, by the store's rules.
  m.def(
      "maildir_flags",
      [](std::string_view info) {
        return store::flag_names(store::flags_from_letters(info), {});
      },
      py::arg("info"), "Flag names (\\Seen, ...) of a Maildir info string such as \"FRS\".");
  m.def(
      "maildir_info",
      [](const std::vector<std::string>& flags) {
        return store::maildir_letters(store::parse_flags(flags).system);
      },
      py::arg("flags"),
      "The Maildir info letters of system flags (keywords have no letter here).");

  m.def(
      "mbox_entries",
      [](const std::vector<std::pair<std::string, py::object>>& entries,
         const std::string& variant) {
        const mime::MboxVariant v = variant_arg(variant);
        if (v == mime::MboxVariant::detect)
          throw py::value_error("write an mbox as mboxo, mboxrd, mboxcl or mboxcl2");
        std::vector<ByteArg> messages;
        messages.reserve(entries.size());
        for (const auto& e : entries) messages.emplace_back(e.second, "mbox_entries", "message", false);
        std::string out;
        {
          py::gil_scoped_release nogil;
          for (std::size_t i = 0; i < entries.size(); ++i) {
            try {
              mime::append_mbox_entry(out, entries[i].first, messages[i].view(), v);
            } catch (const std::invalid_argument& e) {
              py::gil_scoped_acquire gil;
              throw py::value_error(std::string(e.what()) + " (message " + std::to_string(i) + ")");
            }
          }
        }
        return py::bytes(out);
      },
      py::arg("entries"), py::arg("variant"),
      "(envelope, message) pairs as mbox entries of the variant, one bytes object.");
}

}  // namespace mailroom::bindings
