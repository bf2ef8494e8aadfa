// Checks on the SVG charts the library writes.

/** Minimal XML well-formedness: balanced tags, quoted attributes, no bare '<' or '&' in text. Returns the elements. */
export function parseXml(s: string): { name: string; attrs: Record<string, string>; text: string }[] {
  const els: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const stack: { name: string; text: string }[] = [];
  const tagRe = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in text: ${text}`);
    if (stack.length) stack[stack.length - 1].text += text;
    if (lt < 0) break;
    tagRe.lastIndex = lt;
    const m = tagRe.exec(s);
    if (!m) throw new Error(`malformed tag at ${lt}: ${s.slice(lt, lt + 40)}`);
    const [, close, name, attrStr, selfClose] = m;
    if (close) {
      if (stack.pop()?.name !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrStr.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (a[1] in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]] = a[2];
      }
      const el = { name, attrs, text: '' };
      els.push(el);
      if (!selfClose) stack.push(el);
    }
    i = tagRe.lastIndex;
  }
  if (stack.length) throw new Error(`unclosed <${stack.map((e) => e.name).join('>, <')}>`);
  return els;
}
