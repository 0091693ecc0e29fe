/**
 * The layering check run by `npm run lint`: every import of every source file is resolved to the
 * top-level folder (or npm package) it reaches, and checked against the rules below. Run as
 * `node scripts/checkLayers.ts [root]`; it prints `file:line imports X (rule)` for each violation and
 * exits 1 if there is any. Tests call `checkLayers` on a virtual file map.
 *
 * Biome's `noRestrictedImports` matches the import specifier as written, not the folder it resolves
 * to, so "runtime/ imports only primitives/" would need one pattern set per directory depth
 * (`../frame/x.js` is inside runtime/ from runtime/pallets/ but outside it from runtime/); hence this
 * script. The rules name folders, never files (except the runtime's equivocation exemption), so
 * moving or splitting files inside a folder needs no change here.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export interface LayerRule {
  /** Shown after each violation. */
  name: string;
  /** The top-level folders whose files the rule applies to. */
  from: readonly string[];
  /** If set, the only project folders (besides its own) a file may import. */
  only?: readonly string[];
  /** Project files a file may import although their folder is not in `only`. */
  exceptFiles?: readonly string[];
  /** Project folders a file may not import. */
  forbid?: readonly string[];
  /** If set, the only npm packages and Node builtins (`node:fs`) a file may import. */
  packages?: readonly string[];
}

/** The source layers, bottom to top (cli/, test/ and bench/ sit on top and may import anything). */
export const SOURCE_LAYERS = ["primitives", "runtime", "consensus", "p2p", "node", "worker", "genesis"] as const;

export const RULES: readonly LayerRule[] = [
  {
    name: "primitives/ is the base layer and imports no other project folder",
    from: ["primitives"],
    only: [],
  },
  {
    name: "runtime/ imports only primitives/, consensus' pure equivocation checks and pure packages",
    from: ["runtime"],
    only: ["primitives"],
    exceptFiles: ["consensus/equivocation.ts", "consensus/errors.ts"],
    packages: ["@polkadot-api/substrate-bindings", "@polkadot/util-crypto"],
  },
  {
    name: "consensus/ imports only primitives/ and pure packages",
    from: ["consensus"],
    only: ["primitives"],
    packages: ["@polkadot/util-crypto", "@polkadot/wasm-crypto"],
  },
  {
    name: "p2p/ does not import runtime/, node/ or worker/",
    from: ["p2p"],
    forbid: ["runtime", "node", "worker"],
  },
  {
    name: "worker/ does not import node/ or runtime/",
    from: ["worker"],
    forbid: ["node", "runtime"],
  },
  {
    name: "source layers do not import cli/",
    from: SOURCE_LAYERS,
    forbid: ["cli"],
  },
];

export interface ImportRef {
  specifier: string;
  /** 1-based. */
  line: number;
}

export type ImportTarget =
  /** `folder` is the first path segment of `file`; ".." if the import leaves the repository. */
  | { kind: "project"; folder: string; file: string }
  /** An npm package (`@scope/name` or `name`) or a Node builtin (`node:fs`). */
  | { kind: "package"; name: string };

export interface Violation {
  /** Repository-relative, with `/` separators. */
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

/** Static imports, `export … from`, `import type`, `import()` and `require()`; comments and strings are skipped. */
export function importsOf(source: string): ImportRef[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((ref) => ({
    specifier: ref.fileName,
    line: source.slice(0, ref.pos).split("\n").length,
  }));
}

/** What `specifier`, imported by the repository-relative `file`, refers to. */
export function targetOf(file: string, specifier: string): ImportTarget {
  if (specifier.startsWith(".")) {
    let resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    // Sources import `x.js` for `x.ts`.
    resolved = resolved.replace(/\.(c|m)?js$/, ".$1ts");
    return { kind: "project", folder: resolved.split("/")[0], file: resolved };
  }
  const parts = specifier.split("/");
  return { kind: "package", name: specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0] };
}

function breaks(rule: LayerRule, ownFolder: string, target: ImportTarget): boolean {
  if (target.kind === "package") return rule.packages !== undefined && !rule.packages.includes(target.name);
  if (target.folder === ownFolder) return false;
  if (rule.forbid?.includes(target.folder)) return true;
  if (rule.only === undefined) return false;
  return !rule.only.includes(target.folder) && !rule.exceptFiles?.includes(target.file);
}

/** `files` maps repository-relative paths (`runtime/pallets/babe.ts`) to their source text. */
export function checkLayers(files: ReadonlyMap<string, string>, rules: readonly LayerRule[] = RULES): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    const folder = file.split("/")[0];
    const applicable = rules.filter((rule) => rule.from.includes(folder));
    if (applicable.length === 0) continue;
    for (const { specifier, line } of importsOf(source)) {
      const target = targetOf(file, specifier);
      for (const rule of applicable) {
        if (breaks(rule, folder, target)) violations.push({ file, line, specifier, rule: rule.name });
      }
    }
  }
  return violations;
}

const SOURCE_FILE = /\.(c|m)?(t|j)sx?$/;

/** The source files of every folder some rule applies to, keyed by repository-relative path. */
export function readSourceTree(root: string, rules: readonly LayerRule[] = RULES): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
        files.set(child, readFileSync(path.join(root, child), "utf8"));
      }
    }
  };
  const folders = new Set(rules.flatMap((rule) => rule.from));
  for (const folder of folders) {
    const stat = statSync(path.join(root, folder), { throwIfNoEntry: false });
    if (stat?.isDirectory()) walk(folder);
  }
  return files;
}

export function formatViolation(violation: Violation): string {
  return `${violation.file}:${violation.line} imports ${violation.specifier} (${violation.rule})`;
}

function main(): void {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));
  const violations = checkLayers(readSourceTree(root));
  for (const violation of violations) console.error(formatViolation(violation));
  if (violations.length > 0) {
    console.error(`layers: ${violations.length} forbidden import(s); the rules are in scripts/checkLayers.ts`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
