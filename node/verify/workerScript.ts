/**
 * Where the worker script is. Worker threads run plain JS that Node loads itself (no jest or swc
 * transform applies inside `new Worker`), so the worker is always the build's output:
 *
 * 1. Production (`dist/node/verify/pool.js`): `./verifyWorker.js` next to this compiled file.
 * 2. From source (jest runs `node/verify/pool.ts` through swc): no `.js` sits beside the source, so we
 *    walk up to the package root (the directory with `package.json`) and use
 *    `dist/node/verify/verifyWorker.js`. `npm test` builds first; after changing `packing.ts`,
 *    `verifyWorker.ts` or `primitives/crypto/verify.ts`, run `npm run build` before the tests.
 *
 * `VerifierPoolOptions.workerPath` overrides both.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { VerifierPoolError } from "./errors.js";

const WORKER_FILE = "verifyWorker.js";

export function resolveWorkerScript(override?: string | URL): string {
  if (override !== undefined) {
    const path = override instanceof URL ? fileURLToPath(override) : override;
    if (!existsSync(path)) throw new VerifierPoolError({ code: "VERIFIER_POOL_ERROR_WORKER_NOT_FOUND", paths: [path] });
    return path;
  }
  const here = fileURLToPath(import.meta.url);
  const tried: string[] = [];
  const sibling = join(dirname(here), WORKER_FILE);
  tried.push(sibling);
  if (existsSync(sibling)) return sibling;
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) {
      const built = join(dir, "dist", "node", "verify", WORKER_FILE);
      tried.push(built);
      if (existsSync(built)) return built;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  throw new VerifierPoolError({ code: "VERIFIER_POOL_ERROR_WORKER_NOT_FOUND", paths: tried });
}
