/**
 * The job e2e tests' network: what `tensorchain devnet --validators 2 --workers W --evaluators E
 * --inference P` starts,
 * as separate processes on 127.0.0.1, on the `local` spec with short slots and the role accounts funded.
 * `validators` and `baseSpec` run another chain (the governance e2e: 4 validators on `devnet`).
 * Resolves once every node answers RPC.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DevnetNodePlan,
  devnetRoleNames,
  planDevnet,
  type RunningDevnet,
  startDevnet,
  withRoleAccounts,
} from "../../cli/commands/devnet.js";
import { BUILTIN_SPECS, type ChainSpec } from "../../genesis/chainSpec.js";
import { rpcCall, waitFor } from "./node.js";

export interface RoleDevnetOptions {
  /** The folder for the chain spec and the nodes' base paths. */
  dir: string;
  /** The chain id, so that the spec differs from the built-in one it is based on. */
  specId: string;
  /** The spec to start from (a copy is changed); default the built-in `local`. */
  baseSpec?: ChainSpec;
  /** Validators to start, the first of `DEVNET_VALIDATORS`; default 2 (`local`'s). */
  validators?: number;
  slotMs: number;
  workers: number;
  evaluators: number;
  /** Inference provider nodes (`Provider1`…); default 0. */
  providers?: number;
  /** More dev accounts (`//Name`) to endow, for accounts a test drives itself. */
  endow?: string[];
  /** Genesis values of knobs (`jobManager.audit_stage_blocks` …), over the spec's. */
  parameters?: Record<string, number | string>;
  /** Receives every line the nodes log. */
  write(line: string): void;
  /** More flags for every node (e.g. `--dev-chaos`). */
  extraArgs?: string[];
}

export interface RoleDevnet {
  devnet: RunningDevnet;
  /** The role accounts' names (funded in the spec). */
  roles: string[];
  /** Every node's command line, ports and peer id, validators first. */
  plan: DevnetNodePlan[];
  /** The first validator's RPC, over HTTP and WebSocket. */
  httpUrl: string;
  rpcUrl: string;
}

export async function startRoleDevnet(opts: RoleDevnetOptions): Promise<RoleDevnet> {
  const roles = devnetRoleNames(opts.workers, opts.evaluators, opts.providers ?? 0);
  const base = structuredClone(opts.baseSpec ?? BUILTIN_SPECS.local());
  base.id = opts.specId;
  if (!("runtimeGenesis" in base.genesis)) throw new Error("expected a runtime genesis");
  base.genesis.runtimeGenesis.config.babe = { slotDurationMs: opts.slotMs };
  if (opts.parameters) {
    const config = base.genesis.runtimeGenesis.config as { parameters?: Record<string, unknown> };
    config.parameters = { ...config.parameters, ...opts.parameters };
  }
  const spec: ChainSpec = withRoleAccounts(base, [...roles, ...(opts.endow ?? [])]);
  const chain = join(opts.dir, "chain-spec.json");
  writeFileSync(chain, JSON.stringify(spec, null, 2));
  // Consecutive ports as `devnet` uses them, from a random base.
  const rpcBase = 20_000 + Math.floor(Math.random() * 20_000);
  const plan = await planDevnet({
    validators: opts.validators ?? 2,
    baseDir: join(opts.dir, "nodes"),
    rpcPort: rpcBase,
    p2pPort: rpcBase + 100,
    chain,
    workers: opts.workers,
    evaluators: opts.evaluators,
    providers: opts.providers,
  });
  if (opts.extraArgs) for (const node of plan) node.args.push(...opts.extraArgs);
  mkdirSync(join(opts.dir, "nodes"), { recursive: true });
  const devnet = startDevnet(plan, { write: opts.write, stopGraceMs: 5_000 });
  for (const node of plan)
    await waitFor(
      async () => {
        try {
          return (await rpcCall(`http://127.0.0.1:${node.rpcPort}`, "system_name")).result !== undefined || undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
      `${node.name}'s RPC`,
    );
  return { devnet, roles, plan, httpUrl: `http://127.0.0.1:${plan[0]!.rpcPort}`, rpcUrl: plan[0]!.rpcUrl };
}
