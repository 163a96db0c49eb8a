#!/usr/bin/env bash
# Builds the CUDA backend on a GPU machine, runs its parity checks against the CPU
# backend (halflab-gpu-check, no Qt needed) and benchmarks it beside PyTorch eager
# (tests/perf/peer_pytorch_gpu.py), then prints one table.
#
# The GPU machine has nvcc, cmake, PyTorch and the nvidia pip wheels but no Qt and no
# Debian -dev packages. HalfLab's configure needs, besides CUDA:
#   OpenBLAS (cblas.h, libopenblas + libgfortran), zlib, nlohmann_json 3, CLI11 2,
#   SQLiteCpp (+ sqlite3), and oneDNN if engine/CMakeLists.txt asks for it.
# None of these can be pip-installed as CMake packages, so they are carried: on a machine
# with the Debian packages run
#     scripts/gpu-check.sh --pack-deps .gpu-deps/deps
# which copies the headers, libraries and CMake package files into one prefix and packs it
# as .gpu-deps/deps.tar.xz (about 20 MB); carry that and on the GPU machine run
#     scripts/gpu-check.sh --deps .gpu-deps/deps.tar.xz
# cuDNN: the toolkit's copy is used when present, else the pip wheel nvidia-cudnn-cu12
# (found through python3 -c 'import nvidia.cudnn'), passed as -DHALFLAB_CUDNN_ROOT.
#
# Usage: scripts/gpu-check.sh [--deps PREFIX] [--build DIR] [--batches LIST] [--steps N]
#                             [--skip-checks] [--skip-bench]
#        scripts/gpu-check.sh --pack-deps OUT
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-gpu"
DEPS=""
BATCHES=128,256,1024
STEPS=200
RUN_CHECKS=1
RUN_BENCH=1
PACK=""

die() { echo "gpu-check.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --deps)
      DEPS="${2:?--deps needs a folder or the .tar.xz from --pack-deps}"
      if [[ -f "$DEPS" ]]; then  # the packed archive: unpack it next to /tmp
        mkdir -p /tmp/halflab-deps && tar -C /tmp/halflab-deps -xJf "$DEPS"
        DEPS="$(find /tmp/halflab-deps -mindepth 1 -maxdepth 1 -type d | head -1)"
      fi
      DEPS="$(cd "$DEPS" && pwd)"; shift 2 ;;
    --build) BUILD="${2:?--build needs a folder}"; shift 2 ;;
    --batches) BATCHES="${2:?--batches needs a list such as 128,256,1024}"; shift 2 ;;
    --steps) STEPS="${2:?}"; shift 2 ;;
    --skip-checks) RUN_CHECKS=0; shift ;;
    --skip-bench) RUN_BENCH=0; shift ;;
    --pack-deps) PACK="${2:?--pack-deps needs an output folder}"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# --- Packing the non-CUDA dependencies (run where the Debian packages are installed) ---
if [[ -n "$PACK" ]]; then
  # Same layout as /usr, so the CMake package files find their headers and libraries
  # relative to themselves.
  arch_lib=/usr/lib/x86_64-linux-gnu
  mkdir -p "$PACK/include" "$PACK/lib/x86_64-linux-gnu"
  cp -a /usr/include/nlohmann /usr/include/CLI /usr/include/SQLiteCpp "$PACK/include/"
  cp -a /usr/include/sqlite3.h /usr/include/sqlite3ext.h /usr/include/zlib.h /usr/include/zconf.h "$PACK/include/"
  cp -L /usr/include/x86_64-linux-gnu/cblas.h "$PACK/include/" 2>/dev/null || cp -L /usr/include/cblas.h "$PACK/include/"
  cp -L /usr/include/x86_64-linux-gnu/openblas_config.h "$PACK/include/" 2>/dev/null || true
  [[ -d /usr/include/oneapi ]] && cp -a /usr/include/oneapi "$PACK/include/"
  cp -a /usr/include/dnnl*.h* "$PACK/include/" 2>/dev/null || true
  for pat in 'libopenblas*.so*' 'libblas.so*' 'libgfortran.so*' 'libquadmath.so*' 'libz.so*' 'libz.a' \
             'libsqlite3.so*' 'libSQLiteCpp*' 'libdnnl.so*' 'libgomp.so*' 'libOpenCL.so*'; do
    # (Debian's libdnnl links libOpenCL.so.1, which a bare machine may not have.)
    # -L: Debian's lib names are symlinks into /etc/alternatives, which the GPU machine lacks.
    find "$arch_lib" -maxdepth 2 -name "$pat" -exec cp -L {} "$PACK/lib/x86_64-linux-gnu/" \; 2>/dev/null || true
  done
  for d in "$arch_lib"/cmake/{nlohmann_json,CLI11,SQLiteCpp,openblas} /usr/share/cmake/{nlohmann_json,CLI11} \
           /usr/lib/cmake/{nlohmann_json,CLI11}; do
    [[ -d "$d" ]] || continue
    rel="${d#/usr/}"
    mkdir -p "$PACK/$(dirname "$rel")" && cp -a "$d" "$PACK/$rel"
  done
  # Fashion-MNIST (Debian's dataset-fashion-mnist): the benchmark trains on it.
  mkdir -p "$PACK/fashion-mnist" && cp -L /usr/share/datasets/fashion-mnist/*.gz "$PACK/fashion-mnist/"
  [[ -d /usr/share/pkgconfig ]] && mkdir -p "$PACK/share/pkgconfig" && cp -a /usr/share/pkgconfig/nlohmann_json.pc "$PACK/share/pkgconfig/" 2>/dev/null || true
  # Copies of one library under several names (libfoo.so, .so.0, .so.0.1) become relative
  # symlinks to one file again.
  (cd "$PACK/lib/x86_64-linux-gnu" && md5sum lib*.so* 2>/dev/null | sort | awk '{ if ($1 == prev) print first, $2; else { prev = $1; first = $2 } }' |
     while read -r keep dup; do ln -sf "$keep" "$dup"; done)
  # The libraries alone exceed what a device call carries (64 MiB): ship them as .tar.xz.
  tar -C "$(dirname "$PACK")" -cJf "$PACK.tar.xz" "$(basename "$PACK")"
  echo "packed into $PACK.tar.xz ($(du -sh "$PACK.tar.xz" | cut -f1)); carry it and pass --deps $PACK.tar.xz on the GPU machine"
  exit 0
fi

command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]] || die "nvcc not found (add the CUDA toolkit's bin to PATH)"
command -v cmake >/dev/null || die "cmake not found"
export PATH="$PATH:/usr/local/cuda/bin"

CMAKE_ARGS=(-DHALFLAB_WITH_GUI=OFF -DHALFLAB_BUILD_TESTS=OFF -DHALFLAB_WITH_CUDA=ON -DCMAKE_BUILD_TYPE=Release)
if [[ -n "$DEPS" ]]; then
  CMAKE_ARGS+=("-DCMAKE_PREFIX_PATH=$DEPS" "-DCMAKE_LIBRARY_PATH=$DEPS/lib/x86_64-linux-gnu"
               "-DCMAKE_INCLUDE_PATH=$DEPS/include")
  export LD_LIBRARY_PATH="$DEPS/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if [[ -d "$DEPS/fashion-mnist" ]]; then
    CMAKE_ARGS+=("-DHALFLAB_FASHION_MNIST_DIR=$DEPS/fashion-mnist")
    export HALFLAB_FASHION_MNIST_DIR="$DEPS/fashion-mnist"
  fi
fi
# cuDNN from the pip wheel when the toolkit has none.
if ! ls /usr/local/cuda/include/cudnn.h >/dev/null 2>&1; then
  # nvidia.cudnn may be a namespace package (no __file__): take its first path entry.
  CUDNN_ROOT="$(python3 -c 'import nvidia.cudnn; print(list(nvidia.cudnn.__path__)[0])' 2>/dev/null || true)"
  if [[ -n "$CUDNN_ROOT" && -e "$CUDNN_ROOT/lib/libcudnn.so.9" ]]; then
    CMAKE_ARGS+=("-DHALFLAB_CUDNN_ROOT=$CUDNN_ROOT")
    export LD_LIBRARY_PATH="$CUDNN_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi
# cuBLAS from the pip wheel when the toolkit's is missing at run time.
CUBLAS_ROOT="$(python3 -c 'import nvidia.cublas; print(list(nvidia.cublas.__path__)[0])' 2>/dev/null || true)"
[[ -n "$CUBLAS_ROOT" && -d "$CUBLAS_ROOT/lib" ]] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$CUBLAS_ROOT/lib"

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
echo "== configure ($BUILD)"
cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" "${CMAKE_ARGS[@]}" \
  || die "configure failed: the non-CUDA dependencies are probably missing; see the header of this script (--pack-deps / --deps)"
echo "== build"
cmake --build "$BUILD" --target halflab-gpu-check halflab-cli -j "$(nproc)"
CHECK="$(find "$BUILD" -name halflab-gpu-check -type f -perm -u+x | head -1)"
[[ -x "$CHECK" ]] || die "halflab-gpu-check was not built"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
status=0
if [[ $RUN_CHECKS == 1 ]]; then
  echo "== parity checks (CUDA backend vs CPU backend)"
  "$CHECK" --require-gpu || status=$?
fi

if [[ $RUN_BENCH == 1 ]]; then
  echo "== benchmark: HalfLab CUDA vs PyTorch eager, batches $BATCHES, $STEPS timed steps"
  merge() { python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]) + json.loads(sys.argv[2])))' "$1" "$2"; }
  OURS='[]'
  PEER='[]'
  for BATCH in ${BATCHES//,/ }; do
    OURS="$(merge "$OURS" "$("$CHECK" --bench --batch "$BATCH" --steps "$STEPS" --json)")"
    PEER="$(merge "$PEER" "$(python3 "$ROOT/tests/perf/peer_pytorch_gpu.py" --batch "$BATCH" --steps "$STEPS" --json || echo '[]')")"
  done
  # The GEMM-bound MLP (784-4096-4096-10, batch 4096): fp16-amp vs fp32 and % of the FP16 peak.
  OURS="$(merge "$OURS" "$("$CHECK" --bench --models mlp4096 --modes fp32,tf32,fp16-amp,bf16-amp --batch 4096 --steps 50 --json)")"
  PEER="$(merge "$PEER" "$(python3 "$ROOT/tests/perf/peer_pytorch_gpu.py" --models mlp4096 --modes fp32,tf32,fp16-amp,bf16-amp --batch 4096 --steps 50 --json || echo '[]')")"
  python3 - "$OURS" "$PEER" <<'PY'
import json, sys
ours, peer = json.loads(sys.argv[1]), json.loads(sys.argv[2])
key = lambda r: (r["model"], r["mode"], r["batch"])
p = {key(r): r for r in peer}
print(f"{'model':8} {'mode':9} {'batch':>6} {'halflab samples/s':>18} {'pytorch samples/s':>18} {'ratio':>7} {'halflab MiB':>12} {'pytorch MiB':>12}  status")
for r in ours:
    q = p.get(key(r))
    ratio = (r["samples_per_s"] / q["samples_per_s"]) if q and q["samples_per_s"] else float("nan")
    print(f"{r['model']:8} {r['mode']:9} {r['batch']:6} {r['samples_per_s']:18.0f} {q['samples_per_s'] if q else float('nan'):18.0f} "
          f"{ratio:7.2f} {r['memory_mib']:12.1f} {q['memory_mib'] if q else float('nan'):12.1f}  {r['status']}")
# GEMM-bound MLP: ~6 FLOP per parameter per sample (forward + both backward GEMMs).
params = 784 * 4096 + 4096 * 4096 + 4096 * 10
wide = {r["mode"]: r for r in ours if r["model"] == "mlp4096"}
for mode, r in wide.items():
    tflops = r["samples_per_s"] * 6 * params / 1e12
    print(f"mlp4096 {mode:9} {tflops:7.1f} TFLOP/s = {100 * tflops / 989:5.1f}% of the H100 SXM dense FP16 peak (989)")
if "fp32" in wide and "fp16-amp" in wide and wide["fp32"]["samples_per_s"]:
    print(f"mlp4096 fp16-amp / fp32 samples/s: {wide['fp16-amp']['samples_per_s'] / wide['fp32']['samples_per_s']:.2f}x (target >= 2.5x)")
PY
  # The same engine through the user's front door: halflab-cli bench on the GPU.
  CLI="$(find "$BUILD" -name halflab-cli -type f -perm -u+x | head -1)"
  if [[ -x "$CLI" ]]; then
    echo "== halflab-cli bench --device cuda (MLP, batch 256)"
    "$CLI" bench --device cuda --model mlp --batch 256 --modes fp32,tf32,fp16-amp,bf16-amp --steps "$STEPS" || status=1
  fi
fi
exit $status
