// The URL state of adapters.html: everything needed to reproduce a session from a link; and the
// methods the page compares, read from @weft/sharing's adapter-method registry.
import { adapterMethod, adapterMethodNames } from '@weft/sharing';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { choiceParam, intParam, type UrlState } from '../url-state.js';
import { twoDimClassification } from './datasets.js';

/**
 * Base tasks the page offers: core's 2-D classification datasets, except `circles` — concentric
 * circles are the same task at every rotation, so an adapter would have nothing to learn.
 */
export const ADAPTER_DATASETS = twoDimClassification().filter((d) => d !== 'circles');

/**
 * Whether the page offers a registered method: every row is an adapter on the frozen base that is
 * mixed by its weight update and downloaded in PEFT's format, so a method without a PEFT form
 * (today TAPS, residual adapters, ETHER, MoS, MoKA and hypernetwork adapters) is left out.
 */
export function offered(method: string): boolean {
  return adapterMethod(method).peft !== null;
}

/**
 * The methods compared side by side: the registered methods the page offers, DoRA (LoRA's `dora`
 * option, a row of its own) after LoRA, and full fine-tuning (the reference) last.
 */
export const ADAPTER_METHODS: readonly string[] = [
  ...adapterMethodNames()
    .filter(offered)
    .flatMap((m) => (m === 'lora' && 'dora' in adapterMethod('lora').defaults ? ['lora', 'dora'] : [m])),
  'full',
];
/** One compared method: a registry name, `dora` or `full`. */
export type AdapterMethodChoice = string;

/** One line on what each method learns (a method without one here shows none). */
const WHAT: Readonly<Record<string, string>> = {
  lora: 'ΔW = (α/r)·A B, rank r',
  dora: 'LoRA direction, learned magnitude per output',
  loha: 'ΔW = (U₁V₁) ⊙ (U₂V₂)',
  lokr: 'ΔW = kron(K₁, K₂)',
  ia3: 'learned rescaling of inputs / outputs',
  road: '2-D rotation and scale of output pairs',
  poly: 'mixture of LoRA skills routed per task',
  full: 'every weight trains (reference)',
};

/** The label (the registry's, for a registered method) and one-line description of a compared method. */
export function methodInfo(method: AdapterMethodChoice): { label: string; what: string } {
  const label = method === 'full' ? 'Full fine-tuning' : method === 'dora' ? 'DoRA' : adapterMethod(method).label;
  return { label, what: Object.hasOwn(WHAT, method) ? WHAT[method]! : '' };
}

/** Query parameters of adapters.html, their defaults and bounds. */
export const ADAPTERS_SCHEMA = {
  /** Base dataset; the new task is the same data rotated by `angle`. */
  dataset: choiceParam(ADAPTER_DATASETS, ADAPTER_DATASETS.includes('moons') ? 'moons' : ADAPTER_DATASETS[0]),
  /** Rotation of the new task, degrees. */
  angle: intParam({ min: -180, max: 180, default: 90 }),
  /** Seed of data, weights and batches. */
  seed: intParam({ min: 0, max: 2 ** 31 - 1, default: 1 }),
  /** Rank of the rank-r methods (the 2-input first layer caps it at 2 there). */
  r: intParam({ min: 1, max: 16, default: 4 }),
  /** Pretraining steps of the base. */
  baseSteps: intParam({ min: 1, max: 20_000, default: 600 }),
  /** Fine-tuning steps of each method. */
  steps: intParam({ min: 1, max: 20_000, default: 300 }),
  /** Backend, or `auto`. */
  backend: choiceParam(BACKEND_CHOICES, 'auto'),
};

/** The state of adapters.html. */
export type AdaptersState = UrlState<typeof ADAPTERS_SCHEMA>;
