/**
 * Prometheus metrics (`--prometheus-port`, default 9615 on 127.0.0.1): the node's registry and the
 * metrics in it (`metrics.ts`), and the `/metrics` HTTP exporter (`server.ts`).
 */
export {
  JOB_STATUSES,
  type MetricsChain,
  type MetricsSources,
  NodeMetrics,
  type NodeMetricsModules,
} from "./metrics.js";
export {
  defaultMetricsServerOptions,
  defaultNodeMetricsOptions,
  type MetricsServerOptions,
  type NodeMetricsOptions,
  PROMETHEUS_DEFAULT_PORT,
  prometheusOptionsFromFlags,
} from "./options.js";
export { MetricsError, type MetricsErrorType, MetricsServer, type MetricsServerModules } from "./server.js";
