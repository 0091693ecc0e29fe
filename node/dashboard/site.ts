/**
 * The dashboard's files, served by the RPC server on HTTP GET (and HEAD) next to JSON-RPC: the page
 * itself (`/`, plain HTML, ES modules and CSS from `node/dashboard/static/`, no build step) and the
 * charting library from the installed npm package (`/assets/uPlot.esm.js`, `/assets/uPlot.min.css`).
 *
 * Only the files listed at construction are served, by exact path (no path is ever joined with a
 * request's URL); they are read once and kept in memory (a few hundred KiB). A path outside the list
 * is left to the RPC server (which answers 405 to a GET), except under `/assets/`, which answers 404.
 * The page talks to the node over the same JSON-RPC WebSocket as any client, on the same host and
 * port: the content security policy allows nothing else.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../primitives/logger.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

export interface SiteFile {
  body: Buffer;
  contentType: string;
}

/** The folder of the page's own files: `node/dashboard/static/` in the package (from sources or from dist/). */
export function staticDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node", "dashboard", "static");
    if (existsSync(join(candidate, "index.html"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The uPlot files the page imports, from the installed `uplot` package. */
export function chartLibraryFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve("uplot/package.json")), "dist");
  return { "/assets/uPlot.esm.js": join(dist, "uPlot.esm.js"), "/assets/uPlot.min.css": join(dist, "uPlot.min.css") };
}

/** URL path -> file: every file of `dir` at `/<name>` (`index.html` at `/` too), plus `extra`. */
export function siteFiles(dir: string, extra: Record<string, string>): Map<string, SiteFile> {
  const files = new Map<string, SiteFile>();
  const add = (url: string, path: string) => {
    const contentType = CONTENT_TYPES[extname(path)];
    if (contentType) files.set(url, { body: readFileSync(path), contentType });
  };
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isFile()) add(`/${name}`, path);
  }
  const index = files.get("/index.html");
  if (index) files.set("/", index);
  for (const [url, path] of Object.entries(extra)) add(url, path);
  return files;
}

export class DashboardSite {
  constructor(private readonly files: Map<string, SiteFile>) {}

  /**
   * The site with the page's files and the chart library; undefined (logged) when the files are not
   * there, e.g. a package copied without `node/dashboard/static/`.
   */
  static load(logger: Logger): DashboardSite | undefined {
    const dir = staticDir();
    if (!dir) {
      logger.warn("Dashboard files not found (node/dashboard/static): the dashboard is off");
      return undefined;
    }
    try {
      return new DashboardSite(siteFiles(dir, chartLibraryFiles()));
    } catch (err) {
      logger.warn("Dashboard files could not be read: the dashboard is off", { error: (err as Error).message });
      return undefined;
    }
  }

  /** The URL paths served. */
  paths(): string[] {
    return [...this.files.keys()];
  }

  /** Answers a GET or HEAD for one of the files; false (response untouched) for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    let path: string;
    try {
      path = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {
      return false;
    }
    const file = this.files.get(path);
    if (!file) {
      if (!path.startsWith("/assets/")) return false;
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      req.resume();
      return true;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": file.contentType,
      "content-length": file.body.length,
    });
    res.end(req.method === "HEAD" ? undefined : file.body);
    req.resume();
    return true;
  }
}
