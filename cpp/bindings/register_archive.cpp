// mailroom._core.archive: mail as data. mbox framing and the mbox writer, Maildir
// flags, batches of messages parsed on native threads, RFC 5256 threading and
// the message table's columns; the native work runs with the GIL released.
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
#include "text_values.hpp"

namespace py = pybind11;

namespace mailroom::bindings {
namespace {

using mime::MboxReader;


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

// A message framed off an mbox stream and parsed: what MboxReader.take gives.
struct FramedMessage {
  std::shared_ptr<mime::ParsedMessage> message;
  std::string envelope;  // after "From ", without its line end
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::vector<mime::MboxDefect> defects;
};

// A finished table and the optional columns it was asked for.
struct MessageTableResult {
  mime::MessageTable table;
  mime::TableOptions options;
};

struct TableBuilder {
  mime::TableOptions options;
  mime::MessageTableBuilder builder;
  explicit TableBuilder(mime::TableOptions o) : options(o), builder(o) {}
};

// The column types: buffers in Arrow's layout (little-endian int64 offsets and
// values), handed out as bytes for pyarrow.Array.from_buffers.
void register_columns(py::module_& m) {
  using mime::StringColumn;
  py::class_<StringColumn>(m, "StringColumn", "A column of strings in Arrow's large_string layout")
      .def_property_readonly("length", &StringColumn::size, "Rows")
      .def_property_readonly(
          "validity", [](const StringColumn& c) { return bitmap(c.valid); },
          "The validity bitmap (LSB first); None when no row is null")
      .def_property_readonly(
          "offsets", [](const StringColumn& c) { return vector_bytes(c.offsets); },
          "length + 1 int64 offsets into data")
      .def_property_readonly(
          "data", [](const StringColumn& c) { return py::bytes(c.data); }, "The UTF-8 values");
  using mime::StringListColumn;
  py::class_<StringListColumn>(m, "StringListColumn", "A list of strings per row")
      .def_property_readonly(
          "offsets", [](const StringListColumn& c) { return vector_bytes(c.offsets); },
          "rows + 1 int64 offsets into values")
      .def_readonly("values", &StringListColumn::values);
  using mime::AttachmentColumn;
  py::class_<AttachmentColumn>(m, "AttachmentColumn",
                               "Per row a list of attachments: name, content type, decoded size")
      .def_property_readonly(
          "offsets", [](const AttachmentColumn& c) { return vector_bytes(c.offsets); },
          "rows + 1 int64 offsets into the attachments")
      .def_readonly("name", &AttachmentColumn::name)
      .def_readonly("content_type", &AttachmentColumn::content_type)
      .def_property_readonly(
          "size", [](const AttachmentColumn& c) { return vector_bytes(c.size); },
          "int64 decoded sizes, one per attachment");
  using mime::HeaderColumn;
  py::class_<HeaderColumn>(m, "HeaderColumn", "Per row its header fields: name, decoded value")
      .def_property_readonly(
          "offsets", [](const HeaderColumn& c) { return vector_bytes(c.offsets); },
          "rows + 1 int64 offsets into the fields")
      .def_readonly("name", &HeaderColumn::name)
      .def_readonly("value", &HeaderColumn::value);

  using R = MessageTableResult;
  py::class_<R> table(m, "MessageTable",
                      "The columns of the message table (README \"Mail as data\"), one row per "
                      "message");
  using MT = mime::MessageTable;
  table.def_property_readonly("rows", [](const R& r) { return r.table.rows; });
  // A column viewed in place (the table is kept alive while it is used); the
  // optional ones are None unless the builder was asked for them.
  const auto column = [&table]<class Col>(const char* name, Col MT::*col,
                                          bool mime::TableOptions::*asked = nullptr) {
    table.def_property_readonly(
        name,
        [col, asked](const R& r) -> const Col* {
          return asked != nullptr && !(r.options.*asked) ? nullptr : &(r.table.*col);
        },
        py::return_value_policy::reference_internal, asked ? "None unless asked for" : "");
  };
  column("message_id", &MT::message_id);
  column("from_addr", &MT::from_addr);
  column("from_name", &MT::from_name);
  column("subject", &MT::subject);
  column("in_reply_to", &MT::in_reply_to);
  column("text", &MT::text, &mime::TableOptions::text);
  column("html", &MT::html, &mime::TableOptions::html);
  column("to", &MT::to);
  column("cc", &MT::cc);
  column("bcc", &MT::bcc);
  column("references", &MT::references);
  column("attachments", &MT::attachments);
  column("headers", &MT::headers, &mime::TableOptions::headers);
  table
      .def_property_readonly(
          "date", [](const R& r) { return vector_bytes(r.table.date); },
          "int64 seconds since the epoch, UTC")
      .def_property_readonly(
          "date_validity", [](const R& r) { return bitmap(r.table.date_valid); },
          "The date's validity bitmap (LSB first); None when every row has a date")
      .def_property_readonly(
          "size", [](const R& r) { return vector_bytes(r.table.size); }, "int64 bytes per message")
      .def_property_readonly(
          "thread_id", [](const R& r) { return vector_bytes(r.table.thread_id); },
          "int64 RFC 5256 thread per message, numbered by each thread's first message");
}

void register_values(py::module_& m) {
  py::class_<mime::MboxDefect>(m, "MboxDefect", "Something wrong in an mbox stream or entry")
      .def_readonly("kind", &mime::MboxDefect::kind, "A stable identifier")
      .def_readonly("detail", &mime::MboxDefect::detail)
      .def_readonly("offset", &mime::MboxDefect::offset,
                    "A byte offset into the (decompressed) stream");
  py::class_<FramedMessage>(m, "FramedMessage", "A message framed off an mbox stream, parsed")
      .def_readonly("message", &FramedMessage::message)
      .def_property_readonly(
          "envelope", [](const FramedMessage& f) { return latin1_str(f.envelope); },
          "The envelope line after \"From \", without its line end")
      .def_readonly("offset", &FramedMessage::offset, "Of the envelope line in the stream")
      .def_readonly("size", &FramedMessage::size,
                    "Stream bytes from the envelope line to the message's end")
      .def_readonly("defects", &FramedMessage::defects, "What was wrong with the entry");
  py::class_<mime::Threads>(m, "Threads", "RFC 5256 REFERENCES threading of a list of messages")
      .def_readonly("thread", &mime::Threads::thread,
                    "Per message its thread, numbered by each thread's first message")
      .def_readonly("parent", &mime::Threads::parent, "Per message its parent message; -1 for none")
      .def_property_readonly(
          "thread_id",
          [](const mime::Threads& t) {
            std::vector<std::int64_t> out;
            out.reserve(t.thread.size());
            for (std::uint32_t k : t.thread) out.push_back(t.ids[k]);
            return out;
          },
          "Per message its thread's id: the same for the same conversation in every run "
          "(SHA-256 of the root's Message-ID)")
      .def_property_readonly(
          "count", [](const mime::Threads& t) { return t.roots.size(); }, "The number of threads");
  py::class_<mime::BaseSubject>(m, "BaseSubject", "RFC 5256 §2.1 base subject of a Subject")
      .def_readonly("text", &mime::BaseSubject::text, "ASCII letters lower-cased, for comparing")
      .def_readonly("reply_or_forward", &mime::BaseSubject::reply_or_forward,
                    "\"Re:\", \"Fw:\", \"Fwd:\" or \"(fwd)\" was removed");
  register_columns(m);
}

}  // namespace

void register_archive(py::module_& root) {
  py::module_ m = root.def_submodule("archive");
  register_values(m);
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
          py::arg("reader"),
          "Adds what the reader framed so far; returns how many. With more than one thread "
          "they are parsed while the caller reads on (finish() waits for them).")
      .def_property_readonly("rows", [](const TableBuilder& b) { return b.builder.rows(); })
      .def(
          "finish",
          [](TableBuilder& b) {
            std::vector<mime::MessageTable> chunks;
            {
              py::gil_scoped_release nogil;
              chunks = b.builder.finish();
            }
            std::vector<MessageTableResult> out(chunks.size());
            for (std::size_t i = 0; i < chunks.size(); ++i) {
              out[i].table = std::move(chunks[i]);
              out[i].options = b.options;
            }
            return out;
          },
          "The table of every message added, as chunks of rows in order (at least one).");

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
      .def("finish", [](MboxReader& r) { r.finish(); }, "The stream has ended: frames the rest.")
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
                  std::move(raws), parse_limits(max_depth, max_parts, max_header_bytes, max_headers),
                  threads);
            }
            std::vector<FramedMessage> out(framed.size());
            for (std::size_t i = 0; i < framed.size(); ++i) {
              out[i].message = std::move(parsed[i]);
              out[i].envelope = std::move(framed[i].envelope);
              out[i].offset = framed[i].offset;
              out[i].size = framed[i].size;
              out[i].defects = std::move(framed[i].defects);
            }
            return out;
          },
          py::arg("threads") = 0, py::arg("max_depth") = 100, py::arg("max_parts") = 10000,
          py::arg("max_header_bytes") = 1048576, py::arg("max_headers") = 10000,
          "The messages framed so far, parsed on native threads.")
      .def_property_readonly("variant",
                             [](const MboxReader& r) {
                               return std::string(mime::mbox_variant_name(r.variant()));
                             })
      .def_property_readonly("consumed", &MboxReader::consumed)
      .def(
          "defects", [](const MboxReader& r) { return r.defects(); },
          "What was wrong in the stream outside any entry (garbage, a message over the limit)");

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
                                    parse_limits(max_depth, max_parts, max_header_bytes, max_headers),
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
        return t;
      },
      py::arg("messages"), "RFC 5256 REFERENCES threading of the messages, in order.");
  m.def(
      "base_subject",
      [](std::string_view subject) { return mime::base_subject(subject); }, py::arg("subject"),
      "RFC 5256 §2.1 base subject of a decoded Subject.");

  // Maildir info (the letters after ":2,") and flag names, by the store's rules.
  m.def(
      "maildir_flags",
      [](std::string_view info, const std::vector<std::string>& keyword_table) {
        return store::flag_names(store::flags_from_letters(info),
                                 store::keywords_from_letters(info, keyword_table));
      },
      py::arg("info"), py::arg("keyword_table") = std::vector<std::string>{},
      "Flag names (\\Seen, ...) of a Maildir info string such as \"FRSab\", then the "
      "keywords its letters a-z name in keyword_table (maildir_keyword_table).");
  m.def(
      "maildir_keyword_table",
      [](std::string_view text) { return store::parse_keyword_file(text); }, py::arg("text"),
      "The keyword of each Maildir letter (index 0 is 'a', '' where none) in a folder's "
      "dovecot-keywords file.");
  m.def(
      "maildir_info",
      [](const std::vector<std::string>& flags, std::vector<std::string> keyword_table) {
        const store::FlagSet set = store::parse_flags(flags);  // InvalidFlag: a ValueError
        bool added = false;
        std::string info;
        try {
          info = store::maildir_info(set.system, set.keywords, keyword_table, added);
        } catch (const std::runtime_error& e) {
          throw py::value_error(e.what());
        }
        return py::make_tuple(info, keyword_table, added);
      },
      py::arg("flags"), py::arg("keyword_table") = std::vector<std::string>{},
      "(info, keyword_table, added): the Maildir info letters of the flags, a letter a-z per "
      "keyword as keyword_table (maildir_keyword_table) names them; a keyword it lacks takes "
      "the first free letter (added True: write maildir_keyword_file(keyword_table) first).");
  m.def(
      "maildir_keyword_file",
      [](const std::vector<std::string>& keyword_table) {
        return store::keyword_file_text(keyword_table);
      },
      py::arg("keyword_table"), "The dovecot-keywords file naming the letters of keyword_table.");

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
