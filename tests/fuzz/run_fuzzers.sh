#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang into their own folder and runs each for a
# bounded time from the committed seeds. Exits non-zero on any crash, timeout, leak or
# sanitizer report (libFuzzer stops and writes the input under <build>/artifacts/), and
# 77 (a skip for ctest) when clang or its fuzzer runtime is missing.
#   tests/fuzz/run_fuzzers.sh [--build DIR] [--seconds N] [harness...]
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
build="$src/build-fuzz"
seconds=60
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(idx cifar config image csv_text)

cxx=$(command -v clang++-14 || command -v clang++ || true)
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cxx" ] || [ -z "$cc" ]; then
  echo "SKIP: clang is not installed (scripts/install-deps.sh installs clang-14)"
  exit 77
fi
if [ ! -e "$("$cxx" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then
  echo "SKIP: libFuzzer is not installed (Debian package libclang-rt-14-dev)"
  exit 77
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
mkdir -p "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_COMPILER="$cc" -DHALFLAB_FUZZ=ON -DHALFLAB_WITH_GUI=OFF -DHALFLAB_BUILD_TESTS=OFF \
  -DHALFLAB_WITH_CUDA=OFF "${launcher[@]}" >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1"
mkdir -p "$build/artifacts"
status=0
for h in "${harnesses[@]}"; do
  # New inputs go to a scratch corpus; the committed seeds are only read.
  scratch="$build/corpus/$h"
  mkdir -p "$scratch"
  echo "== fuzz_$h: ${seconds}s"
  if ! "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$h-" "$scratch" "$src/tests/fuzz/corpus/$h" \
      >"$build/fuzz_$h.log" 2>&1; then
    echo "FAIL: fuzz_$h found a problem; input and log:"
    ls -l "$build/artifacts" | grep -- "$h-" || true
    tail -n 60 "$build/fuzz_$h.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov: " "$build/fuzz_$h.log" | tail -n 3
  fi
done
exit $status
