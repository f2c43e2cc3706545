// A fuzz target with planted faults, for testing the fuzz runner itself: its seeds are a harmless
// input and one input per kind of fault, which the runner must each catch, save and survive.

import { Finding } from '../../fuzz/oracle.js';
import type { FuzzTarget } from '../../fuzz/target.js';

export const PLANTED = {
  crash: 'CRASH: a TypeError outside the oracle',
  disagree: 'DISAGREE: two reads that differ',
  loop: 'LOOP: a synchronous endless loop',
  pending: 'PENDING: a promise that never settles',
  heap: 'HEAP: grows the heap without bound',
} as const;

const plantedTarget: FuzzTarget = {
  name: 'planted',
  seeds: () => ['harmless', ...Object.values(PLANTED)].map((text) => Buffer.from(text)),
  dictionary: [],
  maxLength: 256,
  covers: (url) => url.endsWith('/planted-fuzz-target.js'),
  async run(input) {
    const text = input.toString('latin1');
    if (text.startsWith('CRASH')) (null as unknown as { x: number }).x += 1;
    if (text.startsWith('DISAGREE')) throw new Finding('inconsistent', 'planted disagreement');
    // The planted endless loop: only the runner's watchdog can stop it.
    while (text.startsWith('LOOP')) { /* spin */ }
    if (text.startsWith('PENDING')) await new Promise(() => undefined);
    if (text.startsWith('HEAP')) {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1 << 20).fill(hoard.length));
    }
    return 'harmless';
  },
};

export default plantedTarget;
