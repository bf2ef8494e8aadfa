// A 3-D surface z = f(x, y) over a grid, as a projected mesh: each grid cell becomes a quadrilateral,
// coloured by its height and drawn far-to-near (the painter's algorithm), so nearer parts hide farther ones.
import { colorScale, esc, extent, px } from './chart';

export interface SurfaceOptions {
  title?: string;
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  zLabel?: string;
  /** Degrees around the vertical axis and above the horizon (matplotlib's defaults: -60 and 30). */
  azimuth?: number;
  elevation?: number;
}

/** The SVG of the surface `values[i][j]` at `xs[i]`, `ys[j]`. */
export function surfaceSvg(xs: readonly number[], ys: readonly number[], values: readonly (readonly number[])[], o: SurfaceOptions = {}): string {
  const W = o.width ?? 640, H = o.height ?? 520;
  const az = ((o.azimuth ?? -60) * Math.PI) / 180, el = ((o.elevation ?? 30) * Math.PI) / 180;
  const [zlo, zhi] = extent(values.flat());
  const zspan = zhi > zlo ? zhi - zlo : 1;
  const [x0, x1] = [xs[0], xs[xs.length - 1]], [y0, y1] = [ys[0], ys[ys.length - 1]];
  // Normalised model coordinates: x, y in [-1, 1], height in [-0.7, 0.7].
  const model = (i: number, j: number): [number, number, number] => {
    const z = values[i][j];
    return [(2 * (xs[i] - x0)) / (x1 - x0) - 1, (2 * (ys[j] - y0)) / (y1 - y0) - 1, Number.isFinite(z) ? 1.4 * ((z - zlo) / zspan) - 0.7 : NaN];
  };
  // Rotate about the vertical axis, then look down from the elevation: screen (u, v) and depth toward the viewer.
  const project = ([x, y, z]: [number, number, number]): [number, number, number] => {
    const u = x * Math.cos(az) - y * Math.sin(az);
    const w = x * Math.sin(az) + y * Math.cos(az);
    return [u, w * Math.sin(el) + z * Math.cos(el), -w * Math.cos(el) + z * Math.sin(el)];
  };
  const n = xs.length, m = ys.length;
  const pts = xs.map((_, i) => ys.map((_, j) => project(model(i, j))));
  const corners = [-1, 1].flatMap((x) => [-1, 1].flatMap((y) => [-0.7, 0.7].map((z) => project([x, y, z]))));
  const [ulo, uhi] = extent(corners.map((p) => p[0])), [vlo, vhi] = extent(corners.map((p) => p[1]));
  const L = 40, R = 40, T = 50, B = 40;
  const s = Math.min((W - L - R) / (uhi - ulo), (H - T - B) / (vhi - vlo));
  const sx = (u: number) => L + (W - L - R) / 2 + (u - (ulo + uhi) / 2) * s;
  const sy = (v: number) => T + (H - T - B) / 2 - (v - (vlo + vhi) / 2) * s;
  const color = colorScale(zlo, zhi);
  const quads: { depth: number; svg: string }[] = [];
  for (let i = 0; i + 1 < n; i++) {
    for (let j = 0; j + 1 < m; j++) {
      const q = [pts[i][j], pts[i + 1][j], pts[i + 1][j + 1], pts[i][j + 1]];
      if (q.some((p) => !Number.isFinite(p[1]))) continue;
      const z = (values[i][j] + values[i + 1][j] + values[i + 1][j + 1] + values[i][j + 1]) / 4;
      const d = `M${q.map((p) => `${px(sx(p[0]))},${px(sy(p[1]))}`).join('L')}Z`;
      quads.push({ depth: (q[0][2] + q[1][2] + q[2][2] + q[3][2]) / 4, svg: `<path d="${d}" fill="${color(z)}" stroke="#333" stroke-width="0.3" stroke-opacity="0.6"/>` });
    }
  }
  // Far to near by mean depth (the painter's algorithm, as matplotlib's plot_surface).
  quads.sort((a, b) => a.depth - b.depth);
  // Axis edges of the base and their labels, drawn first (behind the surface).
  const base = (x: number, y: number) => project([x, y, -0.7]);
  const edge = (a: [number, number, number], b: [number, number, number]) => `<line x1="${px(sx(a[0]))}" y1="${px(sy(a[1]))}" x2="${px(sx(b[0]))}" y2="${px(sy(b[1]))}" stroke="#888"/>`;
  const labelAt = (p: [number, number, number], text: string) => `<text x="${px(sx(p[0]))}" y="${px(sy(p[1]) + 16)}" text-anchor="middle">${esc(text)}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...(o.title !== undefined ? [`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(o.title)}</text>`] : []),
    `<g class="axes">`,
    edge(base(-1, -1), base(1, -1)),
    edge(base(1, -1), base(1, 1)),
    edge(base(-1, -1), base(-1, 1)),
    edge(base(-1, 1), base(1, 1)),
    edge(project([-1, 1, -0.7]), project([-1, 1, 0.7])),
    labelAt(base(0, -1), `${o.xLabel ?? 'x'} [${x0}, ${x1}]`),
    labelAt(base(1, 0), `${o.yLabel ?? 'y'} [${y0}, ${y1}]`),
    `<text x="${px(sx(project([-1, 1, 0.7])[0]))}" y="${px(sy(project([-1, 1, 0.7])[1]) - 8)}" text-anchor="middle">${esc(`${o.zLabel ?? 'z'} ${Number(zlo.toPrecision(3))}–${Number(zhi.toPrecision(3))}`)}</text>`,
    `</g>`,
    `<g class="surface">`,
    ...quads.map((q) => q.svg),
    `</g>`,
    `</svg>`,
    '',
  ].join('\n');
}
