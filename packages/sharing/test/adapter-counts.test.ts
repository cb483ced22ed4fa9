// Every registered method's real-scale count (its entry's `count`, read by core's calculator) agrees
// with the parameters its layers really create, by the ledger: stored once, shared parameters (MoS'
// pools, the hypernetwork) counted once per adapted layer in the effective count. Then the calculator
// counts a sharing-registered method on a transformer config.
import { describe, expect, it } from 'vitest';
import { PRESETS, Rng, adapterCount, adapterCountNames, countParams, parameterLedger, type ModelConfig, type TargetableModule } from '@weft/core';
import { AdaptedLayer, adapterMethod, adapterMethodNames, injectAdapter, type AdapterConfigBase } from '../src/index.js';
import { adapterCases } from './adapter-cases.js';
import { Tiny } from './adapters-helpers.js';

/** The calculator options of a resolved Weft config: the count's option names, read from the config. */
function countOptions(method: string, config: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(adapterCount(method).options);
  // IA3's calculator option keeps PEFT's name (feedforwardModules) for the Weft config's `feedforward`.
  const named = method === 'ia3' ? { ...config, feedforwardModules: config['feedforward'] ?? [] } : config;
  return Object.fromEntries(keys.map((k) => [k, named[k]]));
}

describe('real-scale counts', () => {
  it('every method with a count is registered with the calculator', () => {
    for (const name of adapterMethodNames()) {
      const count = adapterMethod(name).count;
      if (count) expect(adapterCount(name), name).toBe(count);
    }
    expect(adapterCountNames()).toEqual(expect.arrayContaining(adapterMethodNames().filter((n) => adapterMethod(n).count)));
  });

  const shapes: Array<[number, number, number]> = [[8, 16, 4], [8, 8, 8]];
  for (const { label, method, config } of adapterCases().filter((c) => adapterMethod(c.method).count)) {
    for (const dims of shapes) {
      // A hypernetwork generates one shape: on the first model only fc1 is targeted.
      const targets = method === 'hyper' && dims[1] !== dims[2] ? ['fc1'] : ['fc1', 'fc2'];
      it(`${label} on ${dims.join('→')}: stored and effective counts equal the ledger's`, () => {
        const model = new Tiny(new Rng(1), dims);
        const base = parameterLedger(model).totals;
        injectAdapter(model, 'a', { ...config, targets } as AdapterConfigBase, { rng: new Rng(2) });
        const t = parameterLedger(model).totals;
        const layer = (model.fc1 as unknown as AdaptedLayer).adapter('a');
        const plan = adapterCount(method).plan(countOptions(method, layer.resolvedConfig as unknown as Record<string, unknown>));
        const modules: TargetableModule[] = targets.map((p) => {
          const l = (model as unknown as Record<string, AdaptedLayer>)[p]!.base;
          return { kind: 'linear', in: l.inFeatures, out: l.outFeatures };
        });
        const perLayer = modules.reduce((s, m, i) => s + plan.params(m, targets[i]!), 0);
        const shared = plan.shared?.(modules) ?? 0;
        expect(t.trainable).toBe(perLayer + shared);
        expect(t.stored - base.stored).toBe(perLayer + shared);
        expect(t.effective - base.effective).toBe(perLayer + shared * modules.length);
        model.dispose();
      });
    }
  }

  it('the calculator counts MoS on a transformer: pools once, private shards per module', () => {
    const cfg: ModelConfig = PRESETS['Llama-2-7b'].config;
    const r = countParams(cfg, { adapter: { method: 'mos', targetModules: ['q_proj', 'o_proj'], r: 8, shardSize: 64, poolSize: 1024, privateShards: 2 } });
    const modules = 2 * cfg.num_hidden_layers;
    const pools = 2 * 1024 * 64;
    expect(r.adapter).toEqual({ method: 'mos', targetedModules: modules, params: pools + modules * 2 * 2 * 64 });
    expect(r.trainable).toBe(r.adapter!.params);
    expect(r.rows.at(-1)!.effective).toBe(modules * (pools + 2 * 2 * 64));
    expect(r.rows.at(-1)!.name).toBe('MoS r=8, 1024 shards of 64');
  });

  it('the calculator refuses what the method refuses, naming the option', () => {
    const cfg = PRESETS['Llama-2-7b'].config;
    expect(() => countParams(cfg, { adapter: { method: 'mos', targetModules: ['q_proj'], shardSize: 0 } })).toThrow(/MoS config: shardSize=0 must be a positive integer/);
    expect(() => countParams(cfg, { adapter: { method: 'mos', targetModules: ['q_proj'], shardSize: 3 } })).toThrow(/shardSize=3 at "model\.layers\.0\.self_attn\.q_proj" must divide in=4096/);
    expect(() => countParams(cfg, { adapter: { method: 'hyper', targetModules: ['q_proj', 'down_proj'] } })).toThrow(/targets must have one shape; targetModules selects 4096→4096, 11008→4096/);
    expect(() => countParams(cfg, { adapter: { method: 'taps', targetModules: ['embed_tokens'] } })).toThrow(/taps cannot wrap the embedding/);
  });
});
