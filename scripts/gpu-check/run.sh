#!/usr/bin/env bash
# The GPU check, on a lent GPU machine (the device tool): the probe, then the 64×64 small-CNN and MobileNetV2-0.35
# training benches on WebGPU beside wasm on every core, as img/s. Prepare here with `node scripts/gpu-check/pack.mjs`
# (and, once, the Vulkan loader debs in .gl/ as the device README says); run there with carry [".gpu-check", ".gl"]:
#   bash scripts/gpu-check/run.sh
# STEPS_GPU / STEPS_CPU shorten or lengthen the benches, BENCH_TIMEOUT bounds each (defaults fit one device command).
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-/tmp/gpu-check}"
mkdir -p "$out"
# A bare machine may lack the Vulkan loader: unpack the carried debs (only libraries; see the device README).
if ! ldconfig -p | grep -q libvulkan.so.1 && compgen -G ".gl/*.deb" >/dev/null; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
cd .gpu-check || { echo "no .gpu-check/: run node scripts/gpu-check/pack.mjs first and carry it"; exit 2; }
[ -x node ] || { xz -dc node.xz >node && chmod +x node; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | tee "$out/gpu.txt"
./node probe.mjs 2>"$out/probe.err" | tee "$out/probe.json"
steps_gpu="${STEPS_GPU:-40}"
steps_cpu="${STEPS_CPU:-6}"
limit="${BENCH_TIMEOUT:-90}" # seconds per bench: six of them must fit one device command
# embed: MobileNetV2-1.0 at 224 px, batches of 32 (its STEPS are batches).
for kind in cnn64 mnv2 embed; do
  gpu=$(timeout "$limit" ./node bench.mjs "$kind" "$steps_gpu" auto webgpu 2>>"$out/bench.err" | tail -1)
  cpu=$(timeout "$limit" ./node bench.mjs "$kind" "$steps_cpu" auto wasm 2>>"$out/bench.err" | tail -1)
  echo "$kind webgpu ${gpu:-failed} | wasm ${cpu:-failed}" | tee -a "$out/bench.txt"
done
