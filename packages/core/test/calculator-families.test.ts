// The calculator's newer families against test/fixtures/calculator/param_counts.json: `sum(p.numel())` of
// transformers 5.17 models built on the meta device for small configs of each model_type, with the full
// config as transformers wrote it, the model class, the input-embedding size and every parameter's count.
// Each family must match exactly: the total, the input embedding, and every module's parameters (module
// paths as transformers names them; v5's fused expert tensors compared with the per-expert rows summed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CalculatorError, countParams, countParamsFromJson, parameterModules, type HeadKind, type ModelConfig } from '../src/calculator/index.js';

interface FixtureModel {
  model_type: string;
  class: string;
  config: Record<string, unknown>;
  total: number;
  input_embedding: number;
  tied_embeddings: boolean;
  per_parameter: Record<string, number>;
}
const FIXTURE = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/calculator/param_counts.json', import.meta.url), 'utf8'),
) as Record<string, FixtureModel>;

/** The head a transformers class name counts. */
function headOf(cls: string): HeadKind {
  return /ForCausalLM$|LMHeadModel$|ForConditionalGeneration$/.test(cls) ? 'lm' : /ForSequenceClassification$/.test(cls) ? 'classifier' : 'none';
}

/**
 * Parameter name → module key: drop `.weight`/`.bias` (and v5's `_bias` of fused expert tensors), and
 * write every expert index (`experts.3.`, `experts.expert_3.`) or fused expert tensor (`experts.gate_up_proj`)
 * as `experts.*.`.
 */
function moduleKey(name: string): string {
  return name
    .replace(/\.(weight|bias)$/, '')
    .replace(/_proj_bias$/, '_proj')
    .replace(/\.experts\.(expert_)?\d+\./, '.experts.*.')
    .replace(/\.experts\.(gate_up_proj|down_proj|gate_proj|up_proj)$/, '.experts.*.$1');
}

function sumBy(entries: [string, number][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
  return m;
}

describe('fixture: every family matches transformers exactly', () => {
  for (const [name, fx] of Object.entries(FIXTURE)) {
    it(`${name} (${fx.class}): total ${fx.total}, input embedding ${fx.input_embedding}, every module`, () => {
      const head = headOf(fx.class);
      const report = countParamsFromJson(JSON.stringify(fx.config), { head });
      expect(report.modelType).toBe(fx.model_type);
      expect(report.total).toBe(fx.total);
      expect(report.inputEmbedding).toBe(fx.input_embedding);
      expect(report.nonEmbedding).toBe(fx.total - fx.input_embedding);
      const expected = sumBy(Object.entries(fx.per_parameter).map(([k, v]) => [moduleKey(k), v]));
      const ours = sumBy(parameterModules(fx.config as ModelConfig, { head }).map((m) => [m.path, m.params]));
      expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(expected));
    });
  }
});

describe('fixture configs stay valid and every count-changing field is understood', () => {
  it('a field the calculator does not know is refused with its name', () => {
    for (const fx of Object.values(FIXTURE)) {
      const text = JSON.stringify({ ...fx.config, shared_layer_count: 2 });
      expect(() => countParamsFromJson(text)).toThrow(CalculatorError);
      expect(() => countParamsFromJson(text)).toThrow(/field "shared_layer_count" is not understood for model_type/);
    }
  });

  it('fields that change no count are accepted (old and new spellings)', () => {
    const extra = { torch_dtype: 'bfloat16', rope_theta: 10000, attention_dropout: 0.1, transformers_version: '4.51.0', architectures: ['X'], use_cache: false };
    for (const fx of Object.values(FIXTURE)) {
      const base = countParams(fx.config as ModelConfig, { head: headOf(fx.class) }).total;
      const cfg = { ...fx.config, ...extra, model_type: fx.model_type };
      expect(countParams(cfg as ModelConfig, { head: headOf(fx.class) }).total).toBe(base);
    }
  });
});
