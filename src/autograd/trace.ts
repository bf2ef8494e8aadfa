// An opt-in observer of every op call, for exporters (tg.onnx): applyOp and the ops that never record
// a tape node (comparisons) report (op name, arguments, output) here while a tracer is set.
export type TraceHook = (name: string, args: readonly unknown[], out: unknown) => void;

export let activeTracer: TraceHook | null = null;

/** Runs fn with `hook` observing every op; tracers do not nest. */
export function withTracer<T>(hook: TraceHook, fn: () => T): T {
  if (activeTracer !== null) throw new Error('withTracer: a trace is already running');
  activeTracer = hook;
  try {
    return fn();
  } finally {
    activeTracer = null;
  }
}
