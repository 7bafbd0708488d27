// The gradient checks of wasm-kernels.test.ts, on TensorFlow.js's WebGPU backend through Dawn. Here it runs on
// Mesa's lavapipe (a CPU Vulkan driver: .ci/run installs it from Debian's bookworm-backports), forced — `auto`
// never picks a software adapter — which checks the kernels, not their speed.
import { beforeAll } from 'vitest';
import { useBackend } from '../../main/engine/backends';
import { defineGradientChecks, defineTrainingGradientChecks } from '../helpers/gradient-checks';

beforeAll(async () => {
  await useBackend('webgpu');
}, 60_000);

defineGradientChecks('webgpu', { maxPoolTies: 'last' });
defineTrainingGradientChecks('webgpu');
