// The README's tg.tune example runs as written.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

describe('README tuning example', () => {
  it('runs a pruned TPE study and prints the best value and parameters', async () => {
    const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes('tg.tune.createStudy'))!;
    const js = ts.transpileModule(`(async () => {\n${block}\n})()`, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const printed: unknown[][] = [];
    await new Function('tg', 'console', `return ${js.trim().replace(/;$/, '')}`)(tg, { log: (...a: unknown[]) => printed.push(a) });
    expect(printed).toHaveLength(1);
    const [best, params] = printed[0] as [number, Record<string, unknown>];
    expect(best).toBeGreaterThan(0.98);
    expect(params.act).toBe('relu');
  });
});
