// Printing summarized tensors (over 1000 elements) reads only the edge items through the view's
// strides: non-contiguous views, float64, int32 and 1e8-element views print exactly as PyTorch 1.13
// (fixtures/format_views.json, made by fixtures/make_format_views_fixture.py with the same ops).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import * as tg from 'tapegrad';

const fixture = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'format_views.json'), 'utf8'),
) as { cases: Record<string, string> };

// The same ops as the generator, case by case.
const build: Record<string, () => tg.Tensor> = {
  'transposed 2-D': () => tg.arange(2400).reshape(40, 60).div(7).T,
  'strided slice 1-D': () => tg.arange(6000).slice(0, 1, 6000, 3),
  'permuted 3-D float64': () => tg.arange(3000, undefined, undefined, { dtype: 'float64' }).div(3).reshape(10, 15, 20).permute(2, 0, 1),
  'sliced 3-D': () => tg.tensor(Float32Array.from({ length: 24000 }, (_, i) => ((i % 13) - 6) / 4), { shape: [30, 20, 40] }).slice(0, 0, 30, 2).slice(1, 5, 20).slice(2, 1, 40, 3),
  'expanded int32': () => tg.arange(5, undefined, undefined, { dtype: 'int32' }).expand(400, 5),
  'sliced int32 2-D': () => tg.arange(4000, undefined, undefined, { dtype: 'int32' }).sub(2000).reshape(50, 80).slice(0, 5, 45).slice(1, 10, 70, 2),
  'float64 scientific': () => {
    const x = tg.arange(1, 1501, undefined, { dtype: 'float64' });
    return x.mul(x).mul(x);
  },
  'requires grad summarized': () => tg.arange(2000, undefined, undefined, { requiresGrad: true }),
  '1e8 zeros (expanded)': () => tg.zeros([1]).expand(100_000_000),
  '1e8 as 10000x10000 (expanded row)': () => tg.arange(10000).expand(10000, 10000),
};

describe('printing summarized views', () => {
  it('covers every fixture case', () => {
    expect(Object.keys(build).sort()).toEqual(Object.keys(fixture.cases).sort());
  });

  for (const [name, expected] of Object.entries(fixture.cases)) {
    it(`prints like PyTorch: ${name}`, () => {
      const t = build[name]();
      expect(t.toString()).toBe(expected);
      expect(inspect(t)).toBe(expected);
    });
  }

  it('a non-contiguous summarized view prints like its contiguous copy', () => {
    const v = tg.arange(24000).reshape(30, 20, 40).permute(2, 0, 1).slice(1, 3, 30, 2);
    expect(v.isContiguous()).toBe(false);
    expect(v.toString()).toBe(v.contiguous().toString());
  });

  it('prints a 1e8-element tensor that owns its storage', () => {
    const t = tg.full([100_000_000], 2, { dtype: 'int32' });
    expect(String(t)).toBe('tensor([2, 2, 2,  ..., 2, 2, 2], dtype=int32)');
  });
});
