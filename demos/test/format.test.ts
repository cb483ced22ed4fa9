// The demos' number formatting: durations are rounded once to the unit shown, so no field reads 60.
import { describe, expect, it } from 'vitest';
import { formatCompact, formatDuration } from '../src/format.js';

describe('formatDuration', () => {
  it('writes each range in its unit', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(3_840_000)).toBe('1 h 04 min');
  });

  it('carries a value just under a boundary up to the next unit instead of writing 60 (or 1000)', () => {
    expect(formatDuration(999.6)).toBe('1.0 s');
    expect(formatDuration(59_960)).toBe('1 min 00 s');
    expect(formatDuration(179_700)).toBe('3 min 00 s'); // was "2 min 60 s"
    expect(formatDuration(3_599_600)).toBe('1 h 00 min');
  });

  it('never shows a seconds field of 60 or more, nor minutes of 60 or more, over a sweep', () => {
    for (let ms = 0; ms < 8_000_000; ms += 97.3) {
      const text = formatDuration(ms);
      const sec = / (\d+) s$/.exec(text);
      if (sec && text.includes('min')) expect(Number(sec[1]), text).toBeLessThan(60);
      const min = /h (\d+) min$/.exec(text);
      if (min) expect(Number(min[1]), text).toBeLessThan(60);
      const plain = /^([\d.]+) s$/.exec(text);
      if (plain) expect(Number(plain[1]), text).toBeLessThan(60);
      const milli = /^(\d+) ms$/.exec(text);
      if (milli) expect(Number(milli[1]), text).toBeLessThan(1000);
    }
  });

  it('writes a dash for what is not a duration', () => {
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('formatCompact', () => {
  it('keeps three significant digits and carries a value that rounds to 1000 into the next unit', () => {
    expect(formatCompact(999)).toBe('999');
    expect(formatCompact(12_345)).toBe('12.3k');
    expect(formatCompact(999_499)).toBe('999k');
    expect(formatCompact(999_500)).toBe('1.00M');
    expect(formatCompact(999_885_952)).toBe('1.00B'); // Gemma 3 1B; was "1000M"
    expect(formatCompact(9_996_000)).toBe('10.0M'); // was "10.00M"
    expect(formatCompact(99_960_000)).toBe('100M'); // was "100.0M"
    expect(formatCompact(1_235_814_400)).toBe('1.24B');
    expect(formatCompact(-2_500_000)).toBe('-2.50M');
    expect(formatCompact(1_571_000_000_000)).toBe('1.57T'); // Switch-C 2048; was "1571B"
    expect(formatCompact(999_600_000_000)).toBe('1.00T');
  });
});
