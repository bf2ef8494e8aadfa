// Small helpers shared by the tg.viz functions.

export { describe } from '../validate';

/** n evenly spaced values from lo to hi, both ends exact. */
export const linspace = (lo: number, hi: number, n: number): number[] => Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
