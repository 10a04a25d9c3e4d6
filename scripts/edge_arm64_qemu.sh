#!/usr/bin/env bash
# Run the edge code on arm64 (Raspberry Pi 4 and 5 CPUs) under qemu user-mode emulation, on any x86 Debian
# or Ubuntu machine, without root tricks and without registering a binfmt handler with the kernel.
#
#   scripts/edge_arm64_qemu.sh                       # the onnxruntime the edge extra pins for aarch64
#   ORT_VERSIONS="1.20.1 1.23.2 1.31.1" scripts/edge_arm64_qemu.sh   # try several releases
#
# What it does, all under $WORK (default runs/arm64), re-using what an earlier run left there:
#  1. `apt-get download` debootstrap and qemu-user-static and unpacks them with `dpkg-deb -x` (no install);
#  2. `debootstrap --foreign --arch=arm64` a Debian bookworm root with python3, then unpacks every downloaded
#     package into it with `dpkg-deb -x` (the second stage would need arm64 execution as root);
#  3. installs the project's `.[edge]` dependencies as aarch64 cp311 wheels into a target folder with pip's
#     --platform option, one folder per onnxruntime release;
#  4. runs `qemu-aarch64-static -L <root> <root>/usr/bin/python3.11 -m zerowaste.cli classify --json` on real
#     photos with the shipped INT8 and FP32 models, with QEMU_CPU=cortex-a72 (Pi 4) and cortex-a76 (Pi 5),
#     and compares every label with the x86 run of the same command.
# Emulated latency is printed for what it is: qemu translating arm64 code, not a Pi's speed.
# Not part of the test command: it downloads about 150 MB and takes 10-20 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$(pwd)
WORK=${WORK:-$ROOT_DIR/runs/arm64}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PHOTOS=${PHOTOS:-$ROOT_DIR/../shared/datasets/garbage12}
PER_CLASS=${PER_CLASS:-2}
CPUS=${CPUS:-"cortex-a72 cortex-a76"}
# The x86 side needs the project installed (the README's commands make .venv); a bare python3 would
# find only the checkout's zerowaste/ folder, without its package-dir mapping.
PYTHON=${PYTHON:-$( [ -x "$ROOT_DIR/.venv/bin/python" ] && echo "$ROOT_DIR/.venv/bin/python" || echo python3 )}
"$PYTHON" -c 'import zerowaste.model.runtime' 2>/dev/null \
  || { echo "$PYTHON cannot import zerowaste: install the project first (pip install -e .) or set PYTHON" >&2; exit 2; }
# Default: the release the edge extra pins for aarch64 (read from pyproject.toml).
ORT_VERSIONS=${ORT_VERSIONS:-$(sed -n "s/.*onnxruntime==\([0-9.]*\).*platform_machine == 'aarch64'.*/\1/p" pyproject.toml)}
mkdir -p "$WORK"
TOOLS=$WORK/tools ROOTFS=$WORK/root

step() { printf '\n== %s\n' "$*" >&2; }

if [ ! -x "$TOOLS/usr/bin/qemu-aarch64-static" ] || [ ! -x "$TOOLS/usr/sbin/debootstrap" ]; then
  step "downloading debootstrap and qemu-user-static (unpacked, not installed)"
  mkdir -p "$WORK/debs" "$TOOLS"
  (cd "$WORK/debs" && apt-get download debootstrap qemu-user-static)
  for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$TOOLS"; done
fi
QEMU=$TOOLS/usr/bin/qemu-aarch64-static

if [ ! -x "$ROOTFS/usr/bin/python3.11" ]; then
  step "debootstrap --foreign --arch=arm64 $SUITE into $ROOTFS"
  DEBOOTSTRAP_DIR=$TOOLS/usr/share/debootstrap "$TOOLS/usr/sbin/debootstrap" --foreign --arch=arm64 \
    --variant=minbase --include=python3,python3-minimal,libpython3.11-stdlib,libgomp1,libstdc++6,zlib1g \
    "$SUITE" "$ROOTFS" "$MIRROR"
  step "unpacking the downloaded arm64 packages with dpkg-deb -x"
  for deb in "$ROOTFS"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done
fi
"$QEMU" -L "$ROOTFS" "$ROOTFS/usr/bin/python3.11" -c 'import platform; print("arm64 python", platform.python_version(), platform.machine())'

step "the project as a wheel, and its edge dependencies for aarch64 (cp311)"
rm -rf "$WORK/wheel" && "$PYTHON" -m pip wheel -q --no-deps --no-build-isolation . -w "$WORK/wheel" 2>/dev/null \
  || "$PYTHON" -m pip wheel -q --no-deps . -w "$WORK/wheel"
PIP_PLATFORM=(--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 --platform manylinux_2_17_aarch64
              --implementation cp --python-version 3.11 --only-binary=:all:)
if [ ! -d "$WORK/site/numpy" ]; then
  "$PYTHON" -m pip install -q --target "$WORK/site" "${PIP_PLATFORM[@]}" \
    "numpy>=1.26,<2.3" "pillow>=10.3" "tqdm>=4.66" "pyyaml>=6" "opencv-python-headless>=4.9" "pydantic>=2.7" \
    "httpx>=0.27" "pyserial>=3.5" "cryptography>=42" "flatbuffers" "protobuf" "packaging" "sympy" "coloredlogs"
fi
rm -rf "$WORK/site/zerowaste" && "$PYTHON" -m pip install -q --no-deps --target "$WORK/site" --upgrade "$WORK"/wheel/*.whl

step "x86 reference: labels of the same photos with the same command"
mapfile -t FILES < <(for d in "$PHOTOS"/*/; do find "$d" -name '*.jpg' | sort | sed -n "1,${PER_CLASS}p"; done)
[ ${#FILES[@]} -gt 0 ] || { echo "no photos under $PHOTOS (set PHOTOS=folder of class folders)" >&2; exit 2; }
for precision in int8 fp32; do
  "$PYTHON" -m zerowaste.cli classify --json --model "$(
    "$PYTHON" -c "from zerowaste.model.runtime import shipped_model_path as p; print(p('$precision'))")" \
    "${FILES[@]}" > "$WORK/x86-$precision.jsonl"
done

SUMMARY=$WORK/summary.tsv
printf 'onnxruntime\tcpu\tmodel\tresult\tlabels_equal_x86\tms_per_image_emulated\n' > "$SUMMARY"
for ort in $ORT_VERSIONS; do
  ORT_DIR=$WORK/ort-$ort
  if [ ! -d "$ORT_DIR/onnxruntime" ]; then
    "$PYTHON" -m pip install -q --no-deps --target "$ORT_DIR" "${PIP_PLATFORM[@]}" "onnxruntime==$ort" \
      || { printf '%s\t-\t-\tno aarch64 cp311 wheel\t-\t-\n' "$ort" >> "$SUMMARY"; continue; }
  fi
  for cpu in $CPUS; do
    for precision in int8 fp32; do
      step "onnxruntime $ort on $cpu, $precision"
      out=$WORK/arm64-$ort-$cpu-$precision.jsonl
      start=$(date +%s.%N)
      set +e
      # From $WORK: `python -m` puts the working directory first on sys.path, and the checkout's own
      # zerowaste/ folder (without its package-dir mapping) must not shadow the installed wheel.
      (cd "$WORK" && QEMU_CPU=$cpu PYTHONPATH="$ORT_DIR:$WORK/site" timeout 1800 "$QEMU" -L "$ROOTFS" \
        "$ROOTFS/usr/bin/python3.11" -m zerowaste.cli classify --json \
        --model "$WORK/site/zerowaste/model/shipped/zerowaste-$precision.onnx" "${FILES[@]}" > "$out" 2> "$out.err")
      rc=$?
      set -e
      secs=$(echo "$(date +%s.%N) - $start" | bc)
      if [ $rc -eq 0 ]; then
        same=$("$PYTHON" - "$WORK/x86-$precision.jsonl" "$out" <<'EOF'
import json, sys
a, b = ([json.loads(l)["label"] for l in open(p)] for p in sys.argv[1:3])
print(f"{sum(x == y for x, y in zip(a, b))}/{len(a)}" if len(a) == len(b) else f"count {len(b)} != {len(a)}")
EOF
)
        ms=$(echo "scale=0; 1000 * $secs / ${#FILES[@]}" | bc)
        printf '%s\t%s\t%s\tok\t%s\t%s\n' "$ort" "$cpu" "$precision" "$same" "$ms" >> "$SUMMARY"
      else
        why=$(case $rc in 139) echo "segmentation fault";; 132) echo "illegal instruction";; 124) echo "timeout";;
              *) echo "exit $rc";; esac)
        printf '%s\t%s\t%s\t%s\t-\t-\n' "$ort" "$cpu" "$precision" "$why" >> "$SUMMARY"
      fi
    done
  done
done
step "summary ($SUMMARY; ms include interpreter start-up and model loading, emulated)"
column -t -s $'\t' "$SUMMARY"
