// A Python callable kept alive by C++ code that may drop it on any thread:
// the last reference is released with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

namespace mailroom::bindings {

struct PyCallable {
  pybind11::object fn;
  explicit PyCallable(pybind11::object f) : fn(std::move(f)) {}
  ~PyCallable() {
    if (!fn) return;
    if (!Py_IsInitialized()) {
      fn.release();  // interpreter gone: leak rather than crash
      return;
    }
    pybind11::gil_scoped_acquire gil;
    fn = pybind11::object();
  }
};

}  // namespace mailroom::bindings
