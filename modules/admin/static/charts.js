// Line charts in inline SVG, no library: one line per node, the same
// colour for a node in every chart and in the legend.

const NS = 'http://www.w3.org/2000/svg';
const W = 320, H = 120, PAD = { l: 36, r: 6, t: 6, b: 18 };
const COLOURS = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a3069', '#57606a'];

export function colourOf(i) { return COLOURS[i % COLOURS.length]; }

function el(name, attrs = {}) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// niceMax rounds the top of the scale up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function label(v) {
  if (v >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  return `${+v.toFixed(v < 10 ? 1 : 0)}`;
}

// spanOf is how far back a chart goes: the window, or less while the
// samples do not fill it yet (a node that just started), one minute at least.
export function spanOf(series, windowMs, now) {
  let first = now;
  for (const s of series) for (const p of s.samples) first = Math.min(first, p.t);
  return Math.min(windowMs, Math.max(60_000, now - first));
}

// draw replaces the content of box with a chart of field over the span
// ending now: series is [{ id, samples: [{ t, [field] }] }].
export function draw(box, series, field, spanMs, now) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  const windowMs = spanMs;
  const from = now - windowMs;
  let top = 0;
  for (const s of series) for (const p of s.samples) if (p.t >= from) top = Math.max(top, p[field]);
  top = niceMax(top);
  const x = (t) => PAD.l + ((t - from) / windowMs) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  for (const v of [0, top / 2, top]) {
    svg.append(el('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }));
    const t = el('text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = label(v);
    svg.append(t);
  }
  for (const [text, t, anchor] of [[`−${Math.round(windowMs / 60_000)} min`, from, 'start'], ['now', now, 'end']]) {
    const e = el('text', { x: x(t), y: H - 4, 'text-anchor': anchor, class: 'axis' });
    e.textContent = text;
    svg.append(e);
  }
  series.forEach((s, i) => {
    const pts = s.samples.filter((p) => p.t >= from).map((p) => `${x(p.t).toFixed(1)},${y(p[field]).toFixed(1)}`);
    if (pts.length === 0) return;
    if (pts.length === 1) pts.push(pts[0]);
    svg.append(el('polyline', { points: pts.join(' '), fill: 'none', stroke: colourOf(i), 'stroke-width': 1.5,
      'vector-effect': 'non-scaling-stroke', 'data-node': s.id }));
  });
  box.replaceChildren(svg);
}
