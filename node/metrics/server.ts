/**
 * The Prometheus exporter: `GET /metrics` on a small `node:http` server answers the node's registry in
 * the text exposition format (scrape-time gauges are read then). Anything else: 404 (405 for another
 * method on `/metrics`). One scrape at a time is all Prometheus does; concurrent ones are answered each.
 */
import { createServer, type Server } from "node:http";
import { TensorchainError } from "../../primitives/errors.js";
import type { Logger } from "../../primitives/logger.js";
import { defaultMetricsServerOptions, type MetricsServerOptions } from "./options.js";

export type MetricsErrorType =
  | { code: "METRICS_ERROR_PORT_IN_USE"; host: string; port: number }
  | { code: "METRICS_ERROR_ALREADY_LISTENING" };
export class MetricsError extends TensorchainError<MetricsErrorType> {}

export interface MetricsServerModules {
  /** What `/metrics` answers: the exposition text and its content type (`NodeMetrics`). */
  metrics: { text(): Promise<string>; readonly contentType: string };
  logger: Logger;
}

export class MetricsServer {
  private readonly opts: MetricsServerOptions;
  private readonly log: Logger;
  private readonly http: Server;
  private listening = false;

  constructor(
    opts: Partial<MetricsServerOptions>,
    private readonly modules: MetricsServerModules,
  ) {
    this.opts = { ...defaultMetricsServerOptions, ...opts };
    this.log = modules.logger;
    this.http = createServer((req, res) => {
      const path = (req.url ?? "/").split("?", 1)[0];
      if (path !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("Method not allowed\n");
        return;
      }
      this.modules.metrics.text().then(
        (body) => {
          res.writeHead(200, { "content-type": this.modules.metrics.contentType });
          res.end(req.method === "HEAD" ? undefined : body);
        },
        (err: unknown) => {
          this.log.warn("Metrics scrape failed", {}, err);
          res.writeHead(500, { "content-type": "text/plain" }).end("Internal error\n");
        },
      );
    });
    // Prometheus keeps its connection open between scrapes; do not hold the process for it at shutdown.
    this.http.keepAliveTimeout = 5_000;
  }

  /** Starts listening; resolves with the port. Rejects with `METRICS_ERROR_PORT_IN_USE` when it is taken. */
  start(): Promise<number> {
    if (this.listening) return Promise.reject(new MetricsError({ code: "METRICS_ERROR_ALREADY_LISTENING" }));
    this.listening = true;
    const { host, port } = this.opts;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.listening = false;
        if (err.code === "EADDRINUSE")
          reject(
            new MetricsError(
              { code: "METRICS_ERROR_PORT_IN_USE", host, port },
              `Prometheus port ${port} on ${host} is already in use: choose another with --prometheus-port, or disable metrics with --no-prometheus`,
            ),
          );
        else reject(err);
      };
      this.http.once("error", onError);
      this.http.listen(port, host, () => {
        this.http.off("error", onError);
        const address = this.http.address();
        const bound = typeof address === "object" && address !== null ? address.port : port;
        this.log.info("Prometheus exporter started", { addr: `${host}:${bound}`, path: "/metrics" });
        resolve(bound);
      });
    });
  }

  /** Stops listening and drops open scrape connections. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
    this.log.debug("Prometheus exporter stopped");
  }
}
