// File-system errors carry the public reader or writer and the file: `io.load: /x: ENOENT: ...`.

/** Runs an fs call, prefixing its error (ENOENT, EACCES, EISDIR, ...) with `op` and the file; keeps `code`. */
export function fsCall<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code !== 'string' || typeof err.message !== 'string' || err.message.startsWith(`${op}:`)) throw e;
    const out = new Error(`${op}: ${path}: ${err.message}`) as NodeJS.ErrnoException;
    out.code = err.code;
    throw out;
  }
}
