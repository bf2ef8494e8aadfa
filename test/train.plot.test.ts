// tg.train.plotHistory: a well-formed SVG with one line per series, ticks, legend and the best epoch marked,
// rendered to a PNG of the right size that is not blank.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectPicture, pixel } from './viz.render';
import { parseXml } from './svg.helpers';

/** The vertices of a d3-shape line's path data (`M x,y L x,y ...`). */
const points = (el: { attrs: Record<string, string> }) => el.attrs.d.split(/[ML]/).filter(Boolean).map((p) => p.split(',').map(Number));
const tmp = () => join(mkdtempSync(join(tmpdir(), 'tg-plot-')), 'h.svg');

describe('plotHistory', () => {
  it('(the XML checker itself rejects malformed input)', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/unbalanced/);
    expect(() => parseXml('<a x=1/>')).toThrow(/malformed/);
    expect(() => parseXml('<a>1 & 2</a>')).toThrow(/bare &/);
    expect(() => parseXml('<a>')).toThrow(/unclosed/);
    expect(parseXml('<a x="1"><b/>t</a>').map((e) => e.name)).toEqual(['a', 'b']);
  });

  it('draws loss and valLoss, ticks, legend and the best validation epoch', () => {
    const h = { epoch: [1, 2, 3, 4, 5], loss: [1, 0.6, 0.4, 0.3, 0.25], valLoss: [1.1, 0.7, 0.5, 0.55, 0.6], lr: [1, 1, 1, 1, 1] };
    const path = tmp();
    const svg = tg.train.plotHistory(h, path, { title: 'Run <a & "b">' });
    expect(readFileSync(path, 'utf8')).toBe(svg);
    const els = parseXml(svg);
    expect(els[0].name).toBe('svg');
    const lines = els.filter((e) => e.name === 'path' && e.attrs['data-series'] !== undefined);
    expect(lines.map((e) => e.attrs['data-series'])).toEqual(['loss', 'valLoss']);
    for (const l of lines) {
      const p = points(l);
      expect(p.length).toBe(5);
      for (let k = 1; k < p.length; k++) expect(p[k][0]).toBeGreaterThan(p[k - 1][0]);
    }
    const [loss, val] = lines.map(points);
    for (let k = 1; k < 5; k++) expect(loss[k][1]).toBeGreaterThan(loss[k - 1][1]); // SVG y grows downwards
    const best = els.find((e) => e.name === 'circle' && e.attrs.class === 'best')!;
    expect(best.attrs['data-epoch']).toBe('3');
    expect([Number(best.attrs.cx), Number(best.attrs.cy)]).toEqual(val[2]);
    const texts = els.filter((e) => e.name === 'text').map((e) => e.text.trim());
    expect(texts).toContain('Run <a & "b">'.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'));
    expect(texts).toContain('best valLoss: epoch 3');
    expect(texts).toEqual(expect.arrayContaining(['epoch', 'loss', 'valLoss', '1', '5', '0.2', '1.2']));
  });

  it('skips NaN and Infinity, marks the best training loss without validation, and handles one epoch', () => {
    const els = parseXml(tg.train.plotHistory({ epoch: [1, 2, 3, 4], loss: [2, NaN, 1, Infinity], lr: [] }, tmp()));
    const lines = els.filter((e) => e.name === 'path' && e.attrs['data-series'] !== undefined);
    expect(lines.length).toBe(1);
    expect(points(lines[0]).length).toBe(2);
    expect(els.find((e) => e.attrs.class === 'best')!.attrs['data-epoch']).toBe('3');

    const one = parseXml(tg.train.plotHistory({ epoch: [1], loss: [0.5], valLoss: [0.7], lr: [0.1] }, tmp()));
    expect(one.filter((e) => e.name === 'path' && e.attrs['data-series'] !== undefined).map((e) => points(e).length)).toEqual([1, 1]);
    expect(one.filter((e) => e.name === 'circle').length).toBe(3); // a dot per one-point series, and the best marker
    expect(one.find((e) => e.attrs.class === 'best')!.attrs['data-epoch']).toBe('1');
    for (const e of one) for (const v of Object.values(e.attrs)) expect(v).not.toMatch(/NaN|Infinity/);
  });

  it('renders to a 640x400 picture with the loss line in its colour at its vertices', () => {
    const h = { epoch: [1, 2, 3, 4, 5], loss: [1, 0.6, 0.4, 0.3, 0.25], valLoss: [1.1, 0.7, 0.5, 0.55, 0.6], lr: [1, 1, 1, 1, 1] };
    const svg = tg.train.plotHistory(h, tmp());
    const pic = expectPicture(svg, 640, 400);
    const loss = points(parseXml(svg).find((e) => e.attrs['data-series'] === 'loss')!);
    const [r, g, b] = pixel(pic, loss[1][0], loss[1][1]); // #1f77b4, the first palette colour
    expect([r, g, b].map((c, i) => Math.abs(c - [0x1f, 0x77, 0xb4][i]) < 40)).toEqual([true, true, true]);
  });

  it('rejects a history without finite losses', () => {
    expect(() => tg.train.plotHistory({ epoch: [1], loss: [NaN], lr: [1] }, tmp())).toThrow(/no finite loss values/);
    expect(() => tg.train.plotHistory({} as tg.train.History, tmp())).toThrow(TypeError);
  });
});
