// The README's example runs as written and prints what its comments promise.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

describe('README training example', () => {
  it('trains the digits CNN to a high validation accuracy and writes the plot', async () => {
    const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes('tg.train.fit'))!;
    const svg = join(mkdtempSync(join(tmpdir(), 'tg-readme-')), 'loss.svg');
    const code = block.replace(/^import .*$/m, '').replace("'loss.svg'", JSON.stringify(svg));
    const js = ts.transpileModule(`(async () => {${code}})()`, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const printed: unknown[][] = [];
    await new Function('tg', 'console', `return ${js}`)(tg, { log: (...a: unknown[]) => printed.push(a) });
    expect(printed).toHaveLength(1);
    expect(printed[0][0] as number, String(printed[0][0])).toBeGreaterThan(0.95);
    expect(readFileSync(svg, 'utf8').startsWith('<svg')).toBe(true);
  });
});
