// Small charts drawn as inline SVG: a stacked bar chart and a line chart over time buckets. The SVG is drawn at
// the width its box has (measured, redrawn on resize), so text keeps its size on a phone; times on the x axis are
// in the viewer's time zone.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

const HEIGHT = 190;
const MARGIN = { top: 10, right: 12, bottom: 26, left: 52 };

// The width of the element the ref is on, kept up to date.
function useWidth() {
  const ref = useRef(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const measure = () => setWidth(Math.floor(element.getBoundingClientRect().width));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

// 0, then round steps up to at least max: about four grid lines (whole steps for counts).
function niceTicks(max, whole) {
  if (!(max > 0)) return [0, 1];
  const rough = whole ? Math.max(1, max / 4) : max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const ticks = [];
  for (let value = 0; value < max + step; value += step) ticks.push(value);
  return ticks;
}

// The x axis: labels on every k-th bucket, as many as fit the width, in the viewer's zone.
function timeLabels(buckets, intervalMs, innerWidth) {
  const spanMs = buckets.length * intervalMs;
  const options = spanMs <= 36 * 3600e3
    ? { hour: '2-digit', minute: '2-digit' }
    : intervalMs >= 24 * 3600e3
      ? { month: 'short', day: 'numeric' }
      : { month: 'short', day: 'numeric', hour: '2-digit' };
  const format = new Intl.DateTimeFormat(undefined, options);
  const fit = Math.max(2, Math.floor(innerWidth / 80));
  const every = Math.max(1, Math.ceil(buckets.length / fit));
  return buckets.map((bucket, i) => (i % every === 0 ? format.format(new Date(bucket.start)) : null));
}

const TOOLTIP = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
});

export function bucketTime(start) {
  return TOOLTIP.format(new Date(start));
}

// Axes, grid and labels around a plot; `plot` draws inside, given the scales.
function Frame({ id, buckets, intervalMs, yMax, yFormat, label, plot, whole = false }) {
  const [ref, width] = useWidth();
  const ticks = niceTicks(yMax, whole);
  const top = ticks[ticks.length - 1] || 1;
  const innerWidth = Math.max(10, width - MARGIN.left - MARGIN.right);
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const step = innerWidth / Math.max(1, buckets.length);
  const x = (i) => MARGIN.left + i * step;
  const y = (value) => MARGIN.top + innerHeight - (value / top) * innerHeight;
  const labels = timeLabels(buckets, intervalMs, innerWidth);
  return html`
    <div class="chart" ref=${ref} id=${id}>
      ${width > 0 && html`
        <svg width=${width} height=${HEIGHT} role="img" aria-label=${label}>
          ${ticks.map((tick) => html`
            <g class="grid">
              <line x1=${MARGIN.left} x2=${MARGIN.left + innerWidth} y1=${y(tick)} y2=${y(tick)} />
              <text x=${MARGIN.left - 6} y=${y(tick) + 4} text-anchor="end">${yFormat(tick)}</text>
            </g>`)}
          ${labels.map((text, i) => text && html`
            <g class="xtick">
              <line x1=${x(i)} x2=${x(i)} y1=${MARGIN.top + innerHeight} y2=${MARGIN.top + innerHeight + 4} />
              <text x=${Math.max(x(i), MARGIN.left + 24)} y=${HEIGHT - 8} text-anchor="middle">${text}</text>
            </g>`)}
          ${plot({ x, y, step, innerHeight })}
        </svg>`}
    </div>`;
}

// Bars per bucket, one segment per series stacked bottom up; each bar's tooltip lists the bucket's numbers.
export function StackedBars({ id, buckets, intervalMs, series, label }) {
  const totals = buckets.map((b) => series.reduce((sum, s) => sum + (b[s.key] || 0), 0));
  return html`<${Frame} id=${id} buckets=${buckets} intervalMs=${intervalMs} label=${label} whole=${true}
    yMax=${Math.max(0, ...totals)} yFormat=${(v) => String(v)}
    plot=${({ x, y, step }) => buckets.map((bucket, i) => {
      if (!totals[i]) return null;
      let base = 0;
      const width = Math.max(1, step - (step > 4 ? 1.5 : 0));
      const title = `${bucketTime(bucket.start)}\n` + series.map((s) => `${s.label}: ${bucket[s.key]}`).join('\n');
      return html`<g class="bar" data-start=${bucket.start}><title>${title}</title>
        ${series.map((s) => {
          const value = bucket[s.key] || 0;
          if (!value) return null;
          const rect = html`<rect class=${'fill-' + s.key} x=${x(i)} width=${width}
            y=${y(base + value)} height=${Math.max(0.5, y(base) - y(base + value))} />`;
          base += value;
          return rect;
        })}</g>`;
    })} />`;
}

// One line per series through the buckets that have a value (null leaves a gap), with a dot on each point.
export function Lines({ id, buckets, intervalMs, series, yMax, yFormat, label }) {
  const values = (s) => buckets.map((b) => s.value(b));
  const max = yMax !== undefined
    ? yMax
    : Math.max(0, ...series.flatMap((s) => values(s).filter((v) => v !== null && v !== undefined)));
  return html`<${Frame} id=${id} buckets=${buckets} intervalMs=${intervalMs} label=${label}
    yMax=${max} yFormat=${yFormat}
    plot=${({ x, y, step }) => series.map((s) => {
      const points = values(s);
      let path = '';
      let drawing = false;
      points.forEach((v, i) => {
        if (v === null || v === undefined) {
          drawing = false;
          return;
        }
        path += `${drawing ? 'L' : 'M'}${(x(i) + step / 2).toFixed(1)},${y(v).toFixed(1)}`;
        drawing = true;
      });
      return html`<g class=${'line-' + s.key}>
        <path d=${path} fill="none" />
        ${points.map((v, i) => (v === null || v === undefined ? null : html`
          <circle cx=${x(i) + step / 2} cy=${y(v)} r=${step > 6 ? 2.5 : 1.5}>
            <title>${bucketTime(buckets[i].start)}\n${s.label}: ${yFormat(v)}</title>
          </circle>`))}
      </g>`;
    })} />`;
}

export function Legend({ series }) {
  return html`<div class="legend">
    ${series.map((s) => html`<span><i class=${'swatch fill-' + s.key}></i>${s.label}</span>`)}
  </div>`;
}
