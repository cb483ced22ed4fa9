// Patterns from untrusted files cannot hang the page: the constructions that backtrack
// exponentially are refused before compiling (each refused one below took 4.6 s to 232 s against a
// 32-character module path), and the patterns PEFT configs use are accepted and match as before.
import { describe, expect, it } from 'vitest';
import { compileBoundedRegExp, countParams, PRESETS } from '@weft/core';

const PATH = 'model.layers.10.self_attn.q_proj';

describe('compileBoundedRegExp', () => {
  it('accepts the patterns module targets use, matching whole paths', () => {
    const ok: [string, boolean][] = [
      ['.*\\.(q_proj|v_proj)', true],
      ['model\\.layers\\.\\d+\\.self_attn\\.q_proj', true],
      ['.*layers\\.1[0-9]\\..*(q|k|v)_proj', true],
      ['(?:fc1|fc2)', false],
      ['[a-z_.0-9]+', true],
      ['.*\\.q_proj{1,2}', true],
    ];
    for (const [p, match] of ok) expect(compileBoundedRegExp('t', p).test(PATH), p).toBe(match);
  });

  it('refuses nested quantifiers, quantified alternations, backreferences, lookarounds and runs of unbounded quantifiers, at once', () => {
    const bad: [string, RegExp][] = [
      ['(.*)*x', /a quantified group that contains a quantifier at character 4/],
      ['([a-z_.0-9]+)+X', /a quantified group that contains a quantifier/],
      ['(\\w+\\.?)*z', /a quantified group that contains a quantifier/],
      ['((a+))*', /a quantified group that contains a quantifier/],
      ['(a|ab)*c', /a quantified group that contains an alternation/],
      ['(a|a){2,}b', /a quantified group that contains an alternation/],
      ['(a)\\1', /a backreference/],
      ['(?=a).*', /a lookaround/],
      ['\\w*\\w*\\w*\\w*\\w*z', /more than 4 unbounded quantifiers/],
    ];
    // Refused before any match is tried (a match of the first three would not end in minutes).
    for (const [p, message] of bad) expect(() => compileBoundedRegExp('adapters: targets', p), p).toThrow(message);
    expect(() => compileBoundedRegExp('t', '(')).toThrow(/is not a valid regular expression/);
    expect(() => compileBoundedRegExp('t', 'x'.repeat(2001))).toThrow('t: a pattern of 2001 characters is not allowed; expected 1 to 2000');
  });

  it('the calculator refuses a hostile targetModules regex with a CalculatorError', () => {
    expect(() => countParams(PRESETS['tinyllama-1.1b' as keyof typeof PRESETS]?.config ?? Object.values(PRESETS)[0]!.config, { adapter: { method: 'lora', r: 8, targetModules: '(\\w+\\.?)*z' } as never })).toThrow(
      /quantified group that contains a quantifier/,
    );
  });
});
