// The loader's platform logic and its no-addon message (src/addon-target.ts loads no addon, so it
// is tested from the source tree in every run; pack-check checks the real message end to end).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonTarget, buildTools, libcPrebuild, MUSL_MAPPING, noAddonMessage, prebuildFitsLibc, shippedPrebuilds } from '../src/addon-target';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-addon-target-'));
for (const [dir, file] of [
  ['linux-x64', 'tapegrad.node'],
  ['linux-x64', 'tapegrad.musl.node'],
  ['linux-arm64', 'tapegrad.node'],
  ['win32-x64', 'tapegrad.node'],
  ['darwin-arm64', 'README.txt'], // not a binary: not listed
]) {
  fs.mkdirSync(path.join(root, 'prebuilds', dir), { recursive: true });
  fs.writeFileSync(path.join(root, 'prebuilds', dir, file), '');
}
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('addon target', () => {
  it('an untagged Linux prebuild is glibc; a musl system takes only musl-tagged ones', () => {
    expect(prebuildFitsLibc('/p/prebuilds/linux-x64/tapegrad.node', 'glibc')).toBe(true);
    expect(prebuildFitsLibc('/p/prebuilds/linux-x64/tapegrad.node', 'musl')).toBe(false);
    expect(prebuildFitsLibc('/p/prebuilds/linux-x64/tapegrad.musl.node', 'musl')).toBe(true);
    expect(prebuildFitsLibc('/p/prebuilds/linux-x64/tapegrad.musl.node', 'glibc')).toBe(false);
    expect(prebuildFitsLibc('/p/prebuilds/win32-x64/tapegrad.node', '')).toBe(true);
  });

  it('finds the prebuild for the C library node-gyp-build passed over', () => {
    const linux = (libc: string, arch = 'x64') => libcPrebuild(root, { platform: 'linux', arch, libc });
    expect(linux('musl')).toBe(path.join(root, 'prebuilds', 'linux-x64', 'tapegrad.musl.node'));
    expect(linux('glibc')).toBe(path.join(root, 'prebuilds', 'linux-x64', 'tapegrad.node'));
    expect(linux('musl', 'arm64')).toBeUndefined();
    expect(linux('glibc', 'riscv64')).toBeUndefined();
  });

  it('lists the shipped prebuilds by platform and C library', () => {
    expect(shippedPrebuilds(root)).toEqual(['linux-arm64 (glibc)', 'linux-x64 (musl)', 'linux-x64 (glibc)', 'win32-x64']);
    expect(shippedPrebuilds(path.join(root, 'nowhere'))).toEqual([]);
  });

  it('follows the overrides node-gyp-build honours', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { npm_config_platform: 'linux', npm_config_arch: 'riscv64', LIBC: 'musl' });
      expect(addonTarget()).toEqual({ platform: 'linux', arch: 'riscv64', libc: 'musl' });
      Object.assign(process.env, { npm_config_platform: 'win32', npm_config_arch: 'arm64' });
      expect(addonTarget()).toEqual({ platform: 'win32', arch: 'arm64', libc: '' });
    } finally {
      for (const k of ['npm_config_platform', 'npm_config_arch', 'LIBC']) {
        if (k in saved) process.env[k] = saved[k];
        else delete process.env[k];
      }
    }
    // This machine's own C library, read from the process's memory map.
    if (process.platform === 'linux' && !process.env.LIBC) {
      const maps = fs.readFileSync('/proc/self/maps', 'utf8');
      expect(addonTarget().libc).toBe(/\/libc\.so\.6$/m.test(maps) ? 'glibc' : 'musl');
    }
  });

  it('recognises musl in a memory map (Alpine and Debian layouts) and not glibc', () => {
    const line = (file: string) => `7f3a1c000000-7f3a1c0a0000 r-xp 00000000 fe:00 123   ${file}\n`;
    expect(MUSL_MAPPING.test(line('/lib/ld-musl-x86_64.so.1'))).toBe(true);
    expect(MUSL_MAPPING.test(line('/lib/ld-musl-aarch64.so.1'))).toBe(true);
    expect(MUSL_MAPPING.test(line('/usr/lib/x86_64-linux-musl/libc.so'))).toBe(true);
    expect(MUSL_MAPPING.test(line('/usr/lib/x86_64-linux-gnu/libc.so.6') + line('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'))).toBe(false);
    // A path that merely mentions musl (Bun's musl package directory) is not the C library.
    expect(MUSL_MAPPING.test(line('/cache/bun-linux-x64-musl/bin/bun'))).toBe(false);
  });

  it('the message names the platform, the prebuilds, the two commands and the compiler', () => {
    const msg = noAddonMessage(root, { platform: 'linux', arch: 'riscv64', libc: 'glibc' }, 'No native build was found\n  for x\n');
    expect(msg).toContain('no native addon for linux-riscv64 (glibc), Node ');
    expect(msg).toContain('Prebuilt binaries in this package: linux-arm64 (glibc), linux-x64 (musl), linux-x64 (glibc), win32-x64.');
    expect(msg).toContain('Release tarballs carry prebuilds for linux-x64, linux-arm64, win32-x64');
    expect(msg).toContain('\n    npm install-scripts approve tapegrad && npm rebuild tapegrad\n');
    expect(msg).toContain('That needs python3, make and a C++17 compiler');
    expect(msg).toContain('(No native build was found; for x)');
    expect(msg).not.toContain('musl libc system');
  });

  it('on musl it says that the glibc prebuild cannot load, and how to get a compiler on Alpine', () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-addon-target-'));
    try {
      fs.mkdirSync(path.join(bare, 'prebuilds', 'linux-x64'), { recursive: true });
      fs.writeFileSync(path.join(bare, 'prebuilds', 'linux-x64', 'tapegrad.node'), '');
      const msg = noAddonMessage(bare, { platform: 'linux', arch: 'x64', libc: 'musl' }, 'found only a glibc build');
      expect(msg).toContain('no native addon for linux-x64 (musl)');
      expect(msg).toContain('the linux-x64 prebuild is for glibc and cannot load here');
      expect(msg).toContain('apk add build-base python3');
      expect(msg).toContain('npm install-scripts approve tapegrad && npm rebuild tapegrad');
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });

  it('names each platform\'s compiler', () => {
    expect(buildTools({ platform: 'win32', arch: 'x64', libc: '' })).toMatch(/Visual Studio .*Desktop development with C\+\+/);
    expect(buildTools({ platform: 'darwin', arch: 'arm64', libc: '' })).toContain('xcode-select --install');
    expect(buildTools({ platform: 'linux', arch: 'x64', libc: 'glibc' })).not.toContain('apk');
  });

  it('the README gives the same build commands as the message', () => {
    const msg = noAddonMessage(root, { platform: 'linux', arch: 'riscv64', libc: 'glibc' }, '');
    const command = /^ {4}(npm install-scripts .*)$/m.exec(msg)![1];
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`\n${command}   # npm 10 or older: npm rebuild tapegrad\n`);
  });
});
