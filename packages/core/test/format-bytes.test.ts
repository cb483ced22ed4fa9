// formatBytes: decimal units, three significant digits, and no "1000 MB" at a unit's edge.
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../src/ledger.js';

describe('formatBytes', () => {
  it('writes each range in its unit and carries values that round to 1000 into the next', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 KB');
    expect(formatBytes(131_072)).toBe('131 KB');
    expect(formatBytes(999_885_952)).toBe('1.0 GB'); // Gemma 3 1B at int8; was "1000 MB"
    expect(formatBytes(99_960_000)).toBe('100 MB'); // was "100.0 MB"
    expect(formatBytes(16_060_522_496)).toBe('16.1 GB');
  });
});
