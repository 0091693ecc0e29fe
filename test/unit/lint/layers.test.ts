import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkLayers, formatViolation, readSourceTree } from "../../../scripts/checkLayers.js";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SCRIPT = join(REPO_ROOT, "scripts", "checkLayers.ts");

/** The violations of a virtual tree, as `file:line specifier`. */
function check(files: Record<string, string>): string[] {
  return checkLayers(new Map(Object.entries(files))).map((v) => `${v.file}:${v.line} ${v.specifier}`);
}

describe("layering lint (scripts/checkLayers.ts)", () => {
  test("the repository's source tree has no forbidden import", () => {
    const files = readSourceTree(REPO_ROOT);
    expect(files.size).toBeGreaterThan(100);
    expect(checkLayers(files).map(formatViolation)).toEqual([]);
  });

  test("a runtime file importing node/ is reported with its line and rule", () => {
    const violations = checkLayers(
      new Map([
        [
          "runtime/x.ts",
          'import { Hash } from "../primitives/types.js";\nimport { Chain } from "../node/chain/chain.js";\n',
        ],
      ]),
    );
    expect(violations).toHaveLength(1);
    expect(formatViolation(violations[0])).toMatch(
      /^runtime\/x\.ts:2 imports \.\.\/node\/chain\/chain\.js \(runtime\/ /,
    );
  });

  test("runtime/ and consensus/ import only primitives/, at any depth", () => {
    expect(
      check({
        "runtime/pallets/deep/x.ts": 'import "../../../node/chain/chain.js";\nimport "../../frame/storage.js";',
        "runtime/y.ts": 'import "../p2p/host.js";\nimport "./pallets/babe.js";\nimport "../primitives/hashing.js";',
        "consensus/babe/z.ts":
          'import "../../worker/index.js";\nimport "../header.js";\nimport "../../primitives/types.js";',
        "consensus/w.ts": 'export * from "../runtime/constants.js";',
      }),
    ).toEqual([
      "runtime/pallets/deep/x.ts:1 ../../../node/chain/chain.js",
      "runtime/y.ts:1 ../p2p/host.js",
      "consensus/babe/z.ts:1 ../../worker/index.js",
      "consensus/w.ts:1 ../runtime/constants.js",
    ]);
  });

  test("runtime/ may import consensus' pure equivocation checks, and nothing else of consensus/", () => {
    expect(
      check({
        "runtime/pallets/offences.ts": [
          'import { checkBabeEquivocation } from "../../consensus/equivocation.js";',
          'import { EquivocationError } from "../../consensus/errors.js";',
          'import { verifyHeader } from "../../consensus/babe/verify.js";',
        ].join("\n"),
      }),
    ).toEqual(["runtime/pallets/offences.ts:3 ../../consensus/babe/verify.js"]);
  });

  test("runtime/ and consensus/ import only the pure packages they use", () => {
    expect(
      check({
        "runtime/a.ts": 'import { blake2AsU8a } from "@polkadot/util-crypto";\nimport { readFileSync } from "node:fs";',
        "consensus/b.ts": 'import { Level } from "level";\nimport { sr25519Verify } from "@polkadot/wasm-crypto";',
      }),
    ).toEqual(["runtime/a.ts:2 node:fs", "consensus/b.ts:1 level"]);
  });

  test("primitives/ imports no other project folder", () => {
    expect(
      check({ "primitives/crypto/x.ts": 'import "../hashing.js";\nimport "../../runtime/constants.js";' }),
    ).toEqual(["primitives/crypto/x.ts:2 ../../runtime/constants.js"]);
  });

  test("p2p/ does not import runtime/, node/ or worker/", () => {
    expect(
      check({
        "p2p/x.ts": [
          'import "../runtime/constants.js";',
          'import "../node/node.js";',
          'import "../worker/index.js";',
          'import "../primitives/hex.js";',
          'import "@libp2p/interface";',
        ].join("\n"),
      }),
    ).toEqual(["p2p/x.ts:1 ../runtime/constants.js", "p2p/x.ts:2 ../node/node.js", "p2p/x.ts:3 ../worker/index.js"]);
  });

  test("worker/ does not import node/ or runtime/", () => {
    expect(
      check({
        "worker/content/x.ts":
          'import "../../node/content/store.js";\nimport type { Call } from "../../runtime/index.js";',
        "worker/y.ts": 'import "../primitives/hex.js";\nimport "../p2p/codec.js";',
      }),
    ).toEqual(["worker/content/x.ts:1 ../../node/content/store.js", "worker/content/x.ts:2 ../../runtime/index.js"]);
  });

  test("no source layer imports cli/; test/, bench/ and cli/ may import anything", () => {
    expect(
      check({
        "node/rpc/x.ts": 'const { main } = await import("../../cli/main.js");',
        "genesis/x.ts": 'import "../cli/index.js";',
        "worker/x.ts": 'import "../cli/commands/job.js";',
        "test/unit/x.test.ts": 'import "../../cli/main.js";\nimport "../../node/node.js";',
        "bench/x.ts": 'import "../cli/main.js";\nimport "../node/chain/chain.js";',
        "cli/x.ts": 'import "../node/node.js";',
      }),
    ).toEqual([
      "node/rpc/x.ts:1 ../../cli/main.js",
      "genesis/x.ts:1 ../cli/index.js",
      "worker/x.ts:1 ../cli/commands/job.js",
    ]);
  });

  test("import-like text in comments and strings is not an import", () => {
    expect(
      check({ "runtime/x.ts": '// import "../node/node.js";\nconst s = "import x from \\"../node/node.js\\"";\n' }),
    ).toEqual([]);
  });

  test("the script exits 1 and prints file:line on a tree with a forbidden import", () => {
    const root = mkdtempSync(join(tmpdir(), "layers-"));
    try {
      mkdirSync(join(root, "runtime"));
      mkdirSync(join(root, "node", "chain"), { recursive: true });
      writeFileSync(join(root, "node", "chain", "chain.ts"), "export class Chain {}\n");
      writeFileSync(join(root, "runtime", "x.ts"), '\nimport { Chain } from "../node/chain/chain.js";\n');
      const bad = spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("runtime/x.ts:2 imports ../node/chain/chain.js (");

      writeFileSync(join(root, "runtime", "x.ts"), "export const ok = 1;\n");
      const good = spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
      expect(good.stderr).toBe("");
      expect(good.status).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
