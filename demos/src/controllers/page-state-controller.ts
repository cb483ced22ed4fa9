// PageStateController: a Lit reactive controller that owns what every training page shares — its
// settings (read from the URL, written back on every change), the settings form's field errors,
// the backend (chosen from the settings, switched one at a time), and rebuilding the page's job
// when either changes. The page keeps its job and its views; this calls the page's `rebuild` only
// when a job may be built (a backend is ready and no run is in progress or paused); settings the
// job can take live (a learning rate) are handed to it instead, even mid-run. Switches and
// rebuilds run one after another, and the job is released only once its run has ended.
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
  /** Release the page's job (its tensors); may wait for the page's own work on the job first. */
  release: () => void | Promise<void>;
  /** Make a state parsed from the URL consistent (e.g. a dataset this build lacks). Default: none. */
  adjust?: (state: S) => void;
  /** Make a settings change consistent (e.g. a method that fits a new space). Default: none. */
  adjustPatch?: (patch: Partial<S>) => void;
  /**
   * Settings the page reads when a run starts rather than when the job is built (e.g. a step
   * count): changing only these keeps the job. Default: none (every change rebuilds).
   */
  runtimeKeys?: readonly (keyof S & string)[];
  /**
   * Settings the page's job takes while it exists, even during a run (a learning rate): changing
   * only these (and runtime keys) keeps the job and its run and calls `applyLive`. Default: none.
   */
  liveKeys?: readonly (keyof S & string)[];
  /** Give the current job the new values of live settings (called with only the live keys that changed). */
  applyLive?: (patch: Partial<S>) => void;
  /** How a backend is initialised. Default: the demos' {@link chooseBackend} (tests pass a fake). */
  chooseBackend?: (choice: BackendChoice) => Promise<BackendReport>;
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
  /** Backend switches and rebuilds, one after another. */
  private work: Promise<void> = Promise.resolve();
  private connected = false;

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

  /** Whether any field of the settings form holds a rejected value (a run must not start then). */
  get hasFieldErrors(): boolean {
    return Object.values(this.fieldErrors).some(Boolean);
  }

  /** @internal Lit: write the state in use to the link, then choose the backend and build the job. */
  hostConnected(): void {
    this.connected = true;
    // The link now holds exactly the state in use (bad values replaced by their defaults).
    writeUrlState(this.schema, this.state);
    void this.enqueue(() => this.switchBackend(this.state.backend));
  }

  /** @internal Lit: the host left the page: once the run has ended, release the job. */
  hostDisconnected(): void {
    this.connected = false;
    const { training } = this.options;
    void this.enqueue(async () => {
      await training.settled();
      await this.options.release();
    });
  }

  /** Change settings: the URL follows, then the backend switches or the job is rebuilt. Resolves when that is done. */
  set(patch: Partial<S>): Promise<void> {
    this.options.adjustPatch?.(patch);
    const before = this.state;
    this.state = { ...before, ...patch };
    writeUrlState(this.schema, this.state);
    this.host.requestUpdate();
    if (patch.backend !== undefined && patch.backend !== before.backend) {
      const choice = this.state.backend;
      // A switch overtaken by a later choice (queued behind it) is skipped.
      return this.enqueue(() => (choice === this.state.backend ? this.switchBackend(choice) : Promise.resolve()));
    }
    const keep = this.options.runtimeKeys ?? [];
    const live = this.options.liveKeys ?? [];
    const changed = (Object.keys(patch) as (keyof S & string)[]).filter((k) => !Object.is(patch[k], before[k]));
    // A change event that changes nothing (a field losing focus after its value was taken) keeps
    // the job: rebuilding it would free the job a Start press is about to run.
    if (changed.length === 0) return Promise.resolve();
    if (changed.every((k) => keep.includes(k) || live.includes(k))) {
      const liveChanged = changed.filter((k) => live.includes(k));
      if (liveChanged.length > 0) this.options.applyLive?.(Object.fromEntries(liveChanged.map((k) => [k, this.state[k]])) as Partial<S>);
      return Promise.resolve();
    }
    return this.rebuild();
  }

  /** Show `message` under the field `key` (undefined clears it), for fields the page parses itself. */
  setFieldError(key: keyof S & string, message: string | undefined): void {
    this.fieldErrors = { ...this.fieldErrors, [key]: message };
    this.host.requestUpdate();
  }

  /** The settings form's change handler: parse the field named like a setting, or show why not. */
  readonly onChange = (e: Event): void => {
    const el = e.target as HTMLInputElement | HTMLSelectElement;
    const key = el.name as keyof S & string;
    if (!Object.hasOwn(this.schema, key)) return;
    const r = this.schema[key]!.parse(el.value);
    this.setFieldError(key, r.ok ? undefined : `Expected ${r.expected}.`);
    if (r.ok) void this.set({ [key]: r.value } as Partial<S>);
  };

  /**
   * Build a fresh (untrained) job from the settings, after any switch or rebuild in progress —
   * unless no backend is ready, a run is in progress or paused, or the host has left.
   */
  rebuild(): Promise<void> {
    return this.enqueue(() => this.rebuildNow());
  }

  /** Resolves when every backend switch and rebuild asked for so far is done. */
  async settled(): Promise<void> {
    await this.work;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.work.then(task);
    this.work = next.catch(() => undefined); // one failed task does not stop the ones after it
    return next;
  }

  private async rebuildNow(): Promise<void> {
    const { training } = this.options;
    if (!this.connected || !this.backend || training.busy || training.status === 'paused') return;
    await training.reset();
    await this.options.release();
    await this.options.rebuild(this.state);
    this.host.requestUpdate();
  }

  /** Reset the run, release the job, switch to `choice`, then rebuild the job. */
  private async switchBackend(choice: BackendChoice): Promise<void> {
    await this.options.training.reset();
    await this.options.release();
    this.backend = null;
    this.backendError = null;
    this.host.requestUpdate();
    try {
      this.backend = await (this.options.chooseBackend ?? chooseBackend)(choice);
    } catch (e) {
      this.backendError = e instanceof Error ? e.message : String(e);
      this.host.requestUpdate();
      return;
    }
    if (choice !== this.state.backend) return; // a later switch is queued: it builds the job
    await this.rebuildNow();
  }
}
