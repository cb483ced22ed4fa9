// CopyLinkController: copies the page's link, says so for a moment (fake timers), and shows the
// link in a prompt when the clipboard is refused.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CopyLinkController } from '../src/controllers/copy-link-controller.js';
import { FakeHost } from './fakes.js';

afterEach(() => vi.useRealTimers());

describe('CopyLinkController', () => {
  it('copies the link and shows "Copied" until the moment passes', async () => {
    vi.useFakeTimers();
    const host = new FakeHost();
    const written: string[] = [];
    const link = new CopyLinkController(host, { href: () => 'https://weft.example/moe.html?k=2', writeText: async (t) => void written.push(t), showMs: 1000 });
    expect(host.controllers).toEqual([link]);
    await link.copy();
    expect(written).toEqual(['https://weft.example/moe.html?k=2']);
    expect(link.copied).toBe(true);
    vi.advanceTimersByTime(999);
    expect(link.copied).toBe(true);
    await link.copy(); // a second copy restarts the moment
    vi.advanceTimersByTime(999);
    expect(link.copied).toBe(true);
    vi.advanceTimersByTime(1);
    expect(link.copied).toBe(false);
  });

  it('shows the link in a prompt when the clipboard refuses', async () => {
    const host = new FakeHost();
    const prompted: string[] = [];
    const link = new CopyLinkController(host, {
      href: () => 'https://weft.example/x',
      writeText: () => Promise.reject(new Error('NotAllowedError')),
      prompt: (message, text) => void prompted.push(`${message} ${text}`),
    });
    await link.copy();
    expect(prompted).toEqual(['Copy this link: https://weft.example/x']);
    expect(link.copied).toBe(false);
  });

  it('leaves no timer behind when the host leaves', async () => {
    vi.useFakeTimers();
    const host = new FakeHost();
    const link = new CopyLinkController(host, { href: () => 'u', writeText: async () => {} });
    await link.copy();
    host.disconnect();
    expect(link.copied).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
