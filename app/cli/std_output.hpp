#pragma once
// The CLI's standard output, with the reason of the first failed write kept: by the time
// main() flushes at exit, errno says nothing about a write that failed minutes earlier
// (a full disk, a closed pipe), so every write records its own failure here.
#include <string>

namespace halflab::cli {

// Routes std::cout through stdout's FILE (same order as printf) and records failures.
void installCheckedStdout();
// printf to stdout, recording a failure.
void printOut(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Flushes stdout; "" when everything printed reached it, else the reason
// ("No space left on device", "Broken pipe").
std::string finishStdoutProblem();

}  // namespace halflab::cli
