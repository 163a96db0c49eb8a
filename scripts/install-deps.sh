#!/usr/bin/env bash
# Installs the Debian 12 packages HalfLab needs, only if any is missing. clang-14 with its
# fuzzer runtime and OpenMP builds the libFuzzer harnesses (tests/fuzz, a slow test).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev
  libopenblas-dev libdnnl-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev libcsv-dev dataset-fashion-mnist
  libboost-math-dev
  xvfb xauth
  clang-14 libclang-rt-14-dev libomp-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
