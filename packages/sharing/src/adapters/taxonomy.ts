// Parameter-Efficient Fine-Tuning for Large Models: A Comprehensive Survey (Han et al., arXiv:2403.14608)
// and Modular Deep Learning (Pfeiffer et al., arXiv:2302.11529): every adapter method's entry carries
// its PEFT category and its modular dimensions, so pages and tests group methods by the surveys' taxonomies.
import { checkModularity, describeValue, type Modularity } from '@weft/core';

/**
 * The PEFT survey's categories (§III): additive (new modules or vectors beside the frozen model:
 * adapters, soft prompts, (IA)³ rescaling), selective (a chosen subset of the existing weights
 * trains), reparameterised (the update is a low-dimensional reparameterisation of ΔW: LoRA and its
 * kin), hybrid (several of these at once).
 */
export const PEFT_CATEGORIES = ['additive', 'selective', 'reparameterised', 'hybrid'] as const;
/** A PEFT survey category. */
export type PeftCategory = (typeof PEFT_CATEGORIES)[number];

/** An adapter method's place in both taxonomies. */
export interface AdapterTaxonomy {
  /** The PEFT survey's category. */
  peft: PeftCategory;
  /** Modular Deep Learning's computation, routing and aggregation functions. */
  modular: Modularity;
}

/** Throw unless `t` is an {@link AdapterTaxonomy}; returns it. */
export function checkAdapterTaxonomy(who: string, t: unknown): AdapterTaxonomy {
  if (!t || typeof t !== 'object') throw new Error(`${who}: taxonomy=${describeValue(t)} must be an object { peft, modular } (the PEFT survey's category and Modular Deep Learning's dimensions)`);
  const o = t as Record<string, unknown>;
  if (!(PEFT_CATEGORIES as readonly unknown[]).includes(o.peft)) throw new Error(`${who}: taxonomy.peft=${describeValue(o.peft)} must be one of ${PEFT_CATEGORIES.map((c) => `'${c}'`).join(', ')}`);
  checkModularity(`${who} taxonomy`, o.modular);
  return t as AdapterTaxonomy;
}
