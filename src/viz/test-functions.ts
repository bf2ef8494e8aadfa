// The 2-D test surfaces of the optimisation lectures, as tape functions of a 2-element tensor `xy`.
import { Tensor } from '../tensor';
import { add, mul, square, sub } from '../ops/elementwise';
import { narrow, reshape } from '../ops/shape';

export type SurfaceName = 'rosenbrock' | 'beale' | 'himmelblau' | 'ravine';
export type SurfaceFn = (xy: Tensor) => Tensor;

export interface Surface {
  fn: SurfaceFn;
  /** The window the contours are drawn over. */
  xRange: [number, number];
  yRange: [number, number];
  /** Where the minimum (one of them, for Himmelblau's) lies. */
  minimum?: [number, number];
}

const coords = (xy: Tensor): [Tensor, Tensor] => [reshape(narrow(xy, 0, 0, 1), []), reshape(narrow(xy, 0, 1, 1), [])];

/** (1 - x)^2 + 100 (y - x^2)^2: a curved valley, minimum 0 at (1, 1). */
function rosenbrock(xy: Tensor): Tensor {
  const [x, y] = coords(xy);
  return add(square(sub(1, x)), mul(100, square(sub(y, square(x)))));
}

/** (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2: flat plateaus, minimum 0 at (3, 0.5). */
function beale(xy: Tensor): Tensor {
  const [x, y] = coords(xy);
  const y2 = square(y);
  const term = (c: number, yk: Tensor) => square(add(sub(c, x), mul(x, yk)));
  return add(add(term(1.5, y), term(2.25, y2)), term(2.625, mul(y2, y)));
}

/** (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima of 0, one at (3, 2). */
function himmelblau(xy: Tensor): Tensor {
  const [x, y] = coords(xy);
  return add(square(sub(add(square(x), y), 11)), square(sub(add(x, square(y)), 7)));
}

/** 0.05 x^2 + 2 y^2: an ill-conditioned quadratic (curvatures 0.1 and 4, condition number 40), minimum 0 at (0, 0). */
function ravine(xy: Tensor): Tensor {
  const [x, y] = coords(xy);
  return add(mul(0.05, square(x)), mul(2, square(y)));
}

export const SURFACES: Record<SurfaceName, Surface> = {
  rosenbrock: { fn: rosenbrock, xRange: [-2, 2], yRange: [-1, 3], minimum: [1, 1] },
  beale: { fn: beale, xRange: [-4.5, 4.5], yRange: [-4.5, 4.5], minimum: [3, 0.5] },
  himmelblau: { fn: himmelblau, xRange: [-5, 5], yRange: [-5, 5], minimum: [3, 2] },
  ravine: { fn: ravine, xRange: [-10, 10], yRange: [-3, 3], minimum: [0, 0] },
};
