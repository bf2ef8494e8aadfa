// Verifying the gradients of your own code. A custom op, gate(a, b) = a · sigmoid(b), is defined with
// tg.defineOp and a hand-written backward:
//   ∂/∂a = g · σ(b),   ∂/∂b = g · a · σ(b) · (1 − σ(b))
// and used in a custom module, GatedLinear (a gated linear unit: two Linear layers, one gating the
// other). tg.gradcheck compares the op's backward with central differences in float64, and
// tg.nn.utils.checkGradients does the same for every parameter of a whole model. The same module
// built on a deliberately wrong backward (the σ'(b) factor forgotten) is caught by both checks,
// which name the input, parameter and entry that disagree.
//
// Run: npx tsx examples/gradient-check-custom-module.ts
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

const nn = tg.nn;

type Gate = (a: tg.Tensor, b: tg.Tensor) => tg.Tensor;

/** gate(a, b) = a · sigmoid(b), with its backward written by hand; `buggy` drops the σ'(b) factor. */
export function makeGate(buggy = false): Gate {
  return tg.defineOp(buggy ? 'gateBuggy' : 'gate', {
    forward(ctx, a: tg.Tensor, b: tg.Tensor) {
      ctx.save(a, b);
      return a.mul(b.sigmoid());
    },
    backward(ctx, g) {
      const [a, b] = ctx.saved;
      const s = b.sigmoid();
      const ds = buggy ? s : s.mul(s.neg().add(1)); // σ'(b) = σ(b)(1 − σ(b))
      return [ctx.needsInputGrad[0] ? g.mul(s) : null, ctx.needsInputGrad[1] ? g.mul(a).mul(ds) : null];
    },
  });
}

/** y = (x Wᵀ + b) · σ(x Vᵀ + c): a Linear layer whose outputs are gated by a second one. */
export class GatedLinear extends nn.Module {
  value: tg.nn.Linear;
  gateLayer: tg.nn.Linear;
  constructor(inFeatures: number, outFeatures: number, private readonly gate: Gate) {
    super();
    this.value = new nn.Linear(inFeatures, outFeatures);
    this.gateLayer = new nn.Linear(inFeatures, outFeatures);
  }
  override forward(x: tg.Tensor): tg.Tensor {
    return this.gate(this.value.forward(x), this.gateLayer.forward(x));
  }
}

export interface GradCheckOptions {
  seed?: number;
  log?: (line: string) => void;
}

export interface GradCheckResult {
  opCorrect: boolean;
  opBuggy: tg.GradcheckReport;
  modelCorrect: tg.nn.utils.GradientCheckReport;
  modelBuggy: tg.nn.utils.GradientCheckReport;
}

export async function run(opts: GradCheckOptions = {}): Promise<GradCheckResult> {
  const { seed = 0, log = console.log } = opts;
  const gen = new tg.Generator(seed);
  const f64 = { dtype: 'float64' as const, requiresGrad: true, generator: gen };

  // 1. The op alone, on float64 inputs.
  const a = tg.randn([4, 3], f64);
  const b = tg.randn([4, 3], f64);
  const opCorrect = tg.gradcheck(makeGate(), [a, b]);
  log(`gradcheck(gate):       ${opCorrect}`);
  const opBuggy = tg.gradcheckReport(makeGate(true), [a, b]);
  const wa = opBuggy.inputs[1].worst!;
  log(
    `gradcheck(buggy gate): ok = ${opBuggy.ok}; input 0 max error ${opBuggy.inputs[0].maxAbsError.toExponential(1)}, ` +
      `input 1 max error ${opBuggy.inputs[1].maxAbsError.toExponential(1)} ` +
      `(element [${wa.element}]: numerical ${wa.numerical.toFixed(5)} vs analytical ${wa.analytical.toFixed(5)})`,
  );

  // 2. A whole model: GatedLinear → Linear, mean squared error on a random batch.
  const x = tg.randn([8, 5], { generator: gen });
  const y = tg.randn([8, 2], { generator: gen });
  const lossFn = (m: tg.nn.Module, xb: unknown, yb: unknown) => nn.functional.mseLoss(m.forward(xb) as tg.Tensor, yb as tg.Tensor);
  const makeModel = (gate: Gate) => {
    tg.manualSeed(seed);
    return new nn.Sequential(new GatedLinear(5, 6, gate), new nn.Linear(6, 2));
  };
  const modelCorrect = nn.utils.checkGradients(makeModel(makeGate()), lossFn, x, y);
  const modelBuggy = nn.utils.checkGradients(makeModel(makeGate(true)), lossFn, x, y);
  for (const [label, rep] of [['correct gate', modelCorrect], ['buggy gate', modelBuggy]] as const) {
    log(`checkGradients(model with ${label}): ok = ${rep.ok}, worst relative error ${rep.maxRelError.toExponential(2)}`);
    for (const p of rep.parameters) {
      log(`  ${p.name.padEnd(20)} ${JSON.stringify(p.shape).padEnd(7)} ${String(p.entriesChecked).padStart(3)} entries, max relative error ${p.maxRelError.toExponential(2)}`);
    }
  }
  const w = modelBuggy.worst!;
  log(`worst entry of the buggy model: ${w.name}[${w.index}]: analytical ${w.analytical.toExponential(4)} vs numerical ${w.numerical.toExponential(4)}`);
  return { opCorrect, opBuggy, modelCorrect, modelBuggy };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
