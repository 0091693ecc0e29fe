import { afterEach, describe, expect, it } from "@jest/globals";
import { parseRunFlags } from "../../../../cli/commands/run.js";
import { DashboardSite } from "../../../../node/dashboard/index.js";
import { staticDir } from "../../../../node/dashboard/site.js";
import type { RpcServer } from "../../../../node/rpc/server/index.js";
import { recordingLogger, startServer, WsClient } from "../rpc/helpers.js";

const open: RpcServer[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** An RPC server with one method and the dashboard on GET. */
async function setup() {
  const logger = recordingLogger();
  const { server, url, httpUrl } = await startServer({}, logger);
  open.push(server);
  server.register({ name: "test_ping", handler: () => "pong" });
  const site = DashboardSite.load(logger);
  if (!site) throw new Error("dashboard files not found");
  server.onGet((req, res) => site.handle(req, res));
  return { server, url, base: httpUrl.replace(/\/$/, ""), site };
}

describe("the dashboard on the RPC port", () => {
  it("serves the page, its modules and the chart library on GET, with a strict content security policy", async () => {
    const { base, site } = await setup();
    expect(staticDir()).toMatch(/node[\\/]dashboard[\\/]static$/);
    expect(site.paths()).toEqual(
      expect.arrayContaining([
        "/",
        "/index.html",
        "/dashboard.js",
        "/rpc.js",
        "/format.js",
        "/dashboard.css",
        "/assets/uPlot.esm.js",
        "/assets/uPlot.min.css",
      ]),
    );
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/dashboard.js"></script>');
    expect(html).toContain('href="/assets/uPlot.min.css"');

    const js = await fetch(`${base}/dashboard.js?v=1`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain('import uPlot from "/assets/uPlot.esm.js"');
    const chart = await fetch(`${base}/assets/uPlot.esm.js`);
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain("export { uPlot as default }");
    expect((await fetch(`${base}/assets/uPlot.min.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");

    const head = await fetch(`${base}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(Buffer.byteLength(html));
    expect(await head.text()).toBe("");
  });

  it("answers 404 under /assets/, leaves other GETs to the RPC server (405), and JSON-RPC works as before", async () => {
    const { base, url } = await setup();
    // Only listed paths are served: nothing reaches a file by way of "..".
    for (const path of ["/assets/../package.json", "/assets/%2e%2e/package.json", "/..%2fpackage.json"])
      expect((await fetch(`${base}${path}`)).status).not.toBe(200);
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    const other = await fetch(`${base}/package.json`);
    expect(other.status).toBe(405);
    expect(other.headers.get("allow")).toBe("POST");

    const post = await fetch(`${base}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "test_ping", params: [] }),
    });
    expect(await post.json()).toEqual({ jsonrpc: "2.0", id: 7, result: "pong" });
    const ws = await WsClient.connect(url);
    expect(await ws.request("test_ping")).toEqual({ jsonrpc: "2.0", id: 1, result: "pong" });
    ws.ws.terminate();
  });

  it("is on by default and off with --no-dashboard", () => {
    expect(parseRunFlags(["--dev"]).dashboard).toBe(true);
    expect(parseRunFlags(["--dev", "--no-dashboard"]).dashboard).toBe(false);
  });
});
