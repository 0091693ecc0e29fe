/**
 * Scrapes a Prometheus endpoint and parses the text format with `parse-prometheus-text-format`.
 *
 * That parser folds a histogram with labels into one sample of buckets and loses its labels, count and
 * sum (it handles unlabelled histograms only; every node metric carries a `chain` label). So the text
 * is parsed twice: as it is, for each family's type, and without its `# TYPE`/`# HELP` lines, which
 * makes every line its own untyped sample with all its labels (`x_bucket{le=…}`, `x_count`, `x_sum`)
 * for the values.
 */
import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from "parse-prometheus-text-format";

export type { PrometheusFamily, PrometheusSample };

export class Scrape {
  /** Families by name, with their types. */
  readonly families: Map<string, PrometheusFamily>;
  /** Every sample line by its name (histograms: `<name>_bucket`, `<name>_count`, `<name>_sum`). */
  readonly samples = new Map<string, PrometheusSample[]>();

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    for (const f of parsePrometheusTextFormat(text.replace(/^# (TYPE|HELP) .*$/gm, ""))) {
      const list = this.samples.get(f.name) ?? [];
      list.push(...f.metrics);
      this.samples.set(f.name, list);
    }
  }

  /** The family `name`; throws when it is missing. */
  family(name: string): PrometheusFamily {
    const f = this.families.get(name);
    if (!f) throw new Error(`No metric ${name} in:\n${this.text}`);
    return f;
  }

  type(name: string): PrometheusFamily["type"] | undefined {
    return this.families.get(name)?.type;
  }

  /** The samples of line name `name` whose labels include `labels`. */
  matching(name: string, labels: Record<string, string> = {}): PrometheusSample[] {
    return (this.samples.get(name) ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** The value of the first sample of line name `name` with `labels`; undefined when there is none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const v = this.matching(name, labels)[0]?.value;
    return v === undefined ? undefined : Number(v);
  }

  /** A histogram's observation count (its `_count` line with `labels`). */
  count(name: string, labels: Record<string, string> = {}): number | undefined {
    return this.value(`${name}_count`, labels);
  }

  /** A histogram's sum of observations (its `_sum` line with `labels`). */
  sum(name: string, labels: Record<string, string> = {}): number | undefined {
    return this.value(`${name}_sum`, labels);
  }

  /** A histogram's cumulative count at upper bound `le` (its `_bucket` line with `labels`). */
  bucket(name: string, le: string, labels: Record<string, string> = {}): number | undefined {
    return this.value(`${name}_bucket`, { ...labels, le });
  }
}

/** GETs `url` (an exporter's `/metrics`) and parses the answer; throws on a non-200 status. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return new Scrape(await res.text());
}
