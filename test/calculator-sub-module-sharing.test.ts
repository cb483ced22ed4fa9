// The calculator's sub-module sharing options against the built Weft models' ledgers at toy scale:
// MobiLlama (arXiv:2402.16840; `ffnSharing: 'all-shared'`: one FFN for every layer) as a llama
// config vs sharedTransformer({ ffnPlan }), and Megrez2 (arXiv:2507.17728; `expertSharing`
// block-repeat 3: adjacent layers reuse an expert bank) as a mixtral config vs megrez2Transformer.
// Per component (attention, ffn, experts, router, norms, embeddings, head) the stored and effective
// counts must be equal exactly; active per token too for the routed experts (the ledger's (layers on
// a bank)·k/E share of each bank equals the calculator's k experts per layer). Weft's TinyTransformer
// has a learned position table that llama/mixtral (rotary) lack: it is left out of the totals.
import { describe, expect, it } from 'vitest';
import { Rng, countParams, parameterLedger, type BreakdownRow, type CountOptions, type Ledger, type Module, type ModelConfig } from '@weft/core';
import { sharedTransformer } from '@weft/sharing';
import { megrez2Transformer } from '@weft/moe';

/** The calculator component a Weft ledger path belongs to (null: Weft's position table). */
function componentOf(path: string): string | null {
  if (path.startsWith('positions.')) return null;
  if (path.startsWith('tokens.')) return 'embeddings';
  if (path.startsWith('head.')) return 'head';
  if (/\.attn\./.test(path)) return 'attention';
  if (/\.ffn\.experts\./.test(path)) return 'experts';
  if (/\.ffn\.router\./.test(path)) return 'router';
  if (/\.ffn\./.test(path)) return 'ffn';
  if (/(^|\.)norm\d?\./.test(path)) return 'norms';
  throw new Error(`unmapped ledger path ${path}`);
}

/** Stored, effective and active per component from a ledger (each variable's stored size counted once). */
function ledgerByComponent(l: Ledger): Record<string, { stored: number; effective: number; active: number }> {
  const out: Record<string, { stored: number; effective: number; active: number }> = {};
  for (const u of l.unique) {
    const c = componentOf(u.paths[0]!);
    if (c === null) continue;
    for (const p of u.paths) expect(componentOf(p)).toBe(c); // a variable never spans components
    const o = (out[c] ??= { stored: 0, effective: 0, active: 0 });
    o.stored += u.size;
    o.effective += u.size * u.uses;
    o.active += u.size * u.activeShare;
  }
  return out;
}

function calculatorByComponent(config: ModelConfig, options: CountOptions) {
  const r = countParams(config, options);
  const out: Record<string, { stored: number; effective: number; active: number }> = {};
  for (const row of r.rows as BreakdownRow[]) {
    const o = (out[row.component] ??= { stored: 0, effective: 0, active: 0 });
    o.stored += row.stored;
    o.effective += row.effective;
    o.active += row.activePerToken;
  }
  return { rows: out, report: r };
}

function expectEqualCounts(model: Module, config: ModelConfig, options: CountOptions, activeToo: string[]) {
  const l = parameterLedger(model);
  const weft = ledgerByComponent(l);
  const { rows, report } = calculatorByComponent(config, options);
  expect(Object.keys(weft).sort()).toEqual(Object.keys(rows).sort());
  for (const c of Object.keys(rows)) {
    expect([c, weft[c]!.stored, weft[c]!.effective]).toEqual([c, rows[c]!.stored, rows[c]!.effective]);
    if (activeToo.includes(c)) expect([c, weft[c]!.active]).toEqual([c, rows[c]!.active]);
  }
  const positions = l.unique.filter((u) => u.paths[0]!.startsWith('positions.')).reduce((s, u) => s + u.size, 0);
  expect(report.stored).toBe(l.totals.stored - positions);
  expect(report.effective).toBe(l.totals.effective - positions);
  return report;
}

describe('calculator sub-module sharing = the built model\'s ledger', () => {
  it('MobiLlama: ffnSharing all-shared stores one FFN and uses it in every layer', () => {
    const llama = { model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 4, num_attention_heads: 2, num_key_value_heads: 1 } as ModelConfig;
    const model = sharedTransformer({ vocabSize: 10, maxLen: 6, dim: 8, depth: 4, numHeads: 2, numKVHeads: 1, norm: 'rmsnorm', gated: true, mlpHidden: 16, bias: false, ffnPlan: 'all-shared' }, new Rng(1));
    const report = expectEqualCounts(model, llama, { ffnSharing: 'all-shared' }, []);
    const plain = countParams(llama);
    const ffn = 3 * 8 * 16;
    expect(plain.total - report.total).toBe(3 * ffn); // three of the four FFNs are no longer stored
    expect(report.effective).toBe(plain.total);
    model.dispose();
  });

  it('Megrez2: expertSharing block-repeat 3 stores one expert bank per 3 layers; routers stay per layer', () => {
    const mixtral = { model_type: 'mixtral', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 6, num_attention_heads: 2, num_key_value_heads: 1, num_local_experts: 4, num_experts_per_tok: 1 } as ModelConfig;
    const model = megrez2Transformer({ vocabSize: 10, maxLen: 6, dim: 8, depth: 6, numHeads: 2, numKVHeads: 1, norm: 'rmsnorm', bias: false, moe: { numExperts: 4, topK: 1, hidden: 16, expert: 'swiglu', router: 'mixtral' } }, new Rng(1));
    const report = expectEqualCounts(model, mixtral, { expertSharing: { name: 'block-repeat', repeat: 3 } }, ['experts']);
    const plain = countParams(mixtral);
    const bank = 4 * 3 * 8 * 16;
    expect(plain.total - report.total).toBe(4 * bank); // 6 banks -> 2
    expect(report.activePerToken).toBe(plain.activePerToken); // sharing stores less; a token still runs k experts per layer
    model.dispose();
  });

  it('refuses sub-module sharing over shared blocks, a bad plan, and a config without the modules', () => {
    const llama = { model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 4, num_attention_heads: 2 } as ModelConfig;
    expect(() => countParams(llama, { sharing: 'all-shared', ffnSharing: 'all-shared' })).toThrow(/ffnSharing: .*needs every layer its own block; got sharing with 1 unique blocks for 4 layers/);
    expect(() => countParams(llama, { ffnSharing: { name: 'block-repeat', repeat: 3 } })).toThrow(/ffnSharing: .*repeat=3 must divide .*the 4 layers with these modules/);
    expect(() => countParams(llama, { expertSharing: 'all-shared' })).toThrow(/expertSharing: this llama config has no layer with the modules it shares/);
    expect(() => countParams(llama, { ffnSharng: 'all-shared' } as never)).toThrow(/ffnSharing/);
  });
});
