#!/usr/bin/env bash
# The whole test suite from a fresh machine: install what is missing, build, run every
# Qt Test suite under ctest (unit, gui offscreen, slow, and gpu, which skips without a GPU).
#
#   scripts/test.sh [ctest args]   the normal build (./build) and every suite
#   scripts/test.sh --sanitize     ASan + UBSan build of the engine, storage and the CLI
#                                  (./build-asan, no GUI, no CUDA): the unit suites and the
#                                  bad-input matrix (ctest -L unit)
#   scripts/test.sh --tsan         ThreadSanitizer build (./build-tsan): the run-store
#                                  suites (ctest -L storage: the writer thread, concurrent
#                                  writers, the CLI against the store)
# Any sanitizer report fails the suite that triggered it (exit code 86, no recovery).
set -euo pipefail
cd "$(dirname "$0")/.."

lane=normal
case "${1:-}" in
  --sanitize) lane=asan; shift ;;
  --tsan) lane=tsan; shift ;;
esac

scripts/install-deps.sh
export QT_QPA_PLATFORM=offscreen

if [ "$lane" = normal ]; then
  scripts/build.sh
  exec ctest --test-dir build --output-on-failure --timeout 1800 -j1 "$@"
fi

# A sanitizer build in its own folder; ccache makes rebuilds cheap when it is there.
sanitized_build() {
  local dir=$1 sanitizers=$2
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  mkdir -p "$dir"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHALFLAB_SANITIZE="$sanitizers" \
    -DHALFLAB_WITH_GUI=OFF -DHALFLAB_WITH_CUDA=OFF "${launcher[@]}" >"$dir/configure.log" 2>&1 || {
    cat "$dir/configure.log"; exit 1; }
}

if [ "$lane" = asan ]; then
  sanitized_build build-asan address,undefined
  mapfile -t suites < <(ctest --test-dir build-asan -N -L unit | sed -n 's/^ *Test *#[0-9]*: //p')
  cmake --build build-asan -j"$(nproc)" --target halflab-cli "${suites[@]}"
  # Leaks count as failures; reports end the process with a code no test expects.
  export ASAN_OPTIONS="detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="print_stacktrace=1:exitcode=86"
  exec ctest --test-dir build-asan --output-on-failure --timeout 1800 -j1 -L unit "$@"
fi

sanitized_build build-tsan thread
# Only the run-store suites and what they run (the CLI).
mapfile -t suites < <(ctest --test-dir build-tsan -N -L storage | sed -n 's/^ *Test *#[0-9]*: //p')
cmake --build build-tsan -j"$(nproc)" --target halflab-cli "${suites[@]}"
# The suites start child processes (QProcess forks a multi-threaded parent), which TSan
# refuses by default.
# Qt itself is not instrumented: tests/sanitizers/tsan.supp names the Qt-internal reports.
export TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1:die_after_fork=0:suppressions=$PWD/tests/sanitizers/tsan.supp"
exec ctest --test-dir build-tsan --output-on-failure --timeout 1800 -j1 -L storage "$@"
