// Conformance rows of @weft/sharing's adapters: every method injected into a one-Linear classifier
// (kept tiny for WebGPU on SwiftShader; adapters initialised non-trivially so every adapter
// parameter gets a gradient), base frozen. The adapter matrix in packages/sharing/test covers deeper models.
import * as tf from '@tensorflow/tfjs-core';
import { MLPClassifier, type Rng } from '@weft/core';
import { injectAdapter, type AdapterConfigBase } from '@weft/sharing';
import { addConformanceRows } from '../matrix.js';

const floats = (rng: Rng, shape: number[]) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);

const adapted = (config: Omit<AdapterConfigBase, 'targets'> & Record<string, unknown>) => (rng: Rng) => {
  const model = new MLPClassifier({ inFeatures: 4, hidden: [], numClasses: 3 }, rng);
  injectAdapter(model, 'a', { ...config, targets: 'layers\\.[0-9]+' } as AdapterConfigBase, { rng: rng.fork('adapter') });
  return model;
};

addConformanceRows(
  { name: 'adapters/LoRA (rsLoRA, dropout)', make: adapted({ method: 'lora', r: 3, alpha: 2, rslora: true, dropout: 0.1, initWeights: false }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  { name: 'adapters/DoRA', make: adapted({ method: 'lora', r: 2, alpha: 2, dora: true, initWeights: false }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  { name: 'adapters/LoHa', make: adapted({ method: 'loha', r: 2, alpha: 2, initWeights: false }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  { name: 'adapters/LoKr', make: adapted({ method: 'lokr', r: 1, alpha: 1, decomposeBoth: true, initWeights: false }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  {
    name: 'adapters/TAPS',
    make: adapted({ method: 'taps', sparsity: 0.01 }),
    input: (rng) => ({ x: floats(rng, [5, 4]) }),
    noGradient: { paths: ['layers.0.a.score'], why: 'the score\'s straight-through gradient is ⟨∂L/∂y, x·δW⟩, zero while δW is at its zero init' },
  },
  { name: 'adapters/Residual (Rebuffi 1×1)', make: adapted({ method: 'residual' }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  { name: 'adapters/ETHER', make: adapted({ method: 'ether' }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  { name: 'adapters/ETHER+', make: adapted({ method: 'ether', plus: true }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
  {
    name: 'adapters/MoS (shared shard pools)',
    make: (rng) => {
      const model = adapted({ method: 'mos', r: 2, shardSize: 1, poolSize: 8, privateShards: 1 })(rng);
      // The B pool starts at zero (a no-op adapter); give it values so every shard gets a gradient.
      for (const [path, v] of model.namedParameters()) if (/pool_b|private_b/.test(path)) v.assign(floats(rng, v.shape));
      return model;
    },
    input: (rng) => ({ x: floats(rng, [5, 4]) }),
  },
  {
    name: 'adapters/MoKA',
    make: (rng) => {
      const model = adapted({ method: 'moka', experts: 2 })(rng);
      for (const [path, v] of model.namedParameters()) if (path.endsWith('kron_b')) v.assign(floats(rng, v.shape)); // B starts at zero
      return model;
    },
    input: (rng) => ({ x: floats(rng, [5, 4]) }),
  },
  {
    name: 'adapters/Hypernetwork (shared generator)',
    make: (rng) => {
      const model = adapted({ method: 'hyper', tasks: 2, taskDim: 3, layerDim: 2, hidden: 4, r: 2 })(rng);
      for (const [path, v] of model.namedParameters()) if (path.endsWith('headB')) v.assign(floats(rng, v.shape)); // starts at zero
      return model;
    },
    input: (rng) => ({ x: floats(rng, [5, 4]) }),
  },
  { name: 'adapters/IA3', make: adapted({ method: 'ia3', feedforward: ['0'], initWeights: false }), input: (rng) => ({ x: floats(rng, [5, 4]) }) },
);
