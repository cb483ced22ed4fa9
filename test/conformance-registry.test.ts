// The conformance matrix reads the registries: a router, an adapter method, a sharing plan and a
// NAS op registered here — with nothing but their registry line — get conformance rows, and those
// rows pass the matrix's checks. (The entries reuse existing implementations under new names: what
// is tested is the wiring from registry to matrix, which a new technique gets the same way.)
import { describe, expect, it } from 'vitest';
import { Rng, registerSharingPlan, SHARING_PLANS } from '@weft/core';
import { registerRouter, routerEntry } from '@weft/moe';
import { adapterMethod, registerAdapterMethod } from '@weft/sharing';
import { opEntry, registerOp } from '@weft/nas';
import { conformanceRows } from './conformance/matrix.js';
import { checkForward, checkGradients, checkLedger, checkNoLeak, checkStateDict } from './conformance/checks.js';
import './conformance/rows/moe.js';
import './conformance/rows/adapters.js';
import './conformance/rows/sharing.js';
import './conformance/rows/nas.js';

const before = new Set(conformanceRows().map((r) => r.name));

registerRouter('registry-test-router', routerEntry('mixtral'));
// A rank that fits the matrix's 4 → 3 layer (rows use each method's own defaults).
const lora = adapterMethod('lora');
registerAdapterMethod('registry-test-adapter', { ...lora, defaults: { ...lora.defaults, r: 2 } } as typeof lora);
registerSharingPlan('registry-test-plan', SHARING_PLANS['cycle-reverse']!);
registerOp({ ...opEntry('linear', 'vector'), name: 'registry_test_op' });

describe('a new registry entry joins the conformance matrix with no other edit', () => {
  const added = conformanceRows().filter((r) => !before.has(r.name));

  it('each registered entry has a row', () => {
    const names = added.map((r) => r.name).join('\n');
    expect(names).toContain('registry-test-router');
    expect(names).toContain('registry-test-adapter');
    expect(names).toContain('registry-test-plan');
  });

  it('the NAS mixed-op rows build the new op as a candidate', () => {
    const row = conformanceRows().find((r) => r.name === 'nas/MixedOp (every registered vector op)')!;
    const module = row.make(new Rng(0)) as unknown as { ops: string[]; dispose(): void };
    expect(module.ops).toContain('registry_test_op');
    module.dispose();
  });

  for (const row of added) {
    describe(row.name, () => {
      it('forward, gradients, no leak, state dict and ledger checks pass', async () => {
        await checkForward(row);
        await checkGradients(row);
        await checkNoLeak(row);
        await checkStateDict(row);
        checkLedger(row);
      });
    });
  }
});
