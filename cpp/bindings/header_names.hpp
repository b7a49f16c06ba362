// Header field names as str. A message's fields are named from a small set
// (From, To, Subject, Content-Type, Received ...), so the names seen are kept
// and the same interned str is given back the next time, instead of a new str
// for every field of every message. The cache is bounded: past kMaxNames
// names, or for a name longer than kMaxNameBytes, a new str is made as before.
// Only used with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "text_values.hpp"

namespace mailroom::bindings {

class HeaderNames {
 public:
  static constexpr std::size_t kMaxNames = 512;
  static constexpr std::size_t kMaxNameBytes = 64;

  // The name as written, every octet kept (Latin-1).
  pybind11::str get(std::string_view name) {
    auto it = names_.find(name);
    if (it != names_.end()) return pybind11::reinterpret_borrow<pybind11::str>(it->second);
    pybind11::str s = latin1_str(name);
    if (names_.size() < kMaxNames && name.size() <= kMaxNameBytes) {
      PyObject* o = s.release().ptr();
      PyUnicode_InternInPlace(&o);
      // The cache keeps its own reference for the life of the process.
      Py_INCREF(o);
      names_.emplace(std::string(name), o);
      s = pybind11::reinterpret_steal<pybind11::str>(o);
    }
    return s;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>{}(v); }
  };
  std::unordered_map<std::string, PyObject*, Hash, std::equal_to<>> names_;
};

// The one cache of the module.
inline pybind11::str header_name_str(std::string_view name) {
  static HeaderNames* names = new HeaderNames();  // never destroyed: it outlives the interpreter's strs
  return names->get(name);
}

}  // namespace mailroom::bindings
