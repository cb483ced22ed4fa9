// Conformance rows of @weft/nas: a mixed op over every registered op of each space (the op
// registry, read when the row is built: a newly registered op joins these rows with no edit here),
// a DARTS supernet (vector), a discrete genotype network, the entangled supernet in TangleNAS
// superposition (mlp, mlp with activation choices, cnn) and an extracted subnet. Tiny sizes: they
// run on WebGPU.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@weft/core';
import { DiscreteNetwork, EntangledSupernet, MixedOp, SearchNetwork, extractSubnet, opNames, randomGenotype, resolveSpace } from '@weft/nas';
import { addConformanceRows } from '../matrix.js';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
// WebGPU on SwiftShader compiles a shader per op and shape: the supernet rows are one-node cells
// with few ops. The full conv supernet, PC-DARTS and discrete genotype networks are checked on
// wasm/cpu in packages/nas/test.
const vector = { space: 'vector' as const, steps: 1, channels: 4, inChannels: 3, numOutputs: 2, ops: ['none', 'skip_connect', 'linear', 'tanh'] };

addConformanceRows(
  // Every vector op: the stacked ones share one batched matmul, any without a stacked form runs as its own module.
  { name: 'nas/MixedOp (every registered vector op)', make: (rng) => new MixedOp({ ops: opNames('vector'), space: 'vector', channels: 4 }, rng), input: (rng) => ({ x: floats(rng, [3, 4]) }) },
  // Every conv op at stride 1 (stride 2 and the factorized reduce are checked on wasm/cpu in packages/nas/test). No exemptions.
  { name: 'nas/MixedOp (every registered conv op)', make: (rng) => new MixedOp({ ops: opNames('conv'), space: 'conv', channels: 2 }, rng), input: (rng) => ({ x: floats(rng, [2, 4, 4, 2]) }) },
  { name: 'nas/SearchNetwork (vector)', make: (rng) => new SearchNetwork(vector, rng), input: (rng) => ({ x: floats(rng, [4, 3]) }) },
  { name: 'nas/DiscreteNetwork (vector genotype)', make: (rng) => new DiscreteNetwork(randomGenotype(resolveSpace(vector), new Rng(0)), vector, rng), input: (rng) => ({ x: floats(rng, [4, 3]) }) },
  { name: 'nas/EntangledSupernet (mlp, TangleNAS superposition)', make: (rng) => new EntangledSupernet({ kind: 'mlp', inFeatures: 3, numOutputs: 2, widthChoices: [2, 4] }, rng), input: (rng) => ({ x: floats(rng, [4, 3]) }) },
  {
    name: 'nas/EntangledSupernet (mlp, activation choices)',
    make: (rng) => new EntangledSupernet({ kind: 'mlp', inFeatures: 3, numOutputs: 2, depthChoices: [1, 2], widthChoices: [2, 4], activationChoices: ['relu', 'tanh'] }, rng),
    input: (rng) => ({ x: floats(rng, [4, 3]) }),
  },
  { name: 'nas/EntangledSupernet (cnn, TangleNAS superposition)', make: (rng) => new EntangledSupernet({ kind: 'cnn', inFeatures: 1, numOutputs: 2, depthChoices: [1, 2], widthChoices: [2, 3], kernelChoices: [1, 3] }, rng), input: (rng) => ({ x: floats(rng, [2, 5, 5, 1]) }) },
  {
    name: 'nas/SubnetNetwork (extracted)',
    make: (rng) => extractSubnet(new EntangledSupernet({ kind: 'mlp', inFeatures: 3, numOutputs: 2, widthChoices: [2, 4] }, rng), { depth: 2, widths: [4, 2, 2] }),
    input: (rng) => ({ x: floats(rng, [4, 3]) }),
  },
);

