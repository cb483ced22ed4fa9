// CopyLinkController: the "Copy link" button of the pages whose settings live in the URL. It
// copies the address to the clipboard and says "Copied ✓" for a moment; where the clipboard is
// refused (no permission, an insecure origin) it shows the link in a prompt to copy by hand.
import { html, type ReactiveController, type ReactiveControllerHost } from 'lit';

/** Options of {@link CopyLinkController} (the defaults are the browser's; tests pass fakes). */
export interface CopyLinkOptions {
  /** The link to copy. Default: the page's address. */
  href?: () => string;
  /** Write text to the clipboard. Default: `navigator.clipboard.writeText`. */
  writeText?: (text: string) => Promise<void>;
  /** Show the link when the clipboard refuses. Default: `window.prompt`. */
  prompt?: (message: string, text: string) => void;
  /** How long "Copied ✓" shows, ms. Default: 1600. */
  showMs?: number;
}

/** Copies the page's link and reports it on the button. */
export class CopyLinkController implements ReactiveController {
  /** Whether the link was just copied (the button says so). */
  copied = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: CopyLinkOptions = {},
  ) {
    host.addController(this);
  }

  /** Copy the link; resolves once copied (or shown in the prompt). */
  readonly copy = async (): Promise<void> => {
    const href = (this.options.href ?? (() => window.location.href))();
    try {
      await (this.options.writeText ?? ((t: string) => navigator.clipboard.writeText(t)))(href);
    } catch {
      (this.options.prompt ?? ((m: string, t: string) => void window.prompt(m, t)))('Copy this link:', href);
      return;
    }
    this.copied = true;
    this.host.requestUpdate();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.copied = false;
      this.host.requestUpdate();
    }, this.options.showMs ?? 1600);
  };

  /** @internal Lit: nothing to do on connect. */
  hostConnected(): void {}

  /** @internal Lit: no timer outlives the host. */
  hostDisconnected(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.copied = false;
  }

  /** The button (styled by `.linkbtn`). */
  render() {
    return html`<button type="button" class="linkbtn" data-action="copy-link" @click=${this.copy}>${this.copied ? 'Copied ✓' : 'Copy link'}</button>`;
  }
}
