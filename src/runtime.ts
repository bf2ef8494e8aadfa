import { native, prebuilt, addonFile } from './native';
import { checkInt } from './validate';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

export function setNumThreads(n: number): void {
  const k = checkInt('setNumThreads', n, 'n');
  if (k < 1 || k > 1024) throw new RangeError(`setNumThreads: n must be in 1..1024, got ${k}`);
  native.setNumThreads(k);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

export interface BackendInfo {
  version: string;
  isa: 'scalar' | 'sse2' | 'avx2' | 'avx512' | 'neon';
  threads: number;
  prebuilt: boolean;
  addon: string;
}

export function backendInfo(): BackendInfo {
  return {
    version,
    isa: native.isa() as BackendInfo['isa'],
    threads: native.getNumThreads(),
    prebuilt,
    addon: addonFile,
  };
}
