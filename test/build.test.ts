// binding.gyp (node-gyp, prebuilds) and CMakeLists.txt (cmake-js dev builds) compile the same sources.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..');

describe('build files', () => {
  it('list the same native sources', () => {
    const gyp = JSON.parse(readFileSync(resolve(root, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] };
    const gypSources = gyp.targets.flatMap((t) => t.sources).sort();
    const cmake = readFileSync(resolve(root, 'CMakeLists.txt'), 'utf8');
    const cmakeSources = [...cmake.matchAll(/\bnative\/[\w/]+\.cc\b/g)].map((m) => m[0]).sort();
    expect(gypSources.length).toBeGreaterThan(5);
    expect(cmakeSources).toEqual(gypSources);
  });
});
