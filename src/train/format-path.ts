// ModelCheckpoint's path templates: `{name}` and `{name:spec}` placeholders filled from the epoch logs.

/**
 * Fills `{name}` and `{name:spec}` placeholders from `values`, with Python-like specs:
 * `.4f` (fixed), `.3e` (exponent), `03d`/`d` (integer, zero-padded to a width).
 */
export function formatPath(op: string, template: string, values: Record<string, number>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (_m, key: string, spec?: string) => {
    if (!(key in values)) throw new RangeError(`${op}: placeholder {${key}} in '${template}' is not one of: ${Object.keys(values).join(', ')}`);
    const v = values[key];
    if (spec === undefined || spec === '') return String(v);
    const f = /^\.(\d+)([fe])$/.exec(spec);
    if (f) return f[2] === 'f' ? v.toFixed(Number(f[1])) : v.toExponential(Number(f[1]));
    const d = /^(0?)(\d*)d$/.exec(spec);
    if (d) {
      const s = String(Math.round(Math.abs(v)));
      const w = Number(d[2] || 0);
      return (v < 0 ? '-' : '') + s.padStart(w, d[1] ? '0' : ' ');
    }
    throw new RangeError(`${op}: unsupported format '${spec}' for {${key}} (use .Nf, .Ne, d or 0Nd)`);
  });
}
