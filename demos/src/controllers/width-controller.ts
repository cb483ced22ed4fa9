// WidthController: the CSS width of a chart's host element, kept current with a ResizeObserver,
// so an SVG chart can lay itself out in CSS pixels (viewBox width = element width). Text then has
// the size its style says at every width, instead of shrinking with the chart on a phone.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Tracks the width of its host element and re-renders the host when it changes by a pixel or more. */
export class WidthController implements ReactiveController {
  /** The host's content width in CSS pixels (the fallback until it has been measured). */
  width: number;
  private observer: ResizeObserver | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    fallback: number,
  ) {
    this.width = fallback;
    host.addController(this);
  }

  /** @internal Lit: start observing. */
  hostConnected(): void {
    this.observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (w > 0 && Math.abs(w - this.width) >= 1) {
        this.width = w;
        this.host.requestUpdate();
      }
    });
    this.observer.observe(this.host);
  }

  /** @internal Lit: stop observing. */
  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
  }
}
