// Option checks shared by tg.tune's samplers, pruners and optimize.

/** v as an integer >= min, or a RangeError naming the function and the option. */
export function intAtLeast(op: string, name: string, v: unknown, min: number): number {
  if (!Number.isSafeInteger(v) || (v as number) < min) throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v as number;
}

/** v as a boolean (dflt when undefined), or a TypeError. */
export function boolOption(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean`);
  return v;
}
