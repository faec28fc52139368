// Typings of parse-prometheus-text-format 1.1 (the package ships none): prom2json-shaped families.
declare module 'parse-prometheus-text-format' {
  interface PrometheusSample {
    readonly labels?: Record<string, string>;
    readonly value?: string;
    /** Histograms: `le` → cumulative count (the parser merges every series of a histogram into one). */
    readonly buckets?: Record<string, string>;
    readonly count?: string;
    readonly sum?: string;
  }
  interface PrometheusFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: PrometheusSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
