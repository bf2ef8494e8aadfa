// Renders an SVG to pixels with resvg (a Rust SVG renderer) so that chart tests check a real picture.
// The native build (@resvg/resvg-js, prebuilt per platform) is used where its binary is installed; where
// it is not (the arm64 suite runs under qemu with the x64 host's node_modules) the WebAssembly build of
// the same renderer (@resvg/resvg-wasm) is. test/viz.entry.test.ts checks that both give the same pixels.
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import * as wasm from '@resvg/resvg-wasm';
import { expect } from 'vitest';

const req = createRequire(import.meta.url);
type ResvgClass = typeof wasm.Resvg;

let nativeResvg: ResvgClass | null = null;
try {
  nativeResvg = (req('@resvg/resvg-js') as { Resvg: ResvgClass }).Resvg;
} catch {
  nativeResvg = null;
}
let wasmReady = false;
/** The WebAssembly renderer, initialised on first use. */
export async function wasmResvg(): Promise<ResvgClass> {
  if (!wasmReady) {
    await wasm.initWasm(readFileSync(req.resolve('@resvg/resvg-wasm/index_bg.wasm')));
    wasmReady = true;
  }
  return wasm.Resvg;
}
/** Whether the native renderer loaded on this platform. */
export const hasNativeResvg = nativeResvg !== null;
const Resvg: ResvgClass = nativeResvg ?? (await wasmResvg());

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

/**
 * Decodes an 8-bit RGBA, non-interlaced PNG (what resvg writes): checks the signature, reads IHDR,
 * inflates the IDAT stream and undoes each row's filter (PNG spec, section 9).
 */
export function decodePng(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const len = dv.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(at + 8);
      height = dv.getUint32(at + 12);
      expect([...data.subarray(8, 13)]).toEqual([8, 6, 0, 0, 0]); // bit depth 8, RGBA, deflate, adaptive filter, no interlace
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = 4 * width;
  expect(raw.length).toBe(height * (stride + 1));
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    if (f > 4) throw new Error(`PNG row ${y} has filter type ${f}`);
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? out[y * stride + x - 4] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      out[y * stride + x] = (row[x] + pred) & 255;
    }
  }
  return { width, height, pixels: out };
}

export function render(svg: string, R: ResvgClass = Resvg): Picture {
  const img = new R(svg, { font: { loadSystemFonts: false } }).render();
  const pixels = new Uint8Array(img.pixels);
  const png = decodePng(img.asPng());
  expect([png.width, png.height]).toEqual([img.width, img.height]);
  expect(Buffer.from(png.pixels).equals(Buffer.from(pixels))).toBe(true);
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
