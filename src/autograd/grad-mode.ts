let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** @internal Sets grad mode and returns the previous one (for hot paths that avoid closures). */
export function setGradMode(flag: boolean): boolean {
  const prev = enabled;
  enabled = flag;
  return prev;
}

/** @internal Runs fn with grad mode set to `flag`, restoring the previous mode afterwards. */
export function withGradMode<T>(flag: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = flag;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('noGrad: expected a function');
  return withGradMode(false, fn);
}

export function enableGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('enableGrad: expected a function');
  return withGradMode(true, fn);
}
