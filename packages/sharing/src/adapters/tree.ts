// Module-tree surgery for adapter injection: find modules by PEFT-style target patterns, replace a
// child with a wrapper, remove a child. Weft's Module keeps its children in a private map and its
// subclasses keep typed fields (`this.fc1`, `ModuleList.items`): a replacement updates both, and
// refuses (leaving the tree as it was) when the old child is still referenced elsewhere.
import { Module, compileBoundedRegExp, describeValue } from '@weft/core';

type AnyModule = Module<any, any>;

function childMap(m: AnyModule): Map<string, AnyModule> {
  const map = (m as unknown as { children?: unknown }).children;
  if (!(map instanceof Map)) throw new Error(`adapters: cannot edit the children of ${m.constructor.name} (no child map)`);
  return map as Map<string, AnyModule>;
}

/** Replace child `name` of `parent` (currently `old`) by `next`, in the child map and in the parent's fields. */
export function replaceChild(parent: AnyModule, name: string, old: AnyModule, next: AnyModule): void {
  const map = childMap(parent);
  if (map.get(name) !== old) throw new Error(`adapters: "${name}" is not a child of ${parent.constructor.name}`);
  const edits: Array<() => void> = [];
  const undo: Array<() => void> = [];
  for (const key of Object.keys(parent)) {
    const value = (parent as unknown as Record<string, unknown>)[key];
    if (value === old) {
      edits.push(() => ((parent as unknown as Record<string, unknown>)[key] = next));
      undo.push(() => ((parent as unknown as Record<string, unknown>)[key] = old));
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (v === old) {
          edits.push(() => (value[i] = next));
          undo.push(() => (value[i] = old));
        }
      });
    }
  }
  edits.forEach((e) => e());
  map.set(name, next);
  // A forward pass that reaches the old module through something else (a closure, a Map) would skip the adapter.
  const stale = Object.keys(parent).filter((k) => {
    const v = (parent as unknown as Record<string, unknown>)[k];
    return v === old || (Array.isArray(v) && v.includes(old));
  });
  if (stale.length > 0) {
    undo.forEach((u) => u());
    map.set(name, old);
    throw new Error(`adapters: ${parent.constructor.name}.${stale.join(', ')} still references "${name}"`);
  }
}

/** Register `child` under `name` (no duplicate names). */
export function setChild(parent: AnyModule, name: string, child: AnyModule): void {
  const map = childMap(parent);
  if (map.has(name)) throw new Error(`adapters: ${parent.constructor.name} already has a child "${name}"`);
  map.set(name, child);
}

/** Remove child `name`. */
export function removeChild(parent: AnyModule, name: string): void {
  childMap(parent).delete(name);
}

/** PEFT's target semantics: a string is a full-match regular expression; a list matches a name equal to an entry or ending in "." + entry. */
export type TargetPattern = string | readonly string[];

const MAX_PATTERN = 2000;

/** Compile a target pattern (argument `what` names it in errors). */
export function targetMatcher(pattern: TargetPattern, what: string): (path: string) => boolean {
  if (typeof pattern === 'string') {
    if (pattern.length === 0 || pattern.length > MAX_PATTERN) {
      throw new Error(`adapters: ${what} has length ${pattern.length}; allowed 1..${MAX_PATTERN}`);
    }
    const re = compileBoundedRegExp(`adapters: ${what}`, pattern);
    return (path) => re.test(path);
  }
  if (!Array.isArray(pattern) || pattern.length === 0 || !pattern.every((p) => typeof p === 'string' && p.length > 0 && p.length <= MAX_PATTERN)) {
    throw new Error(`adapters: ${what}=${describeValue(pattern)} must be a regex string or a non-empty list of module names`);
  }
  const list = [...pattern];
  return (path) => list.some((p) => path === p || path.endsWith(`.${p}`));
}
