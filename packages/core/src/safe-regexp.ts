// Regular expressions from untrusted files (PEFT's target_modules and rank/alpha pattern keys, a
// calculator config): JavaScript cannot interrupt a running match, and a pattern such as `(.*)*x`
// or `([a-z.]+)+X` backtracks exponentially — 160 s and 232 s against one 32-character module path.
// This refuses, before compiling, the constructions that make backtracking blow up: a quantified
// group that contains a quantifier or an alternation (star height > 1, ambiguous repetition),
// backreferences, lookarounds, and more than a few unbounded quantifiers in a row. Module-path
// patterns (`.*\.(q_proj|v_proj)`, `model\.layers\.\d+\.mlp\..*`) never need any of them.

/** Longest pattern accepted. */
export const MAX_PATTERN_CHARS = 2000;
/** Most unbounded quantifiers (`*`, `+`, `{n,}`) one pattern may hold. */
export const MAX_UNBOUNDED_QUANTIFIERS = 4;

/**
 * Compile `source` as `^(?:${prefix}${source})$`-style whole-string matcher after checking that it
 * cannot backtrack exponentially; throws an Error starting with `where` that names the construction.
 */
export function compileBoundedRegExp(where: string, source: string, wrap: (s: string) => string = (s) => `^(?:${s})$`): RegExp {
  if (typeof source !== 'string' || source.length === 0 || source.length > MAX_PATTERN_CHARS) {
    throw new Error(`${where}: a pattern of ${typeof source === 'string' ? source.length : typeof source} characters is not allowed; expected 1 to ${MAX_PATTERN_CHARS}`);
  }
  checkBacktracking(where, source);
  try {
    return new RegExp(wrap(source));
  } catch (e) {
    throw new Error(`${where}: ${JSON.stringify(source.length > 60 ? `${source.slice(0, 57)}...` : source)} is not a valid regular expression (${(e as Error).message})`);
  }
}

/** A group being read: whether it holds a quantifier or an alternation. */
interface Group {
  quantified: boolean;
  alternation: boolean;
}

function checkBacktracking(where: string, s: string): void {
  const refuse = (what: string, at: number) => {
    throw new Error(`${where}: the pattern ${JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)} has ${what} at character ${at}, which can take exponential time to match; write it without`);
  };
  const stack: Group[] = [{ quantified: false, alternation: false }];
  let unbounded = 0;
  let inClass = false;
  let lastClosed: Group | null = null; // the group that just closed, if the previous token was ")"
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const top = stack[stack.length - 1]!;
    if (c === '\\') {
      const next = s[i + 1] ?? '';
      if (/[1-9k]/.test(next) && !inClass) refuse('a backreference', i);
      i++;
      lastClosed = null;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastClosed = null;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || c === '{';
    if (quantifier) {
      let end = i;
      let isUnbounded = c === '*' || c === '+';
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i));
        if (!m) continue; // a literal "{"
        isUnbounded = m[2] !== undefined && m[3] === '';
        end = i + m[0].length - 1;
      }
      if (isUnbounded && ++unbounded > MAX_UNBOUNDED_QUANTIFIERS) refuse(`more than ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers`, i);
      if (lastClosed && (lastClosed.quantified || lastClosed.alternation) && (isUnbounded || c === '{')) {
        refuse(lastClosed.quantified ? 'a quantified group that contains a quantifier' : 'a quantified group that contains an alternation', i);
      }
      top.quantified = true;
      i = end;
      if (s[i + 1] === '?') i++; // lazy
      lastClosed = null;
      continue;
    }
    if (c === '(') {
      if (s[i + 1] === '?' && (s[i + 2] === '=' || s[i + 2] === '!' || s[i + 2] === '<')) {
        if (!(s[i + 2] === '<' && /[A-Za-z]/.test(s[i + 3] ?? ''))) refuse('a lookaround', i);
      }
      stack.push({ quantified: false, alternation: false });
      lastClosed = null;
      continue;
    }
    if (c === ')') {
      const closed = stack.length > 1 ? stack.pop()! : { quantified: false, alternation: false };
      const parent = stack[stack.length - 1]!;
      parent.quantified ||= closed.quantified;
      parent.alternation ||= closed.alternation;
      lastClosed = closed;
      continue;
    }
    if (c === '|') top.alternation = true;
    lastClosed = null;
  }
}
