// UTF-8 texts made into Python str objects with one pass over their bytes
// after measuring them, the decoding done without the GIL.
//
// PyUnicode_DecodeUTF8 does not know a text's length in code points or its
// widest code point before it starts, so a text that is not ASCII is decoded
// into a buffer as wide as its bytes, widened again at each wider code point
// it meets, and shrunk at the end, all with the GIL held. Here a text is
// measured first (mime::measure_utf8, without the GIL), its str allocated at
// its exact length and width (PyUnicode_New, with the GIL), and filled in
// place (mime::decode_utf8_to, without the GIL: until it is returned, the new
// object is referenced by nothing else). A text that turns out not to be valid
// UTF-8 is left to the caller, who decodes it the old way with U+FFFD.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <string_view>
#include <vector>

#include "mailroom/mime/utf8_code_points.hpp"
#include "text_values.hpp"

namespace mailroom::bindings {

// A new str of the length and width measured, its code points not yet written.
inline pybind11::str new_measured_str(const mime::Utf8Measure& m) {
  static constexpr Py_UCS4 widest[] = {0x7F, 0xFF, 0xFFFF, 0x10FFFF};
  PyObject* o = PyUnicode_New(static_cast<Py_ssize_t>(m.code_points),
                              widest[static_cast<int>(m.width)]);
  if (!o) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::str>(o);
}

// The str of UTF-8 text `v` in one step, with the GIL held (for a text too
// short to be worth releasing it): what utf8_str gives, U+FFFD included.
inline pybind11::str measured_utf8_str(std::string_view v) {
  const mime::Utf8Measure m = mime::measure_utf8(v);
  pybind11::str s = new_measured_str(m);
  if (mime::decode_utf8_to(v, m, PyUnicode_DATA(s.ptr()))) return s;
  return utf8_str(v);
}

// Many texts at once: add() each (the GIL released; the bytes viewed must stay
// put until take()), allocate() with the GIL, fill() without it, then take()
// each with the GIL.
class StrBatch {
 public:
  void reserve(std::size_t n) { items_.reserve(n); }
  std::size_t size() const { return items_.size(); }
  std::size_t add(std::string_view utf8) {
    items_.push_back(Item{utf8, mime::measure_utf8(utf8), {}, false});
    return items_.size() - 1;
  }
  void allocate() {
    for (Item& it : items_) it.str = new_measured_str(it.measure);
  }
  void fill() {
    for (Item& it : items_) {
      it.valid = mime::decode_utf8_to(it.utf8, it.measure, PyUnicode_DATA(it.str.ptr()));
    }
  }
  // Text i's str, or a null object when it was not valid UTF-8.
  pybind11::object take(std::size_t i) {
    Item& it = items_[i];
    if (!it.valid) return {};
    return std::move(it.str);
  }
  // The same, with U+FFFD for what does not decode when it was not valid.
  pybind11::object take_or_replace(std::size_t i) {
    pybind11::object s = take(i);
    return s ? s : pybind11::object(utf8_str(items_[i].utf8));
  }

 private:
  struct Item {
    std::string_view utf8;
    mime::Utf8Measure measure;
    pybind11::object str;
    bool valid;
  };
  std::vector<Item> items_;
};

}  // namespace mailroom::bindings
