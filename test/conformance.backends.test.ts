// The conformance matrix: every row (test/conformance/rows/*.ts) passes the same checks on every
// backend of the environment — forward, gradients to every trainable parameter, no tensor growth
// while training, state-dict round trip, ledger invariants, and parity with the cpu backend.
import { expect, it, describe } from 'vitest';
import { describeBackends, type BackendName } from '@weft/core/testing';
import { conformanceRows } from './conformance/matrix.js';
import { LEAK_STEPS, checkCpuParity, checkForward, checkGradients, checkLedger, checkNoLeak, checkStateDict } from './conformance/checks.js';
import './conformance/rows/core.js';
import './conformance/rows/moe.js';
import './conformance/rows/adapters.js';
import './conformance/rows/sharing.js';
import './conformance/rows/nas.js';

describeBackends('conformance', (backend: BackendName) => {
  it('has rows', () => expect(conformanceRows().length).toBeGreaterThan(10));
  for (const row of conformanceRows()) {
    describe(row.name, () => {
      it('forward gives a finite output', () => checkForward(row));
      it('gradients reach every trainable parameter', () => checkGradients(row));
      it(`no tensor growth over ${LEAK_STEPS} training steps`, () => checkNoLeak(row));
      it('state dict save/load gives identical parameters and outputs', () => checkStateDict(row));
      it('ledger invariants: trainable ≤ stored ≤ effective, active ≤ stored, stored = Σ unique sizes', () => checkLedger(row));
      if (backend !== 'cpu') it('matches the cpu backend (same seed, same outputs)', () => checkCpuParity(row, backend));
    });
  }
});
