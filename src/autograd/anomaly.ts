// Anomaly mode, as torch.autograd.detect_anomaly: while it is on, every recorded node keeps the
// stack of the forward call that made it, and backward checks the gradients each node's backward
// returns for NaN and Inf, throwing at the first one with that op's name and forward stack.
// While it is off, nothing is captured: recording tests one boolean.
import type { Node } from './node';
import { Tensor } from '../tensor';
import { shapeStr } from '../shape';

/** @internal Read by applyOp and the backward engine. */
export let anomalyEnabled = false;

const forwardStacks = new WeakMap<Node, string>();

/** Turns anomaly detection on or off for every later forward and backward (off by default). */
export function setDetectAnomaly(mode: boolean): void {
  if (typeof mode !== 'boolean') throw new TypeError(`setDetectAnomaly: mode must be a boolean, got ${mode === null ? 'null' : `a ${typeof mode}`}`);
  anomalyEnabled = mode;
}

export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/** Runs fn (forward and backward) with anomaly detection on, then restores the previous mode. */
export function detectAnomaly<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`detectAnomaly: expected a function, got ${fn === null ? 'null' : `a ${typeof fn}`}`);
  const prev = anomalyEnabled;
  anomalyEnabled = true;
  try {
    return fn();
  } finally {
    anomalyEnabled = prev;
  }
}

/** @internal Called by applyOp for each new node while anomaly mode is on. */
export function recordForwardStack(node: Node): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64; // the user's line can be many library frames below
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, recordForwardStack);
  Error.stackTraceLimit = limit;
  const frames = (holder.stack ?? '').split('\n').slice(1);
  // The first frame is applyOp in <library>/autograd/node: drop the library's own leading frames so
  // that the stack starts at the user's call.
  const lib = /\(?((?:file:\/\/)?\/.*?[\\/])autograd[\\/]node\.[cm]?[jt]s:/.exec(frames[0] ?? '')?.[1];
  let first = 0;
  if (lib) while (first < frames.length - 1 && frames[first].includes(lib)) first++;
  forwardStacks.set(node, frames.slice(first).join('\n'));
}

/** @internal Throws if a gradient that `node`'s backward returned holds NaN or Inf. */
export function checkBackwardGradients(op: string, node: Node, grads: readonly unknown[]): void {
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (!(g instanceof Tensor) || g.dtype === 'int32') continue;
    const d = g.data();
    for (let j = 0; j < d.length; j++) {
      const v = d[j];
      if (v - v === 0) continue; // finite
      const kind = Number.isNaN(v) ? 'NaN' : 'Inf';
      const stack = forwardStacks.get(node);
      throw new Error(
        `${op}: anomaly detected: the backward of '${node.name}' returned ${kind} in the gradient for its input ${i} ` +
          `(shape ${shapeStr(g._shape)}, element ${j} is ${v}).\n` +
          (stack
            ? `The forward call that recorded '${node.name}':\n${stack}`
            : `'${node.name}' was recorded before anomaly mode was on, so its forward stack was not kept; enable it before the forward pass.`),
      );
    }
  }
}
