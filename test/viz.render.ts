// Renders an SVG to pixels with resvg (a Rust SVG renderer) so that chart tests check a real picture.
import { Resvg } from '@resvg/resvg-js';
import { expect } from 'vitest';

export interface Picture {
  width: number;
  height: number;
  /** RGBA bytes, row-major. */
  pixels: Uint8Array;
  /** Share of pixels that are not (near) white. */
  inked: number;
  /** Number of distinct colours (quantised to 4 bits a channel). */
  colors: number;
}

export function render(svg: string): Picture {
  const img = new Resvg(svg, { font: { loadSystemFonts: false } }).render();
  const pixels = new Uint8Array(img.pixels);
  const png = img.asPng();
  // A PNG starts with its 8-byte signature and an IHDR chunk holding width and height.
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const dv = new DataView(png.buffer, png.byteOffset);
  expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([img.width, img.height]);
  let inked = 0;
  const colors = new Set<number>();
  for (let k = 0; k < pixels.length; k += 4) {
    const [r, g, b, a] = [pixels[k], pixels[k + 1], pixels[k + 2], pixels[k + 3]];
    if (a > 0 && (r < 235 || g < 235 || b < 235)) inked++;
    colors.add(((r >> 4) << 12) | ((g >> 4) << 8) | ((b >> 4) << 4) | (a >> 4));
  }
  return { width: img.width, height: img.height, pixels, inked: inked / (img.width * img.height), colors: colors.size };
}

/** The picture decodes, has the given size, is mostly opaque and not blank. */
export function expectPicture(svg: string, width: number, height: number, minInk = 0.01): Picture {
  const p = render(svg);
  expect([p.width, p.height]).toEqual([width, height]);
  expect(p.inked).toBeGreaterThan(minInk);
  expect(p.colors).toBeGreaterThan(2);
  return p;
}

/** The RGBA colour at pixel (x, y). */
export function pixel(p: Picture, x: number, y: number): [number, number, number, number] {
  const k = 4 * (Math.round(y) * p.width + Math.round(x));
  return [p.pixels[k], p.pixels[k + 1], p.pixels[k + 2], p.pixels[k + 3]];
}
