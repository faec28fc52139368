/** A line of a chart: points `[x, y]`. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

/** One panel (its own y axis); panels share the x axis. */
export interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Upper end of the y axis (default: the largest y). */
  readonly yMax?: number;
}

const WIDTH = 960;
const PANEL_HEIGHT = 220;
const LEFT = 70;
const RIGHT = 230;
const TOP = 40;
const GAP = 60;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** Renders panels of line charts over a shared x axis (minutes) as a standalone SVG. */
export function renderChart(title: string, xLabel: string, xMax: number, panels: readonly Panel[]): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const top = TOP + i * (PANEL_HEIGHT + GAP) + 20;
    const yMax =
      panel.yMax ?? Math.max(1, ...panel.series.flatMap((s) => s.points.map((p) => p[1]).filter(Number.isFinite)));
    const x = (v: number) => LEFT + (v / xMax) * plotW;
    const y = (v: number) => top + PANEL_HEIGHT - (Math.min(v, yMax) / yMax) * PANEL_HEIGHT;
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`);
    const yStep = niceStep(yMax, 5);
    for (let v = 0; v <= yMax + 1e-9; v += yStep) {
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toFixed(6)}</text>`);
    }
    const xStep = niceStep(xMax, 10);
    for (let v = 0; v <= xMax + 1e-9; v += xStep) {
      out.push(`<text x="${x(v)}" y="${top + PANEL_HEIGHT + 16}" text-anchor="middle">${+v.toFixed(6)}</text>`);
    }
    out.push(`<text x="${LEFT + plotW / 2}" y="${top + PANEL_HEIGHT + 32}" text-anchor="middle">${esc(xLabel)}</text>`);
    out.push(
      `<text transform="translate(${18},${top + PANEL_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${esc(panel.yLabel)}</text>`,
    );
    panel.series.forEach((s, k) => {
      const pts = s.points
        .filter((p) => Number.isFinite(p[1]))
        .map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
      if (pts.length > 0) {
        out.push(
          `<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,4"' : ''} points="${pts.join(' ')}"/>`,
        );
      }
      const ly = top + 14 + k * 18;
      out.push(
        `<line x1="${LEFT + plotW + 12}" x2="${LEFT + plotW + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
      );
      out.push(`<text x="${LEFT + plotW + 42}" y="${ly}">${esc(s.label)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
