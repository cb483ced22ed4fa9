// The URL state of adapters.html: everything needed to reproduce a session from a link; and the
// methods the page compares, read from @weft/sharing's adapter-method registry.
import { adapterMethodNames } from '@weft/sharing';
import { BACKEND_CHOICES } from '../backend-choice.js';
import { choiceParam, intParam, type UrlState } from '../url-state.js';
import { twoDimClassification } from './datasets.js';

/**
 * Base tasks the page offers: core's 2-D classification datasets, except `circles` — concentric
 * circles are the same task at every rotation, so an adapter would have nothing to learn.
 */
export const ADAPTER_DATASETS = twoDimClassification().filter((d) => d !== 'circles');

/**
 * Registered adapter methods the page leaves out, and why. Every row of the page is an adapter
 * on the frozen base that is mixed by its ΔW and downloaded in PEFT's format; these are not that.
 */
export const NOT_OFFERED: Readonly<Record<string, string>> = {
  taps: 'TAPS chooses which layers to adapt with a gate and a sparsity loss (multi-task); no PEFT format',
  residual: 'residual adapters add a bottleneck path, not a weight update; no PEFT format',
  ether: 'ETHER reflections have no PEFT format',
  mos: 'MoS draws LoRA factors from shard pools shared across layers; no PEFT format',
  moka: 'MoKA gates a mixture of Kronecker adapters by the input; no PEFT format',
  hyper: 'hypernetwork adapters generate LoRA factors from task embeddings (multi-task); no PEFT format',
};

/**
 * The methods compared side by side: every registered method not in {@link NOT_OFFERED}, plus
 * DoRA (LoRA's `dora` option, a row of its own) after LoRA, and full fine-tuning (the reference) last.
 */
export const ADAPTER_METHODS: readonly string[] = [
  ...adapterMethodNames()
    .filter((m) => !Object.hasOwn(NOT_OFFERED, m))
    .flatMap((m) => (m === 'lora' ? ['lora', 'dora'] : [m])),
  'full',
];
/** One compared method: a registry name, `dora` or `full`. */
export type AdapterMethodChoice = string;

/** What the table says about a method (a method the page does not know yet shows its name). */
const INFO: Readonly<Record<string, { label: string; what: string }>> = {
  lora: { label: 'LoRA', what: 'ΔW = (α/r)·A B, rank r' },
  dora: { label: 'DoRA', what: 'LoRA direction, learned magnitude per output' },
  loha: { label: 'LoHa', what: 'ΔW = (U₁V₁) ⊙ (U₂V₂)' },
  lokr: { label: 'LoKr', what: 'ΔW = kron(K₁, K₂)' },
  ia3: { label: 'IA³', what: 'learned rescaling of inputs / outputs' },
  full: { label: 'Full fine-tuning', what: 'every weight trains (reference)' },
};

/** The label and one-line description of a compared method. */
export function methodInfo(method: AdapterMethodChoice): { label: string; what: string } {
  return INFO[method] ?? { label: method, what: '' };
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
