/**
 * `tensorchain_*`: the chain's own queries.
 *
 * `tensorchain_findWorkers(query?, at?)` answers "who can run this" from chain state (the worker
 * registry's `findWorkers`): the active workers matching every given criterion, best first (reputation,
 * then stake). `query` is `{minGpus?, minGpuMemoryMiB?, minMemoryMiB?, profile?: "CpuExact"|"GpuTolerance",
 * role?: "Trainer"|"Evaluator"|"Inference"}`; each worker is
 * `{account (SS58), accountId (hex), roles, capabilities, recordHash, stake (string, planck), reputationPpm, lastHeartbeat}`.
 *
 * `tensorchain_pouwStatus(at?)`: useful work in the headers (DESIGN §5) at a block: the ticket target
 * (`difficulty`, 0x + 64 hex digits, big-endian; a ticket is valid when its score is below it) and the
 * chance in parts per billion that one leaf's ticket beats it, the `pouw.*` parameters, the tickets of
 * this epoch so far, the tickets of each of the last `EPOCH_DURATION` blocks (newest first, with their
 * numbers), and this node's pending tickets (`{jobId, worker, leaf}`, those in its pool).
 */
import { ss58Encode } from "../../../primitives/crypto/index.js";
import { type HexString, toHex } from "../../../primitives/hex.js";
import type { HeaderValue } from "../../../primitives/types.js";
import { EPOCH_DURATION } from "../../../runtime/pallets/babe.js";
import { ticketChancePpb } from "../../../runtime/pallets/pouw/difficulty.js";
import { targetToBytes } from "../../../runtime/pallets/pouw/index.js";
import {
  EXECUTION_PROFILES,
  type ExecutionProfileName,
  type FindWorkersQuery,
  WORKER_ROLES,
  type WorkerRoleName,
} from "../../../runtime/pallets/workerRegistry.js";
import { ticketsOf } from "../../pouw/service.js";
import { param, type RpcDef } from "../server/index.js";
import { method, type RpcDeps, runtimeAt } from "./context.js";

const ROLES = WORKER_ROLES;
const QUERY_KEYS = ["minGpus", "minGpuMemoryMiB", "minMemoryMiB", "profile", "role"];

/** Checks a findWorkers query: known keys only, non-negative integers, known profile and role names. */
export function parseFindWorkersQuery(v: unknown): FindWorkersQuery {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new Error("expected an object");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!QUERY_KEYS.includes(k)) throw new Error(`unknown field "${k}" (expected ${QUERY_KEYS.join(", ")})`);
  const q: FindWorkersQuery = {};
  for (const k of ["minGpus", "minGpuMemoryMiB", "minMemoryMiB"] as const) {
    const n = o[k];
    if (n === undefined || n === null) continue;
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 0xffff_ffff)
      throw new Error(`${k}: expected an integer in 0..4294967295`);
    q[k] = n as number;
  }
  if (o.profile !== undefined && o.profile !== null) {
    if (!EXECUTION_PROFILES.includes(o.profile as ExecutionProfileName))
      throw new Error(`profile: expected one of ${EXECUTION_PROFILES.join(", ")}`);
    q.profile = o.profile as ExecutionProfileName;
  }
  if (o.role !== undefined && o.role !== null) {
    if (!ROLES.includes(o.role as WorkerRoleName)) throw new Error(`role: expected one of ${ROLES.join(", ")}`);
    q.role = o.role as WorkerRoleName;
  }
  return q;
}

export function tensorchainMethods(deps: RpcDeps): RpcDef[] {
  return [
    method({
      name: "tensorchain_pouwStatus",
      params: [param.optional(param.hex("at", 32))],
      handler: async ([at]) => {
        const runtime = await runtimeAt(deps, at as HexString | undefined);
        const p = runtime.pouwParams();
        const recent: { number: number; tickets: number }[] = [];
        let header: HeaderValue | undefined = runtime.block.header;
        while (header && header.number > 0 && recent.length < EPOCH_DURATION) {
          recent.push({ number: header.number, tickets: ticketsOf(header).length });
          header = await deps.chain.header(header.parentHash);
        }
        return {
          difficulty: toHex(targetToBytes(p.difficulty)),
          ticketChancePpb: ticketChancePpb(p.difficulty).toString(),
          maxTicketsPerBlock: p.maxTicketsPerBlock,
          targetTicketsPerBlock: p.targetTicketsPerBlock,
          ticketWeight: p.ticketWeight,
          ticketReward: p.ticketReward.toString(),
          epochTickets: p.epochTickets,
          recentBlocks: recent,
          pending: (deps.pendingTickets?.() ?? []).map((t) => ({
            jobId: t.job_id.toString(),
            worker: ss58Encode(t.worker),
            leaf: t.leaf,
          })),
        };
      },
    }),
    method({
      name: "tensorchain_findWorkers",
      params: [param.optional(param.custom("query", parseFindWorkersQuery)), param.optional(param.hex("at", 32))],
      handler: async ([query, at]) => {
        const runtime = await runtimeAt(deps, at as HexString | undefined);
        return runtime.findWorkers(query ?? {}).map((w) => ({
          account: ss58Encode(w.account),
          accountId: toHex(w.account),
          roles: w.roles,
          capabilities: {
            gpus: w.capabilities.gpus,
            gpuMemoryMiB: w.capabilities.gpu_memory_mib,
            cpuCores: w.capabilities.cpu_cores,
            memoryMiB: w.capabilities.memory_mib,
            profiles: w.capabilities.profiles.map((p) => p.tag),
            onnxruntimeVersion: new TextDecoder().decode(w.capabilities.onnxruntime_version),
          },
          recordHash: toHex(w.recordHash),
          stake: w.stake.toString(),
          reputationPpm: w.reputation,
          lastHeartbeat: w.lastHeartbeat,
        }));
      },
    }),
  ];
}
