import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { PrometheusFamily } from 'parse-prometheus-text-format';

/** One labelled sample of a parsed exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: the families (name → type) and every sample with its labels. */
export interface Exposition {
  readonly families: ReadonlyMap<string, PrometheusFamily['type']>;
  readonly samples: readonly Sample[];
  /** Samples of `name`, those whose labels include `labels`. */
  select(name: string, labels?: Readonly<Record<string, string>>): Sample[];
}

/**
 * Parses the text format with parse-prometheus-text-format. Its histogram output keeps one series
 * per family (labels are dropped), so histograms are read a second time with their TYPE line
 * removed: `_bucket`, `_sum` and `_count` then parse as plain families with every label kept.
 */
export function parseExposition(text: string): Exposition {
  const typed = parsePrometheusTextFormat(text);
  const families = new Map(typed.map((f) => [f.name, f.type] as const));
  const histograms = typed.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name);
  const untyped = text
    .split('\n')
    .filter((line) => !histograms.some((h) => line === `# TYPE ${h} histogram` || line.startsWith(`# HELP ${h} `)))
    .join('\n');
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const m of family.metrics) {
      if (m.value !== undefined) samples.push({ name: family.name, labels: m.labels ?? {}, value: Number(m.value) });
    }
  }
  const select = (name: string, labels: Readonly<Record<string, string>> = {}): Sample[] =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { families, samples, select };
}
