// tg.train search: grid and random search ordering and reproducibility, distributions, cross-validation folds.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

const { gridSearch, randomSearch, crossValidate, choice, uniform, logUniform, intUniform } = tg.train;

describe('gridSearch', () => {
  it('tries every combination (last key fastest) and sorts best first', async () => {
    const order: string[] = [];
    const res = await gridSearch({
      space: { a: [1, 2, 3], b: [10, 20] },
      objective: async (p) => { order.push(`${p.a},${p.b}`); return ((p.a as number) - 2) ** 2 + (p.b as number) / 10; },
    });
    expect(order).toEqual(['1,10', '1,20', '2,10', '2,20', '3,10', '3,20']);
    expect(res.map((r) => r.score)).toEqual([1, 2, 2, 2, 3, 3]);
    expect(res[0]).toEqual({ params: { a: 2, b: 10 }, score: 1, index: 2 });
    expect(res.map((r) => r.index)).toEqual([2, 0, 3, 4, 1, 5]); // ties keep evaluation order
  });

  it("maximises with mode 'max' and puts NaN scores last", async () => {
    const res = await gridSearch({ space: { x: [1, 2, 3, 4] }, objective: (p) => (p.x === 2 ? NaN : (p.x as number)), mode: 'max' });
    expect(res.map((r) => r.params.x)).toEqual([4, 3, 1, 2]);
    const min = await gridSearch({ space: { x: [1, 2, 3] }, objective: (p) => (p.x === 1 ? NaN : (p.x as number)) });
    expect(min.map((r) => r.params.x)).toEqual([2, 3, 1]);
  });

  it('rejects bad input', async () => {
    await expect(gridSearch({ space: { a: [] }, objective: () => 0 })).rejects.toThrow(/space.a must be a non-empty array/);
    await expect(gridSearch({ space: { a: [1] }, objective: () => 'x' as unknown as number })).rejects.toThrow(/must return a number/);
    await expect(gridSearch({ space: { a: [1] }, objective: () => 0, mode: 'best' as 'min' })).rejects.toThrow(/mode must be/);
  });
});

describe('randomSearch', () => {
  const space = { lr: logUniform(1e-4, 1e-1), units: intUniform(2, 4), act: choice(['relu', 'tanh']), drop: uniform(0, 0.5), opt: ['sgd', 'adam'], seed: 7 };
  const run = (seed: number, trials = 30) => randomSearch({ space, trials, objective: (p) => p.lr as number, generator: new tg.Generator(seed) });

  it('is reproducible with a seeded generator and draws within the ranges', async () => {
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const units = new Set<unknown>();
    for (const { params: p } of a) {
      expect(p.lr as number).toBeGreaterThanOrEqual(1e-4);
      expect(p.lr as number).toBeLessThan(1e-1);
      expect(p.drop as number).toBeGreaterThanOrEqual(0);
      expect(p.drop as number).toBeLessThan(0.5);
      expect(['relu', 'tanh']).toContain(p.act);
      expect(['sgd', 'adam']).toContain(p.opt);
      expect(p.seed).toBe(7);
      units.add(p.units);
    }
    expect([...units].sort()).toEqual([2, 3, 4]); // inclusive at both ends
    expect(a.map((r) => r.score)).toEqual(a.map((r) => r.score).slice().sort((x, y) => x - y));
  });

  it('follows tg.manualSeed without a generator', async () => {
    tg.manualSeed(5);
    const a = await randomSearch({ space, trials: 5, objective: (p) => p.drop as number });
    tg.manualSeed(5);
    const b = await randomSearch({ space, trials: 5, objective: (p) => p.drop as number });
    expect(a).toEqual(b);
  });

  it('maps uniforms to values as documented', () => {
    expect(intUniform(-1, 1)._sample(0)).toBe(-1);
    expect(intUniform(-1, 1)._sample(0.999999)).toBe(1);
    expect(intUniform(-1, 1)._sample(0.5)).toBe(0);
    expect(logUniform(1e-3, 1e-1)._sample(0.5)).toBeCloseTo(1e-2, 15);
    expect(uniform(2, 4)._sample(0.25)).toBe(2.5);
    expect(choice(['a', 'b', 'c'])._sample(0.7)).toBe('c');
    expect(() => logUniform(0, 1)).toThrow(/lo must be > 0/);
    expect(() => intUniform(1.5, 3)).toThrow(/integers/);
    expect(() => choice([])).toThrow(/non-empty/);
  });
});

describe('crossValidate', () => {
  it('scores each fold on views of the dataset; mean and population std', async () => {
    const data = Array.from({ length: 7 }, (_, i) => 10 * i);
    const dataset = { length: data.length, get: (i: number) => data[i] };
    const seen: number[][] = [];
    const res = await crossValidate({
      k: 3,
      dataset,
      objective: ({ train, val, fold }) => {
        const v = Array.from({ length: val.length }, (_, i) => val.get(i));
        seen.push(v);
        expect(train.length + val.length).toBe(7);
        expect(train.indices.some((i) => val.indices.includes(i))).toBe(false);
        return fold + v.length;
      },
    });
    expect(seen).toEqual([[0, 10, 20], [30, 40], [50, 60]]);
    expect(res.scores).toEqual([3, 3, 4]);
    expect(res.mean).toBeCloseTo(10 / 3, 15);
    expect(res.std).toBeCloseTo(Math.sqrt(((3 - 10 / 3) ** 2 * 2 + (4 - 10 / 3) ** 2) / 3), 15);
  });
});
