// The release's platform list is written in three places that must agree: the loader's
// (src/prebuilt-platforms.ts, named in its load error), the release workflow's
// (.github/workflows/prebuild.yml: the platforms it uploads a tested prebuild for, and the lists its
// assemble job copies and checks) and the README's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREBUILT_PLATFORMS } from '../src/prebuilt-platforms';

const root = join(__dirname, '..');
const workflow = readFileSync(join(root, '.github/workflows/prebuild.yml'), 'utf8');
const sorted = (a: Iterable<string>) => [...a].sort();
const loader = sorted(PREBUILT_PLATFORMS);

describe('prebuilt platform lists', () => {
  it('the loader lists each platform once, as process.platform-process.arch', () => {
    expect(new Set(loader).size).toBe(loader.length);
    for (const p of loader) expect(p).toMatch(/^(linux|darwin|win32)-(x64|arm64)$/);
  });

  it('the workflow uploads a tested prebuild for exactly the loader\'s platforms', () => {
    const matrix = [...workflow.matchAll(/\{ platform: ([\w-]+), runner: /g)].map((m) => m[1]);
    // Uploads named prebuild-<platform> outright; the cross build's untested one does not count.
    const named = [...workflow.matchAll(/name: prebuild-([\w-]+), path:/g)].map((m) => m[1]).filter((p) => !p.endsWith('-untested'));
    expect(workflow).toContain("name: 'prebuild-${{ matrix.platform }}'");
    expect(sorted([...matrix, ...named])).toEqual(loader);
    expect(matrix.length + named.length).toBe(loader.length);
  });

  it('the workflow\'s assemble job copies and checks exactly the loader\'s platforms', () => {
    const lists = [...workflow.matchAll(/for p in ([\w -]+); do/g)].map((m) => sorted(m[1].trim().split(/\s+/)));
    expect(lists.length).toBe(2);
    for (const l of lists) expect(l).toEqual(loader);
  });

  it('the README lists the same platforms', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const para = /Prebuilt binaries in the release tarball[^]*?\n\n/.exec(readme);
    expect(para).not.toBeNull();
    const first = para![0].split('. ')[0]; // the list sentence
    expect(sorted(first.match(/`(linux|darwin|win32)-(x64|arm64)`/g)!.map((s) => s.slice(1, -1)))).toEqual(loader);
  });

  it('npm run prebuild:all makes the ones this (linux-x64) machine can: a subset of the list', () => {
    const script = readFileSync(join(root, 'scripts/prebuild-all.sh'), 'utf8');
    const all = /all=([\w,-]+); else/.exec(script)![1].split(',');
    for (const p of all) expect(loader).toContain(p);
  });
});
