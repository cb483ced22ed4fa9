// URL state of the demo pages: valid values are read, invalid ones fall back to the default
// with a message naming the parameter and the value, and a written state reads back the same.
import { describe, expect, it } from 'vitest';
import {
  choiceParam,
  defaultState,
  formatUrlState,
  intListParam,
  intParam,
  MAX_RAW_LENGTH,
  numberParam,
  parseUrlState,
} from '../src/url-state.js';
import { TRAIN_SCHEMA } from '../src/pages/train-state.js';

describe('parameter specs', () => {
  it('intParam accepts whole numbers in range only', () => {
    const p = intParam({ min: 0, max: 10, default: 3 });
    expect(p.parse('7')).toEqual({ ok: true, value: 7 });
    expect(p.parse(' +4 ')).toEqual({ ok: true, value: 4 });
    for (const bad of ['', 'abc', '1.5', '1e1', '0x5', '-1', '11', 'NaN', 'Infinity', '99999999999999999999']) {
      expect(p.parse(bad).ok, bad).toBe(false);
    }
  });

  it('numberParam accepts decimals and exponents, honours an exclusive minimum', () => {
    const p = numberParam({ min: 0, max: 1, default: 0.1, exclusiveMin: true });
    expect(p.parse('0.003')).toEqual({ ok: true, value: 0.003 });
    expect(p.parse('3e-3')).toEqual({ ok: true, value: 0.003 });
    expect(p.parse('.5')).toEqual({ ok: true, value: 0.5 });
    expect(p.parse('1')).toEqual({ ok: true, value: 1 });
    for (const bad of ['0', '-0.1', '1.01', 'abc', '', '1e999', 'NaN', '0.1.2']) expect(p.parse(bad).ok, bad).toBe(false);
  });

  it('choiceParam matches case-insensitively and writes the listed spelling', () => {
    const p = choiceParam(['spirals', 'moons'] as const, 'spirals');
    expect(p.parse('MOONS')).toEqual({ ok: true, value: 'moons' });
    expect(p.parse('galaxies').ok).toBe(false);
    expect(() => choiceParam(['a'], 'b' as 'a')).toThrow(/default="b"/);
  });

  it('intListParam bounds the number of items and each item', () => {
    const p = intListParam({ minLength: 0, maxLength: 3, min: 1, max: 64, default: [8] });
    expect(p.parse('16, 32')).toEqual({ ok: true, value: [16, 32] });
    expect(p.parse('')).toEqual({ ok: true, value: [] });
    for (const bad of ['1,2,3,4', '0', '65', '8,,8', '8,x', '4096', '1.5']) expect(p.parse(bad).ok, bad).toBe(false);
    expect(p.format([4, 5])).toBe('4,5');
  });
});

describe('parseUrlState', () => {
  it('gives the defaults for an empty query, with no problems', () => {
    const { state, problems } = parseUrlState(TRAIN_SCHEMA, '');
    expect(state).toEqual(defaultState(TRAIN_SCHEMA));
    expect(state.dataset).toBe('spirals');
    expect(problems).toEqual([]);
  });

  it('reads every valid parameter', () => {
    const { state, problems } = parseUrlState(
      TRAIN_SCHEMA,
      '?dataset=moons&seed=42&hidden=16,8&optimizer=sgd&lr=0.1&steps=500&batch=32&backend=wasm',
    );
    expect(problems).toEqual([]);
    expect(state).toEqual({ dataset: 'moons', seed: 42, hidden: [16, 8], optimizer: 'sgd', lr: 0.1, steps: 500, batch: 32, backend: 'wasm' });
  });

  it('falls back to the default for each bad value and names the parameter and the value', () => {
    const { state, problems } = parseUrlState(TRAIN_SCHEMA, '?seed=abc&hidden=4096,4096&dataset=galaxies&lr=-1&steps=1e9&batch=');
    expect(state).toEqual(defaultState(TRAIN_SCHEMA));
    expect(problems.map((p) => p.param)).toEqual(['seed', 'hidden', 'dataset', 'lr', 'steps', 'batch']);
    const seed = problems[0]!;
    expect(seed.value).toBe('abc');
    expect(seed.message).toMatch(/seed=“abc” is not valid: expected a whole number from 0 to 2,147,483,647\. Using the default, 1\./);
    expect(problems[1]!.message).toMatch(/hidden=“4096,4096”.*each from 1 to 512.*default, 32,32/);
    expect(problems[2]!.message).toMatch(/dataset=“galaxies”.*one of spirals, moons, circles, xor, clusters/);
    expect(problems[5]!.message).toMatch(/^batch is empty/);
  });

  it('keeps the valid parameters when others are bad', () => {
    const { state, problems } = parseUrlState(TRAIN_SCHEMA, '?seed=7&lr=fast');
    expect(state.seed).toBe(7);
    expect(state.lr).toBe(0.01);
    expect(problems).toHaveLength(1);
  });

  it('reports unknown parameters and ignores them', () => {
    const { state, problems } = parseUrlState(TRAIN_SCHEMA, '?learningRate=0.5');
    expect(state.lr).toBe(0.01);
    expect(problems[0]!.param).toBe('learningRate');
    expect(problems[0]!.message).toMatch(/Unknown parameter “learningRate”.*Known parameters: dataset, seed/);
  });

  it('rejects very long values before parsing and shortens them for display', () => {
    const long = '1,'.repeat(MAX_RAW_LENGTH);
    const { problems } = parseUrlState(TRAIN_SCHEMA, `?hidden=${long}`);
    expect(problems[0]!.message).toMatch(/hidden is too long/);
    expect(problems[0]!.value.length).toBeLessThanOrEqual(60);
  });

  it('makes control characters visible and never throws on odd input', () => {
    const { problems } = parseUrlState(TRAIN_SCHEMA, '?seed=%00%0A&%ZZ=1&dataset=%E2%80%AE');
    expect(problems[0]!.value).toBe('��');
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  it('uses the first of repeated parameters', () => {
    expect(parseUrlState(TRAIN_SCHEMA, '?seed=3&seed=4').state.seed).toBe(3);
  });
});

describe('formatUrlState', () => {
  it('round-trips through parseUrlState', () => {
    const state = { ...defaultState(TRAIN_SCHEMA), dataset: 'xor' as const, hidden: [64, 64, 16], lr: 0.003, seed: 9 };
    const query = formatUrlState(TRAIN_SCHEMA, state);
    expect(query).toBe('?dataset=xor&seed=9&hidden=64,64,16&optimizer=adam&lr=0.003&steps=2000&batch=64&backend=auto');
    expect(parseUrlState(TRAIN_SCHEMA, query)).toEqual({ state, problems: [] });
  });

  it('writes an empty list so that it reads back as empty', () => {
    const state = { ...defaultState(TRAIN_SCHEMA), hidden: [] };
    expect(parseUrlState(TRAIN_SCHEMA, formatUrlState(TRAIN_SCHEMA, state)).state.hidden).toEqual([]);
  });
});
