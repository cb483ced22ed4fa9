// A link's `#anchor` opens the view it names. The pages render inside shadow roots, where the
// browser's own fragment navigation does not look, so `moe.html#pkm-title` would open the top of
// the page: this finds the element with that id in any open shadow root (waiting for the page to
// render it) and scrolls it into view. The README's techniques table links views this way.

/** The element with `id` in `root` or any open shadow root below it, or null. */
export function findDeep(root: Document | ShadowRoot, id: string): Element | null {
  const here = root.getElementById(id);
  if (here) return here;
  for (const el of root.querySelectorAll('*')) {
    const found = el.shadowRoot ? findDeep(el.shadowRoot, id) : null;
    if (found) return found;
  }
  return null;
}

/** How long to wait for a page to render the anchored element, in milliseconds. */
const WAIT_MS = 15_000;

/**
 * Scroll to the element the location's `#anchor` names, once the page has rendered it; again
 * after late layout (charts sizing above it) unless the user has scrolled or typed meanwhile.
 * Does nothing without an anchor or when no such element appears within 15 s.
 */
export function followViewAnchor(): void {
  const id = decodeURIComponent(window.location.hash.slice(1));
  if (!id) return;
  let userMoved = false;
  const moved = () => (userMoved = true);
  for (const type of ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const) window.addEventListener(type, moved, { once: true, passive: true });
  const started = performance.now();
  const tryScroll = () => {
    if (userMoved) return;
    const el = findDeep(document, id);
    if (!el) {
      if (performance.now() - started < WAIT_MS) setTimeout(tryScroll, 100);
      return;
    }
    el.scrollIntoView({ block: 'start' });
    setTimeout(() => {
      if (!userMoved) el.scrollIntoView({ block: 'start' });
    }, 600);
  };
  tryScroll();
}
