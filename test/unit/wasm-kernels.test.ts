import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';
import { configureWasm } from '../../main/engine/backends';
import { registerWasmTrainingKernels } from '../../main/engine/wasm/kernels';
import { defineGradientChecks, defineTrainingGradientChecks } from '../helpers/gradient-checks';

beforeAll(async () => {
  configureWasm();
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

defineGradientChecks('wasm');
defineTrainingGradientChecks('wasm');
