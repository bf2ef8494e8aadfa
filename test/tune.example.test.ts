// examples/tune-digits.ts on reduced sizes: both studies run their budget, TPE prunes with the median
// pruner, and both reach real accuracies on the digits.
import { describe, expect, it } from 'vitest';
import { run } from '../examples/tune-digits';

describe('examples/tune-digits', () => {
  it('tunes the digits MLP with TPE + median pruning and with random search', async () => {
    const lines: string[] = [];
    const res = await run({ trials: 8, k: 3, epochs: 3, log: (l) => lines.push(l) });
    expect(res.tpe.complete + res.tpe.pruned).toBe(8);
    expect(res.random.complete).toBe(8);
    expect(res.tpe.best).toBeGreaterThan(0.85);
    expect(res.random.best).toBeGreaterThan(0.85);
    expect(res.testAccuracy).toBeGreaterThan(0.85);
    expect(res.tpe.params.width).toBeGreaterThanOrEqual(8);
    expect(lines.some((l) => l.startsWith('TPE + median pruning: best CV accuracy'))).toBe(true);
    expect(lines.some((l) => l.startsWith('random search:'))).toBe(true);
  });
});
