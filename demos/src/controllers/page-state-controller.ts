// PageStateController: a Lit reactive controller that owns what every training page shares — its
// settings (read from the URL, written back on every change), the settings form's field errors,
// the backend (chosen from the settings, switched one at a time), and rebuilding the page's job
// when either changes. The page keeps its job and its views; this calls the page's `rebuild` only
// when a job may be built (a backend is ready and no run is in progress or paused).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { BackendReport } from '@weft/core';
import { chooseBackend, type BackendChoice } from '../backend-choice.js';
import { parseUrlState, writeUrlState, type UrlProblem, type UrlSchema, type UrlState } from '../url-state.js';
import type { TrainingController } from './training-controller.js';

/** What the controller needs from its page. */
export interface PageStateOptions<S> {
  /** The page's run (reset before a job is rebuilt). */
  training: TrainingController;
  /** Build the page's job from `state` (the previous one is already released). */
  rebuild: (state: S) => void | Promise<void>;
  /** Release the page's job (its tensors). */
  release: () => void;
  /** Make a state parsed from the URL consistent (e.g. a dataset this build lacks). Default: none. */
  adjust?: (state: S) => void;
  /** Make a settings change consistent (e.g. a method that fits a new space). Default: none. */
  adjustPatch?: (patch: Partial<S>) => void;
}

/** The settings, form errors and backend of a training page. */
export class PageStateController<Schema extends UrlSchema, S extends UrlState<Schema> & { backend: BackendChoice } = UrlState<Schema> & { backend: BackendChoice }>
  implements ReactiveController
{
  /** The settings in use (always valid: bad URL values are replaced by their defaults). */
  state: S;
  /** What was wrong with the URL's values, if anything. */
  readonly problems: UrlProblem[];
  /** A message per field whose typed value was rejected (the setting keeps its last good value). */
  fieldErrors: Partial<Record<keyof S & string, string>> = {};
  /** The backend in use, or null while choosing or after a failure. */
  backend: BackendReport | null = null;
  /** Why the chosen backend could not start, or null. */
  backendError: string | null = null;
  private switching: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly schema: Schema,
    private readonly options: PageStateOptions<S>,
  ) {
    const { state, problems } = parseUrlState(schema, window.location.search);
    options.adjust?.(state as S);
    this.state = state as S;
    this.problems = problems;
    host.addController(this);
  }

  hostConnected(): void {
    // The link now holds exactly the state in use (bad values replaced by their defaults).
    writeUrlState(this.schema, this.state);
    void this.switchBackend(this.state.backend);
  }

  /** Change settings: the URL follows, then the backend switches or the job is rebuilt. */
  set(patch: Partial<S>): void {
    this.options.adjustPatch?.(patch);
    const before = this.state;
    this.state = { ...before, ...patch };
    writeUrlState(this.schema, this.state);
    this.host.requestUpdate();
    if (patch.backend !== undefined && patch.backend !== before.backend) void this.switchBackend(this.state.backend);
    else void this.rebuild();
  }

  /** The settings form's change handler: parse the field named like a setting, or show why not. */
  readonly onChange = (e: Event): void => {
    const el = e.target as HTMLInputElement | HTMLSelectElement;
    const key = el.name as keyof S & string;
    if (!Object.hasOwn(this.schema, key)) return;
    const r = this.schema[key]!.parse(el.value);
    this.fieldErrors = { ...this.fieldErrors, [key]: r.ok ? undefined : `Expected ${r.expected}.` };
    this.host.requestUpdate();
    if (r.ok) this.set({ [key]: r.value } as Partial<S>);
  };

  /** Build a fresh (untrained) job from the settings, unless no backend is ready or a run is in progress or paused. */
  async rebuild(): Promise<void> {
    const { training } = this.options;
    if (!this.backend || training.busy || training.status === 'paused') return;
    await training.reset();
    this.options.release();
    await this.options.rebuild(this.state);
    this.host.requestUpdate();
  }

  /** Switch to `choice` after any switch in progress: reset the run, release the job, then rebuild it. */
  private async switchBackend(choice: BackendChoice): Promise<void> {
    const next = (async () => {
      await this.switching.catch(() => undefined);
      await this.options.training.reset();
      this.options.release();
      this.backend = null;
      this.backendError = null;
      this.host.requestUpdate();
      try {
        this.backend = await chooseBackend(choice);
      } catch (e) {
        this.backendError = e instanceof Error ? e.message : String(e);
        this.host.requestUpdate();
        return;
      }
      await this.rebuild();
    })();
    this.switching = next;
    await next;
  }
}
