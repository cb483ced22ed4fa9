// Every config entry point of the adapters refuses an unknown key with the nearest allowed name:
// each registered method's config (every one of its options, misspelt), its real-scale count's
// options in the calculator, and the options of injection, activation, PEFT load/save, merging,
// Arrow routing and tfjs-layers injection. Nothing is changed by a refused call.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { CalculatorError, PRESETS, Rng, adapterCount, countParams, stateDict } from '@weft/core';
import {
  addArrowRouter, adapterMethod, adapterMethodNames, combineAdapters, injectAdapter, injectIntoLayersModel, loadPeftAdapter, mediatorMerge, oneBitMerge,
  routeByUncertainty, savePeftAdapter, setActiveAdapters, type AdapterConfigBase,
} from '../src/index.js';
import { Tiny, readCase } from './adapters-helpers.js';

/** A misspelling of `key` one edit away: a doubled last letter for short keys, else two letters swapped. */
function typo(key: string): string {
  if (key.length <= 2) return key + key.at(-1);
  for (let i = 1; i + 1 < key.length; i++) if (key[i] !== key[i + 1]) return key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
  return key + key.at(-1);
}

const hint = (bad: string, good: string) => new RegExp(`unknown option '${bad}'; did you mean '${good}'\\?`);

describe('adapter method configs', () => {
  it("injectAdapter(m, 'a', { method: 'lora', r: 2, alfa: 3 }) names alfa and suggests alpha, and leaves the model unchanged", () => {
    const model = new Tiny(new Rng(1));
    const keys = Object.keys(stateDict(model));
    const n = tf.memory().numTensors;
    expect(() => injectAdapter(model, 'a', { method: 'lora', targets: ['fc1'], r: 2, alfa: 3 } as AdapterConfigBase)).toThrow(
      /LoRA config: unknown option 'alfa'; did you mean 'alpha'\? \(allowed: r, alpha, dropout, rslora, dora, initWeights, rankPattern, alphaPattern, method, targets, exclude\)/,
    );
    expect(Object.keys(stateDict(model))).toEqual(keys);
    expect(tf.memory().numTensors).toBe(n);
    model.dispose();
  });

  for (const method of adapterMethodNames()) {
    const keys = [...Object.keys(adapterMethod(method).defaults), 'targets', 'exclude'];
    it(`${method}: a misspelt ${keys.join(', ')} is refused with the intended name`, () => {
      const model = new Tiny(new Rng(1));
      for (const key of keys) {
        const bad = typo(key);
        expect(() => injectAdapter(model, 'a', { method, targets: ['fc1'], [bad]: 1 } as AdapterConfigBase), `${method}.${key}`).toThrow(hint(bad, key));
      }
      model.dispose();
    });

    const count = adapterMethod(method).count;
    if (count) {
      it(`${method}: the calculator refuses a misspelt option of its count`, () => {
        const options = Object.keys(adapterCount(method).options);
        const r = options.includes('r') ? { r: 8 } : {}; // the PEFT counts take r without a default
        for (const key of [...options, 'targetModules']) {
          const bad = typo(key);
          const call = () => countParams(PRESETS['Llama-2-7b'].config, { adapter: { method, ...r, targetModules: ['q_proj'], [bad]: 1 } });
          expect(call, `${method}.${key}`).toThrow(CalculatorError);
          expect(call, `${method}.${key}`).toThrow(hint(bad, key));
        }
      });
    }
  }
});

describe('the other entry points', () => {
  const lora = { method: 'lora', targets: ['fc1', 'fc2'], r: 2, initWeights: false } as AdapterConfigBase;
  const withAdapters = () => {
    const model = new Tiny(new Rng(1));
    injectAdapter(model, 'a', lora, { rng: new Rng(2) });
    injectAdapter(model, 'b', lora, { rng: new Rng(3) });
    return model;
  };

  it('injectAdapter options', () => {
    const model = new Tiny(new Rng(1));
    expect(() => injectAdapter(model, 'a', lora, { freezeBse: false } as object)).toThrow(hint('freezeBse', 'freezeBase'));
    expect(() => injectAdapter(model, 'a', lora, { strictRnak: false } as object)).toThrow(hint('strictRnak', 'strictRank'));
    model.dispose();
  });

  it('setActiveAdapters options', () => {
    const model = withAdapters();
    expect(() => setActiveAdapters(model, 'a', { freezBase: false } as object)).toThrow(hint('freezBase', 'freezeBase'));
    model.dispose();
  });

  it('combineAdapters (merging) options', async () => {
    const model = withAdapters();
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'ab', { method: 'ties-merging', densty: 0.5 } as object)).rejects.toThrow(hint('densty', 'density'));
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'ab', { methd: 'dare' } as object)).rejects.toThrow(hint('methd', 'method'));
    await expect(combineAdapters(model, ['a', 'b'], [1, 1], 'ab', { method: 'ties-merging', majortySign: 'total' } as object)).rejects.toThrow(hint('majortySign', 'majoritySign'));
    model.dispose();
  });

  it('addArrowRouter options', async () => {
    const model = withAdapters();
    await expect(addArrowRouter(model, 'router', ['a', 'b'], { topk: 1 } as object)).rejects.toThrow(hint('topk', 'topK'));
    await expect(addArrowRouter(model, 'router', ['a', 'b'], { temprature: 1 } as object)).rejects.toThrow(hint('temprature', 'temperature'));
    await expect(addArrowRouter(model, 'router', ['a'], { genral: ['b'] } as object)).rejects.toThrow(hint('genral', 'general'));
    model.dispose();
  });

  it('routed merges (Mediator, 1bit-Merging, uncertainty routing) options', async () => {
    const model = withAdapters();
    await expect(mediatorMerge(model, ['a', 'b'], 'med', { densty: 0.5 } as object)).rejects.toThrow(hint('densty', 'density'));
    await expect(mediatorMerge(model, ['a', 'b'], 'med', { rotued: 0.5 } as object)).rejects.toThrow(hint('rotued', 'routed'));
    await expect(oneBitMerge(model, ['a', 'b'], 'bit', { routedLayer: {} } as object)).rejects.toThrow(hint('routedLayer', 'routedLayers'));
    await expect(oneBitMerge(model, ['a', 'b'], 'bit', { fusedWieght: 1 } as object)).rejects.toThrow(hint('fusedWieght', 'fusedWeight'));
    const z = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => routeByUncertainty([z], { confidnce: 0.5 } as object)).toThrow(hint('confidnce', 'confidence'));
    z.dispose();
    model.dispose();
  });

  it('PEFT load and save options', async () => {
    const model = new Tiny(new Rng(1));
    const { files } = readCase('lora');
    await expect(loadPeftAdapter(model, files, { nmae: 'x' } as object)).rejects.toThrow(hint('nmae', 'name'));
    await expect(loadPeftAdapter(model, files, { allowNonFinte: true } as object)).rejects.toThrow(hint('allowNonFinte', 'allowNonFinite'));
    await expect(loadPeftAdapter(model, { ...files, safetensor: files.safetensors } as unknown as typeof files)).rejects.toThrow(hint('safetensor', 'safetensors'));
    await loadPeftAdapter(model, files);
    await expect(savePeftAdapter(model, { renme: (p: string) => p } as object)).rejects.toThrow(hint('renme', 'rename'));
    model.dispose();
  });

  it('TAPS and hypernetwork configs go through the method table (their option names are checked above); their typos name them', () => {
    const model = new Tiny(new Rng(1), [8, 8, 8]);
    expect(() => injectAdapter(model, 't', { method: 'taps', targets: ['fc1'], sparsty: 0.1 } as AdapterConfigBase)).toThrow(/TAPS config: unknown option 'sparsty'; did you mean 'sparsity'\?/);
    expect(() => injectAdapter(model, 'h', { method: 'hyper', targets: ['fc1'], task: 3 } as AdapterConfigBase)).toThrow(/Hypernetwork adapter config: unknown option 'task'; did you mean 'tasks'\?/);
    model.dispose();
  });

  it('tfjs-layers injection: the adapter config, the options, and unload', () => {
    const input = tfl.input({ shape: [4] });
    const dense = tfl.layers.dense({ units: 3, name: 'fc' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: dense });
    expect(() => injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['fc'], rr: 1 } as AdapterConfigBase)).toThrow(hint('rr', 'r'));
    expect(() => injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['fc'], r: 1 }, { activte: true } as object)).toThrow(hint('activte', 'activate'));
    const handle = injectIntoLayersModel(model, 'a', { method: 'lora', targets: ['fc'], r: 1 });
    expect(() => handle.unload({ merg: true } as object)).toThrow(hint('merg', 'merge'));
    handle.unload();
    model.dispose();
  });
});
