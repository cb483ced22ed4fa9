// @weft/core/internal — the argument checks Weft's own packages share. Not public API: names and
// messages may change in any release. A technique outside Weft checks its config keys with
// `resolveConfig` / `checkKnownKeys` from `@weft/core`.
export * from './check.js';
