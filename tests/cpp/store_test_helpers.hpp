// What the store's C++ tests share: printing lists in CHECK_EQ failures, a
// fresh directory for a Maildir per test program, and listing a directory.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "conversation.hpp"

namespace {  // beside conversation.hpp's show() overloads

template <class T>
std::string show(const std::vector<T>& v) {
  std::string out = "{";
  for (const auto& x : v) out += (out.size() > 1 ? ", " : "") + show(x);
  return out + "}";
}

// An empty path under the temporary directory, named for the test and this process.
inline std::filesystem::path temp_dir(const char* name) {
  std::filesystem::path p =
      std::filesystem::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p;
}

// The names in a directory, sorted (none when it cannot be read).
inline std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace
