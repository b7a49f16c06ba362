// A part's decoded contents as Python objects. The decoding is done with the
// GIL released; Python objects are made with it held. Texts become str in
// three steps (str_batch.hpp): measured while decoding, allocated at their
// exact size, filled with the GIL released again; bodies that are not text
// are decoded straight into the bytes object returned.
#include "part_contents.hpp"

#include <string>
#include <string_view>

#include "header_names.hpp"
#include "mailroom/mime/codecs.hpp"
#include "str_batch.hpp"
#include "text_values.hpp"

namespace py = pybind11;

namespace mailroom::bindings {
namespace {

using mime::ParsedMessage;

// A bytes object of `n` bytes whose contents the caller writes; shrunk to
// `used` afterwards by shrink_bytes.
py::object new_bytes(std::size_t n) {
  PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
  if (!out) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(out);
}

void shrink_bytes(py::object& b, std::size_t used) {
  if (static_cast<std::size_t>(PyBytes_GET_SIZE(b.ptr())) == used) return;
  PyObject* o = b.release().ptr();
  if (_PyBytes_Resize(&o, static_cast<Py_ssize_t>(used)) != 0) throw py::error_already_set();
  b = py::reinterpret_steal<py::object>(o);
}

std::vector<std::string> decode_headers(const ParsedMessage& p, std::uint32_t k) {
  const auto& fields = p.parts[k].headers;
  std::vector<std::string> values(fields.size());
  for (std::size_t j = 0; j < fields.size(); ++j) {
    values[j] = mime::decode_header(p.bytes(fields[j].value));
  }
  return values;
}

// The (name, value) list of part k's fields, the values' strs taken from
// `strs` at first, first + 1, ...
py::list header_list(const ParsedMessage& p, std::uint32_t k, StrBatch& strs, std::size_t first) {
  const auto& fields = p.parts[k].headers;
  py::list out(fields.size());
  for (std::size_t j = 0; j < fields.size(); ++j) {
    PyObject* pair = PyTuple_New(2);
    if (!pair) throw py::error_already_set();
    py::object hold = py::reinterpret_steal<py::object>(pair);
    PyTuple_SET_ITEM(pair, 0, header_name_str(p.bytes(fields[j].name)).release().ptr());
    PyTuple_SET_ITEM(pair, 1, strs.take_or_replace(first + j).release().ptr());
    PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(j), hold.release().ptr());
  }
  return out;
}

// A text body to become a str: UTF-8 from the start (the decoded bytes, when
// the charset reads as UTF-8) or the charset converted to it.
struct TextBody {
  bool utf8 = false;      // charset UTF-8, US-ASCII or none: the decoded bytes are the text
  std::string storage;    // the body decoded (unused when it is a view of the raw body)
  std::string converted;  // another charset's text, as UTF-8
  std::string_view text;  // what goes to the str
  bool bad = false;       // the encoding, or the conversion, was malformed
  std::size_t item = 0;   // its place in the StrBatch

  // Without the GIL.
  void decode(const ParsedMessage& p, std::uint32_t k, StrBatch& strs) {
    utf8 = p.text_is_utf8(k);
    text = p.decoded_view(k, storage, &bad);
    if (!utf8) {
      bool b = false;
      converted = p.text_from(k, text, &b);
      bad = bad || b;
      text = converted;
    }
    item = strs.add(text);
  }
  // With the GIL, after the batch is filled. Bytes read as UTF-8 that are not
  // valid UTF-8 go through the engine's conversion, which replaces what does
  // not decode with U+FFFD (and says so in `bad`).
  py::object take(const ParsedMessage& p, std::uint32_t k, StrBatch& strs) {
    py::object s = strs.take(item);
    if (s) return s;
    if (utf8) {
      bool b = false;
      {
        py::gil_scoped_release nogil;
        converted = p.text_from(k, text, &b);
      }
      bad = bad || b;
      text = converted;
    }
    return utf8_str(text);
  }
};

}  // namespace

// The decoded body, written straight into the bytes object returned: no
// intermediate string, no second copy (base64 attachments are most of a
// mailbox's bytes).
py::tuple decoded_bytes(const ParsedMessage& p, std::int64_t i) {
  const auto k = check_index(p, i);
  py::object out = new_bytes(p.decoded_capacity(k));
  bool bad = false;
  std::size_t n = 0;
  {
    py::gil_scoped_release nogil;
    n = p.decode_body_to(k, PyBytes_AS_STRING(out.ptr()), &bad);
  }
  shrink_bytes(out, n);
  return py::make_tuple(std::move(out), bad);
}

py::tuple decoded_text(const ParsedMessage& p, std::int64_t i) {
  const auto k = check_index(p, i);
  TextBody body;
  StrBatch strs;
  {
    py::gil_scoped_release nogil;
    body.decode(p, k, strs);
  }
  strs.allocate();
  {
    py::gil_scoped_release nogil;
    strs.fill();
  }
  py::object text = body.take(p, k, strs);
  return py::make_tuple(std::move(text), body.bad);
}

py::list decoded_headers(const ParsedMessage& p, std::int64_t i) {
  const auto k = check_index(p, i);
  std::vector<std::string> values;
  StrBatch strs;
  {
    py::gil_scoped_release nogil;
    values = decode_headers(p, k);
    strs.reserve(values.size());
    for (const std::string& v : values) strs.add(v);
  }
  strs.allocate();
  {
    py::gil_scoped_release nogil;
    strs.fill();
  }
  return header_list(p, k, strs, 0);
}

// Depth-first order, as Part.walk() gives it.
std::vector<std::uint32_t> walk_indices(const ParsedMessage& p, std::int64_t i) {
  std::vector<std::uint32_t> out, stack{check_index(p, i)};
  while (!stack.empty()) {
    const std::uint32_t k = stack.back();
    stack.pop_back();
    out.push_back(k);
    const auto& children = p.parts[k].children;
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
  return out;
}

// Part i and every part below it, depth first, each as (index, headers,
// content): what a reader walking the message asks of every part, in one
// call. With make_part, the first item is make_part(index) instead of the
// index; with row (a tuple type, a NamedTuple), each row is of that type. Content is the str of a text/* leaf, the decoded bytes of any other
// leaf, None for a multipart or an embedded message (its parts follow it).
// The GIL is released twice for the whole message: once to decode the headers
// and the texts (and measure them), once to fill the strs and decode the other
// bodies into their bytes objects.
py::list part_contents(const ParsedMessage& p, std::int64_t i, const py::object& make_part,
                       const py::object& row) {
  PyTypeObject* row_type = nullptr;
  if (!row.is_none()) {
    if (!PyType_Check(row.ptr()) ||
        !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(row.ptr()), &PyTuple_Type)) {
      throw py::type_error("contents(): row must be a tuple type (a NamedTuple of 3 fields)");
    }
    row_type = reinterpret_cast<PyTypeObject*>(row.ptr());
  }
  const std::vector<std::uint32_t> order = walk_indices(p, i);
  enum class Kind { container, text, binary };
  struct Entry {
    Kind kind = Kind::container;
    std::vector<std::string> headers;  // decoded values
    std::size_t first_header = 0;      // the first value's place in the StrBatch
    TextBody text;
    py::object bytes;                  // a binary leaf's decoded body
    std::size_t used = 0;
  };
  std::vector<Entry> entries(order.size());
  for (std::size_t j = 0; j < order.size(); ++j) {
    const mime::Part& part = p.parts[order[j]];
    if (part.is_multipart || part.is_message) continue;
    entries[j].kind = part.content_type.compare(0, 5, "text/") == 0 ? Kind::text : Kind::binary;
  }
  StrBatch strs;
  {
    py::gil_scoped_release nogil;
    for (std::size_t j = 0; j < order.size(); ++j) {
      Entry& e = entries[j];
      e.headers = decode_headers(p, order[j]);
      e.first_header = strs.size();
      for (const std::string& v : e.headers) strs.add(v);
      if (e.kind == Kind::text) e.text.decode(p, order[j], strs);
    }
  }
  strs.allocate();
  for (std::size_t j = 0; j < order.size(); ++j) {
    if (entries[j].kind == Kind::binary) entries[j].bytes = new_bytes(p.decoded_capacity(order[j]));
  }
  {
    py::gil_scoped_release nogil;
    strs.fill();
    for (std::size_t j = 0; j < order.size(); ++j) {
      Entry& e = entries[j];
      if (e.kind == Kind::binary) e.used = p.decode_body_to(order[j], PyBytes_AS_STRING(e.bytes.ptr()));
    }
  }
  py::list out(order.size());
  for (std::size_t j = 0; j < order.size(); ++j) {
    const std::uint32_t k = order[j];
    Entry& e = entries[j];
    py::object content = py::none();
    if (e.kind == Kind::binary) {
      shrink_bytes(e.bytes, e.used);
      content = std::move(e.bytes);
    } else if (e.kind == Kind::text) {
      content = e.text.take(p, k, strs);
    }
    py::object first = make_part.is_none() ? py::object(py::int_(k)) : make_part(k);
    py::list headers = header_list(p, k, strs, e.first_header);
    // A tuple subclass is made as tuple.__new__ makes it (tp_alloc, then the
    // items), without a call into Python.
    PyObject* r = row_type ? row_type->tp_alloc(row_type, 3) : PyTuple_New(3);
    if (!r) throw py::error_already_set();
    PyTuple_SET_ITEM(r, 0, first.release().ptr());
    PyTuple_SET_ITEM(r, 1, headers.release().ptr());
    PyTuple_SET_ITEM(r, 2, content.release().ptr());
    PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(j), r);
  }
  return out;
}

}  // namespace mailroom::bindings
