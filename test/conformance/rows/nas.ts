// Conformance rows of @weft/nas: mixed ops (conv primitives, stacked vector candidates), DARTS
// supernets (vector, conv, PC-DARTS), a discrete genotype network, the entangled supernet in
// TangleNAS superposition (mlp, cnn) and an extracted subnet. Tiny sizes: they run on WebGPU.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@weft/core';
import { DiscreteNetwork, EntangledSupernet, MixedOp, SearchNetwork, extractSubnet, randomGenotype, resolveSpace } from '@weft/nas';
import { addConformanceRows } from '../matrix.js';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
const vector = { space: 'vector' as const, steps: 2, channels: 4, inChannels: 3, numOutputs: 2 };
const conv = { space: 'conv' as const, steps: 1, multiplier: 1, channels: 2, layers: 3, numOutputs: 3, ops: ['none', 'max_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'dil_conv_3x3'] };

addConformanceRows(
  { name: 'nas/MixedOp (vector, stacked)', make: (rng) => new MixedOp({ ops: ['none', 'skip_connect', 'linear', 'gated_linear', 'relu_linear', 'tanh'], space: 'vector', channels: 4 }, rng), input: (rng) => ({ x: floats(rng, [3, 4]) }) },
  { name: 'nas/MixedOp (DARTS primitives)', make: (rng) => new MixedOp({ ops: ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'dil_conv_3x3'], space: 'conv', channels: 2 }, rng), input: (rng) => ({ x: floats(rng, [2, 4, 4, 2]) }) },
  { name: 'nas/SearchNetwork (vector)', make: (rng) => new SearchNetwork(vector, rng), input: (rng) => ({ x: floats(rng, [4, 3]) }) },
  { name: 'nas/SearchNetwork (PC-DARTS, vector)', make: (rng) => new SearchNetwork({ ...vector, partialChannels: 2, edgeNormalization: true }, rng), input: (rng) => ({ x: floats(rng, [4, 3]) }) },
  { name: 'nas/SearchNetwork (conv 8×8)', make: (rng) => new SearchNetwork(conv, rng), input: (rng) => ({ x: floats(rng, [2, 8, 8, 1]) }) },
  { name: 'nas/DiscreteNetwork (conv genotype)', make: (rng) => new DiscreteNetwork(randomGenotype(resolveSpace(conv), new Rng(0)), conv, rng), input: (rng) => ({ x: floats(rng, [2, 8, 8, 1]) }) },
  { name: 'nas/EntangledSupernet (mlp, TangleNAS superposition)', make: (rng) => new EntangledSupernet({ kind: 'mlp', inFeatures: 3, numOutputs: 2, widthChoices: [2, 4] }, rng), input: (rng) => ({ x: floats(rng, [4, 3]) }) },
  { name: 'nas/EntangledSupernet (cnn, TangleNAS superposition)', make: (rng) => new EntangledSupernet({ kind: 'cnn', inFeatures: 1, numOutputs: 2, depthChoices: [1, 2], widthChoices: [2, 3], kernelChoices: [1, 3] }, rng), input: (rng) => ({ x: floats(rng, [2, 5, 5, 1]) }) },
  {
    name: 'nas/SubnetNetwork (extracted)',
    make: (rng) => extractSubnet(new EntangledSupernet({ kind: 'mlp', inFeatures: 3, numOutputs: 2, widthChoices: [2, 4] }, rng), { depth: 2, widths: [4, 2, 2] }),
    input: (rng) => ({ x: floats(rng, [4, 3]) }),
  },
);

