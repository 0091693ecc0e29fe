/**
 * Options of the Prometheus exporter, with Substrate's defaults: `--prometheus-port 9615` on 127.0.0.1,
 * all interfaces with `--prometheus-external`, none with `--no-prometheus`.
 */

export const PROMETHEUS_DEFAULT_PORT = 9615;

export interface MetricsServerOptions {
  /** Interface to bind: 127.0.0.1 unless `--prometheus-external` (0.0.0.0). */
  host: string;
  /** TCP port; 0 picks a free one (`listen()` resolves with it). */
  port: number;
}

export const defaultMetricsServerOptions: MetricsServerOptions = {
  host: "127.0.0.1",
  port: PROMETHEUS_DEFAULT_PORT,
};

export interface NodeMetricsOptions {
  /** Added to every series as the `chain` label (the chain spec's id), as Substrate does. */
  chainId?: string;
  /** Also export prom-client's process and Node.js metrics (`process_*`, `nodejs_*`). */
  processMetrics: boolean;
}

export const defaultNodeMetricsOptions: NodeMetricsOptions = {
  processMetrics: true,
};

/** The node's `--prometheus-*` flags as options: undefined with `--no-prometheus`. */
export function prometheusOptionsFromFlags(flags: {
  prometheus: boolean;
  prometheusPort: number;
  prometheusExternal?: boolean;
}): MetricsServerOptions | undefined {
  if (!flags.prometheus) return undefined;
  return { host: flags.prometheusExternal ? "0.0.0.0" : "127.0.0.1", port: flags.prometheusPort };
}
