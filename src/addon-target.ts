// What the addon loader (native.ts) needs to know about the running platform, and the message it
// throws when no binary fits it. Kept apart from native.ts so that it loads without the addon.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PREBUILT_PLATFORMS } from './prebuilt-platforms';

export interface AddonTarget {
  platform: string;
  arch: string;
  /** 'glibc' or 'musl' on Linux, '' elsewhere. */
  libc: string;
}

/**
 * The platform node-gyp-build looks for: it honours npm_config_platform, npm_config_arch and LIBC,
 * so this does too (which is also how pack-check simulates a platform without a prebuild).
 */
export function addonTarget(): AddonTarget {
  const platform = process.env.npm_config_platform || process.platform;
  const arch = process.env.npm_config_arch || process.arch;
  return { platform, arch, libc: platform === 'linux' ? process.env.LIBC || runningLibc() : '' };
}

// node-gyp-build itself only recognises Alpine (/etc/alpine-release); the C library mapped into
// this process is what decides whether a glibc binary can load, on any musl distribution. musl's
// loader and libc are one file: /lib/ld-musl-<arch>.so.1 on Alpine, /usr/lib/<arch>-linux-musl/libc.so
// on Debian (where the former is a symlink to it).
export const MUSL_MAPPING = /(\/ld-musl-[^/\s]*|\/libc\.musl-[^/\s]*|-linux-musl\/libc\.so)$/m;

function runningLibc(): string {
  try {
    return MUSL_MAPPING.test(fs.readFileSync('/proc/self/maps', 'utf8')) ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}

/** True when `file` is a prebuilt binary made for the C library `libc` (an untagged Linux one is glibc's). */
export function prebuildFitsLibc(file: string, libc: string): boolean {
  if (!libc) return true;
  const tags = path.basename(file).split('.');
  return libc === 'musl' ? tags.includes('musl') : !tags.includes('musl');
}

/**
 * A prebuild in `root`/prebuilds/<platform>-<arch> made for `target.libc`: node-gyp-build takes musl
 * only on Alpine, so on another musl system it passes over the musl prebuild that fits.
 */
export function libcPrebuild(root: string, target: AddonTarget): string | undefined {
  const dir = path.join(root, 'prebuilds', `${target.platform}-${target.arch}`);
  const file = safeReaddir(dir)
    .filter((f) => f.endsWith('.node') && prebuildFitsLibc(f, target.libc))
    .sort()[0];
  return file && path.join(dir, file);
}

/** The prebuilt binaries under `root`/prebuilds, as "linux-x64 (glibc)", "win32-x64", ... */
export function shippedPrebuilds(root: string): string[] {
  const out: string[] = [];
  const dir = path.join(root, 'prebuilds');
  for (const tuple of safeReaddir(dir).sort()) {
    for (const file of safeReaddir(path.join(dir, tuple)).filter((f) => f.endsWith('.node')).sort()) {
      const libc = tuple.startsWith('linux-') ? (prebuildFitsLibc(file, 'musl') ? ' (musl)' : ' (glibc)') : '';
      out.push(`${tuple}${libc}`);
    }
  }
  return [...new Set(out)];
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** What a from-source build needs on `platform`. */
export function buildTools(target: AddonTarget): string {
  if (target.platform === 'win32') {
    return 'python3 and Visual Studio 2019 or newer (or its Build Tools) with the "Desktop development with C++" workload';
  }
  if (target.platform === 'darwin') return 'python3 and the Xcode Command Line Tools (`xcode-select --install`)';
  const alpine = target.libc === 'musl' ? ' (on Alpine: `apk add build-base python3`)' : '';
  return `python3, make and a C++17 compiler, g++ (GCC)${alpine}`;
}

function runtimeName(): string {
  const v = process.versions as Record<string, string | undefined>;
  if (v.bun) return `Bun ${v.bun}`;
  if (v.deno) return `Deno ${v.deno}`;
  return `Node ${process.version}`;
}

/** The error thrown when no addon can be loaded; `detail` says what the lookup or dlopen said. */
export function noAddonMessage(root: string, target: AddonTarget, detail: string): string {
  const name = `${target.platform}-${target.arch}${target.libc ? ` (${target.libc})` : ''}`;
  const shipped = shippedPrebuilds(root);
  const lines = [
    `tapegrad: no native addon for ${name}, ${runtimeName()}, N-API ${process.versions.napi ?? '?'}.`,
    `  Prebuilt binaries in this package: ${shipped.length ? shipped.join(', ') : 'none'}.`,
    `  (Release tarballs carry prebuilds for ${PREBUILT_PLATFORMS.join(', ')}.)`,
  ];
  if (target.libc === 'musl' && shipped.some((s) => s.startsWith(`linux-${target.arch} (glibc)`))) {
    lines.push(`  This is a musl libc system (Alpine?); the linux-${target.arch} prebuild is for glibc and cannot load here.`);
  }
  lines.push(
    `  No build from source was found in ${path.join(root, 'build', 'Release')} either.`,
    `  Build it from source in your project (npm 11 skips dependencies' install scripts until approved):`,
    `    npm install-scripts approve tapegrad && npm rebuild tapegrad`,
    `  (with npm 10 or older, \`npm rebuild tapegrad\` alone).`,
    `  That needs ${buildTools(target)}.`,
    `  (${detail.trim().replace(/\s*\n\s*/g, '; ')})`,
  );
  return lines.join('\n');
}
