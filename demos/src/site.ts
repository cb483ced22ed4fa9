// The site map of the demos: every page Vite builds and every card of the landing page.
// Adding a page is one line in PAGES (plus its HTML file); a family's card links to the first
// page that names it, and says "coming" until one does. vite.config.ts imports this file,
// so keep it free of browser-only code.

/** The technique families of Weft, in the order the landing page shows them. */
export const FAMILIES = ['weight-sharing', 'adapters', 'mixture-of-experts', 'supernets', 'comparator'] as const;
/** A technique family (or the parameter comparator). */
export type Family = (typeof FAMILIES)[number];

/** A page of the demos. */
export interface PageInfo {
  /** HTML file name without `.html`, at the root of `demos/` (e.g. `'train'`). */
  file: string;
  /** Title shown in the navigation and on cards. */
  title: string;
  /** One sentence on what the page shows. */
  summary: string;
  /** The family the page demonstrates, if any (the landing page's card links here). */
  family?: Family;
  /** Whether the page appears in the header navigation. Default: true. */
  nav?: boolean;
}

/** Every page Vite builds. Add a page here (one line) and create `demos/<file>.html`. */
export const PAGES: readonly PageInfo[] = [
  { file: 'index', title: 'Overview', summary: 'What Weft is and what each page shows.' },
  { file: 'train', title: 'Train an MLP', summary: 'A multilayer perceptron learning a 2-D toy dataset live, with its decision boundary and parameter ledger.' },
  { file: 'params', title: 'Parameter comparator', summary: 'Exact stored, effective, trainable and active parameters and memory of real-scale models side by side.', family: 'comparator' },
  { file: 'sharing', title: 'Weight sharing', summary: 'Cross-layer plans and hashed sharing trained live beside an unshared baseline, with stored vs effective parameters.', family: 'weight-sharing' },
  { file: 'adapters', title: 'Adapters', summary: 'LoRA, DoRA, LoHa, LoKr and IA³ fine-tuned on a frozen base side by side, mixed with sliders, exported in PEFT format.', family: 'adapters' },
  { file: 'finetune', title: 'Fine-tune', summary: 'A transformers checkpoint from your disk in the tab: ledger and memory, text generation, LoRA fine-tuning live, the PEFT adapter and merged model to download.' },
  { file: 'moe', title: 'Mixture of experts', summary: 'Routers, capacity and aux losses trained live: token-to-expert heatmap, per-expert load, total vs active parameters.', family: 'mixture-of-experts' },
  { file: 'nas', title: 'Supernets & NAS', summary: 'DARTS-style and weight-entangled supernets searched live on a planted teacher: α as bars, the genotype as a cell, retrain vs random.', family: 'supernets' },
  { file: 'compare', title: 'Compare techniques', summary: 'Every technique on one toy task with the same step budget: a live Pareto chart of accuracy against stored and active parameters.' },
];

/** What the landing page says about each family. */
export const FAMILY_INFO: Record<Family, { title: string; summary: string; techniques: string[] }> = {
  'weight-sharing': {
    title: 'Weight sharing',
    summary: 'One set of weights used by many layers: fewer stored parameters, the same compute.',
    techniques: ['ALBERT', 'Subformer', 'Universal Transformer', 'Mixture-of-Recursions', 'hashed (ROAST)'],
  },
  adapters: {
    title: 'Adapters',
    summary: 'Freeze a base model and train a small add-on per task; merge it back or swap it at run time.',
    techniques: ['LoRA', 'DoRA', 'IA³', 'PEFT interop', 'merging'],
  },
  'mixture-of-experts': {
    title: 'Mixture of experts',
    summary: 'Many experts, a router sends each token to a few: total parameters grow, active ones do not.',
    techniques: ['top-k', 'Switch', 'expert choice', 'shared experts', 'load balancing'],
  },
  supernets: {
    title: 'Supernets & NAS',
    summary: 'One network holding every candidate architecture; search trains it and picks a child.',
    techniques: ['DARTS', 'GDAS', 'weight entanglement', 'zero-cost proxies'],
  },
  comparator: {
    title: 'Parameter comparator',
    summary: 'Stored, effective and active parameters of real-scale architectures side by side.',
    techniques: ['BERT vs ALBERT', 'Mixtral total vs active', 'LoRA budgets'],
  },
};

/** The page that demonstrates `family`, if one exists yet. */
export function pageOf(family: Family): PageInfo | undefined {
  return PAGES.find((p) => p.family === family);
}

/** Relative link to a page (the build uses a relative base, so links work under any path). */
export function hrefOf(page: PageInfo): string {
  return page.file === 'index' ? './' : `./${page.file}.html`;
}
