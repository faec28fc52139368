/* global document, IntersectionObserver, uPlot */
// One tile per strategy. Every strategy has a fixed-size placeholder in the grid (cheap at
// 1,000); only placeholders an IntersectionObserver reports near the viewport get their content
// and a uPlot chart, which are torn down again when they scroll away.

const HISTORY = 60;
const STATE_RANK = { open: 4, isolated: 4, 'half-open': 3, closed: 0, none: 0 };

/** Per-strategy history (last 60 updates): times and latency percentiles, and calls/s. */
export class History {
  constructor() {
    this.t = [];
    this.p50 = [];
    this.p95 = [];
    this.p99 = [];
    this.rate = 0;
    this.lastCalls = undefined;
    this.lastT = undefined;
  }

  push(tSec, d) {
    if (this.lastCalls !== undefined && tSec > this.lastT)
      this.rate = Math.max(0, (d.calls - this.lastCalls) / (tSec - this.lastT));
    this.lastCalls = d.calls;
    this.lastT = tSec;
    for (const [k, v] of [
      ['t', tSec],
      ['p50', d.p50],
      ['p95', d.p95],
      ['p99', d.p99],
    ]) {
      this[k].push(v);
      if (this[k].length > HISTORY) this[k].shift();
    }
  }
}

/** How bad a strategy looks: open circuits first, then error rate, bulkhead fill, rejections. */
export function severity(d, h) {
  const fill = d.maxConcurrency ? d.running / d.maxConcurrency : 0;
  const rejected = Object.values(d.rejected).reduce((a, b) => a + b, 0);
  return (
    (STATE_RANK[d.state] ?? 0) * 1e6 +
    (d.errorRate ?? 0) * 1e5 +
    fill * 1e3 +
    Math.min(rejected, 999) +
    (h?.rate ? 0.5 : 0)
  );
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

/** The grid of tiles. `onAction(action, strategyId)` runs an operator action. */
export class TileGrid {
  constructor(root, onAction) {
    this.root = root;
    this.onAction = onAction;
    this.slots = new Map();
    this.visible = new Set();
    this.observer = new IntersectionObserver((entries) => this.observed(entries), { rootMargin: '300px' });
  }

  /** Places one slot per id, in `order`; ids not in `order` are hidden (filtered out). */
  layout(order) {
    const wanted = new Set(order);
    for (const [id, slot] of this.slots) {
      if (!wanted.has(id)) {
        slot.el.hidden = true;
      }
    }
    let previous = null;
    for (const id of order) {
      let slot = this.slots.get(id);
      if (slot === undefined) {
        slot = { el: el('div', { class: 'tile', 'data-strategy': id }), chart: undefined, body: undefined };
        this.slots.set(id, slot);
        this.observer.observe(slot.el);
      }
      slot.el.hidden = false;
      const expected = previous === null ? this.root.firstElementChild : previous.nextElementSibling;
      if (expected !== slot.el) {
        if (previous === null) this.root.prepend(slot.el);
        else previous.after(slot.el);
      }
      previous = slot.el;
    }
  }

  /** Removes the slots of strategies no longer reported. */
  remove(id) {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.observer.unobserve(slot.el);
    this.teardown(slot);
    slot.el.remove();
    this.slots.delete(id);
    this.visible.delete(id);
  }

  /** Updates the visible tiles from the digests and histories. */
  render(digests, histories) {
    for (const id of this.visible) {
      const d = digests.get(id);
      if (d !== undefined) this.fill(this.slots.get(id), d, histories.get(id));
    }
  }

  /** Re-renders one tile now (e.g. on first sight). */
  renderOne(id, d, h) {
    if (this.visible.has(id) && d !== undefined) this.fill(this.slots.get(id), d, h);
  }

  observed(entries) {
    for (const entry of entries) {
      const id = entry.target.getAttribute('data-strategy');
      const slot = this.slots.get(id);
      if (slot === undefined) continue;
      if (entry.isIntersecting) {
        this.visible.add(id);
        this.onVisible?.(id);
      } else {
        this.visible.delete(id);
        this.teardown(slot);
      }
    }
  }

  teardown(slot) {
    slot.chart?.destroy();
    slot.chart = undefined;
    slot.body = undefined;
    slot.el.replaceChildren();
    slot.el.removeAttribute('data-state');
    slot.el.removeAttribute('data-rendered');
  }

  fill(slot, d, h) {
    if (slot.body === undefined) slot.body = this.build(slot, d.id);
    const b = slot.body;
    slot.el.setAttribute('data-state', d.state);
    slot.el.setAttribute('data-rendered', 'true');
    b.state.textContent = d.state === 'none' ? 'no breaker' : d.state;
    b.rate.textContent = `${fmt(h?.rate ?? 0)} calls/s`;
    b.error.textContent = `errors ${pct(d.errorRate)}`;
    b.latency.textContent = `p50 ${fmt(d.p50)} · p95 ${fmt(d.p95)} · p99 ${fmt(d.p99)} ms`;
    const limit = d.maxConcurrency ?? 0;
    b.meter.max = Math.max(1, limit);
    b.meter.value = d.running;
    b.bulkhead.textContent = `bulkhead ${d.running}/${limit || '–'} running · ${d.queued}/${d.maxQueueSize ?? '–'} queued`;
    const rejected = Object.entries(d.rejected)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
    b.rejected.textContent = `rejected: ${rejected || 'none'}`;
    b.counts.textContent = `retries ${d.retries} · timeouts ${d.timeouts} · failures ${d.failures}`;
    if (d.adaptive === null) b.adaptive.textContent = '';
    else {
      const cur = Object.entries(d.adaptive.current)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const when =
        d.adaptive.lastAdaptedAt === null ? 'never' : new Date(d.adaptive.lastAdaptedAt).toLocaleTimeString();
      const why = d.adaptive.reasons.length > 0 ? d.adaptive.reasons.join('; ') : '—';
      b.adaptive.textContent = `adaptive (${d.adaptive.mode ?? '?'}): ${cur} · last change ${when} · ${why}`;
    }
    if (h !== undefined && typeof uPlot === 'function') {
      const data = [h.t, h.p50, h.p95, h.p99];
      if (slot.chart === undefined) {
        slot.chart = new uPlot(
          {
            width: 280,
            height: 70,
            legend: { show: false },
            cursor: { show: false },
            axes: [
              { show: false },
              { size: 40, space: 18, font: '10px sans-serif', stroke: '#888', grid: { stroke: '#2b313b' } },
            ],
            scales: { x: { time: false } },
            series: [
              {},
              ...['#4caf50', '#ff9800', '#e53935'].map((stroke, i) => ({
                label: ['p50', 'p95', 'p99'][i],
                stroke,
                width: 1,
                points: { show: false },
              })),
            ],
          },
          data,
          b.chart,
        );
      } else slot.chart.setData(data);
    }
  }

  build(slot, id) {
    const b = {
      state: el('span', { class: 'badge' }),
      rate: el('span'),
      error: el('span'),
      latency: el('div', { class: 'latency' }),
      chart: el('div', { class: 'chart' }),
      meter: el('meter', { min: 0 }),
      bulkhead: el('span'),
      rejected: el('div'),
      counts: el('div'),
      adaptive: el('div', { class: 'adaptive' }),
    };
    const actions = el('div', { class: 'actions' });
    for (const action of ['trip', 'isolate', 'reset', 'limit']) {
      const button = el('button', {
        type: 'button',
        textContent: action === 'limit' ? 'limit…' : action,
        'data-action': action,
      });
      button.addEventListener('click', () => this.onAction(action, id));
      actions.append(button);
    }
    slot.el.replaceChildren(
      el('header', {}, el('span', { class: 'name', textContent: id, title: id }), b.state),
      el('div', { class: 'kv' }, b.rate, ' · ', b.error),
      b.latency,
      b.chart,
      el(
        'div',
        { class: 'legend' },
        el('span', { class: 'l50', textContent: 'p50' }),
        el('span', { class: 'l95', textContent: 'p95' }),
        el('span', { class: 'l99', textContent: 'p99 (ms, last 60 updates)' }),
      ),
      el('div', { class: 'bulkhead' }, b.meter, ' ', b.bulkhead),
      b.rejected,
      b.counts,
      b.adaptive,
      actions,
    );
    return b;
  }
}
