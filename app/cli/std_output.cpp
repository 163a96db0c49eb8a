#include "app/cli/std_output.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <streambuf>

namespace halflab::cli {
namespace {

int g_first_errno = 0;
bool g_failed = false;

void recordFailure() {
  if (!g_failed) g_first_errno = errno;
  g_failed = true;
}

// std::cout -> fwrite(stdout): one buffer for both iostreams and printf.
class CheckedStdoutBuf : public std::streambuf {
 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const char ch = traits_type::to_char_type(c);
    errno = 0;
    if (std::fwrite(&ch, 1, 1, stdout) != 1) recordFailure();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    errno = 0;
    if (std::fwrite(s, 1, static_cast<std::size_t>(n), stdout) != static_cast<std::size_t>(n)) recordFailure();
    return n;  // never stop the stream: the failure is reported once, at the end
  }
  int sync() override {
    errno = 0;
    if (std::fflush(stdout) != 0) recordFailure();
    return 0;
  }
};

}  // namespace

void installCheckedStdout() {
  // Never destroyed: std::ios_base::Init's destructors (one per library that includes
  // <iostream>, e.g. libdnnl) flush std::cout after this file's statics are gone.
  static CheckedStdoutBuf* const buf = new CheckedStdoutBuf;
  std::cout.rdbuf(buf);
}

void printOut(const char* format, ...) {
  va_list args;
  va_start(args, format);
  errno = 0;
  if (std::vfprintf(stdout, format, args) < 0) recordFailure();
  va_end(args);
}

std::string finishStdoutProblem() {
  errno = 0;
  if (std::fflush(stdout) != 0) recordFailure();
  if (!g_failed && std::ferror(stdout)) g_failed = true;  // written around us: reason unknown
  if (!g_failed) return {};
  return g_first_errno != 0 ? std::strerror(g_first_errno) : "an earlier write failed";
}

}  // namespace halflab::cli
