// The README's example runs as written and prints what its comments promise.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import * as tg from 'tapegrad';

describe('README example', () => {
  it('runs and converges', () => {
    const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)![1].replace(/^import .*$/m, '');
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const printed: unknown[][] = [];
    new Function('tg', 'console', js)(tg, { log: (...a: unknown[]) => printed.push(a) });
    expect(printed).toHaveLength(2);
    const w = printed[0][0] as string;
    const nums = w.match(/-?\d+\.\d+/g)!.map(Number);
    expect(nums[0]).toBeCloseTo(2, 3);
    expect(nums[1]).toBeCloseTo(-1, 3);
    expect(nums[2]).toBeCloseTo(0.5, 3);
    expect(printed[0][1] as number).toBeCloseTo(0.3, 3);
    expect(printed[1][0]).toBe(true);
  });
});
