/**
 * Chain access for the `job` sub-commands: a connection through the real `@polkadot/api`, job-market
 * storage read with `state_getStorage` and decoded with the runtime's own codecs (amounts stay exact
 * bigints), and signed transactions followed to InBlock. The `gov` and `params` commands share them.
 */
import type { ApiPromise } from "@polkadot/api";
import { toHex } from "../../../primitives/hex.js";
import { JobManager, type JobValue } from "../../../runtime/pallets/jobManager/index.js";
import { type AnyKnob, JOB_MANAGER, keyOf, Parameters } from "../../../runtime/pallets/parameters/index.js";
import { JobCliError } from "./common.js";

export async function withApi<T>(rpc: string, f: (api: ApiPromise) => Promise<T>): Promise<T> {
  const { WsProvider, ApiPromise } = await import("@polkadot/api");
  const provider = new WsProvider(rpc, false);
  await provider.connect();
  let api: ApiPromise | undefined;
  try {
    api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
    return await f(api);
  } finally {
    await api?.disconnect();
    await provider.disconnect().catch(() => {});
  }
}

export async function readStorage(api: ApiPromise, key: Uint8Array, at?: string): Promise<Uint8Array | undefined> {
  // An explicit `undefined` block hash would be sent as the zero hash: pass `at` only when given.
  const raw = (await (at === undefined
    ? api.rpc.state.getStorage(toHex(key))
    : api.rpc.state.getStorage(toHex(key), at))) as unknown as {
    isSome: boolean;
    unwrap(): { toU8a(b: boolean): Uint8Array };
  };
  return raw.isSome ? raw.unwrap().toU8a(true) : undefined;
}

export async function readJob(api: ApiPromise, id: bigint, at?: string): Promise<JobValue | undefined> {
  const bytes = await readStorage(api, JobManager.storage.Jobs.keyFor(id), at);
  return bytes && JobManager.storage.Jobs.valueTy.dec(bytes);
}

export async function readAssignment(api: ApiPromise, id: bigint, worker: Uint8Array, at?: string) {
  const bytes = await readStorage(api, JobManager.storage.Assignments.keyFor([id, worker]), at);
  return bytes && JobManager.storage.Assignments.valueTy.dec(bytes);
}

/** Every check (audit, escalation, challenge) of a job, by check id. */
export async function readChecks(api: ApiPromise, id: bigint, count: number, at?: string) {
  const S = JobManager.storage.Checks;
  const out = [];
  for (let c = 0; c < count; c++) {
    const bytes = await readStorage(api, S.keyFor([id, c]), at);
    if (bytes) out.push({ id: c, check: S.valueTy.dec(bytes) });
  }
  return out;
}

export async function minWorkerStake(api: ApiPromise): Promise<bigint> {
  return (await readParameter(api, JOB_MANAGER.min_worker_stake)) as bigint;
}

/** A parameter's value at `at` (the best block by default): the stored one, or its default. */
export async function readParameter(api: ApiPromise, knob: AnyKnob, at?: string): Promise<number | bigint> {
  const S = Parameters.storage.Parameters;
  const bytes = await readStorage(api, S.keyFor(keyOf(knob)), at);
  return bytes ? S.valueTy.dec(bytes).value.value : knob.defaultValue;
}

export type SubmittableTx = ReturnType<ApiPromise["tx"][string][string]>;

/**
 * Signs and sends `tx`, resolves at InBlock (or Finalized, if that comes first) with the block hash and the
 * extrinsic's events; throws on failure.
 */
export async function send(api: ApiPromise, tx: SubmittableTx, suri: string) {
  const { Keyring } = await import("@polkadot/api");
  const signer = new Keyring({ type: "sr25519" }).addFromUri(suri);
  return new Promise<{ blockHash: string; events: { section: string; method: string; data: unknown[] }[] }>(
    (resolve, reject) => {
      let unsub: (() => void) | undefined;
      tx.signAndSend(signer, (result) => {
        const status = result.status;
        // A block of a short-lived fork may be retracted before @polkadot/api has read its events (its
        // InBlock is then never reported): finality is the fallback.
        if (status.isInBlock || status.isFinalized) {
          unsub?.();
          const events = result.events.map(({ event }) => ({
            section: event.section,
            method: event.method,
            data: [...event.data],
          }));
          const failed = result.dispatchError;
          if (failed) {
            let error = failed.toString();
            if (failed.isModule) {
              const meta = api.registry.findMetaError(failed.asModule);
              error = `${meta.section}.${meta.name}`;
            }
            reject(new JobCliError({ code: "JOB_CLI_ERROR_DISPATCH", error }, `The chain rejected the call: ${error}`));
            return;
          }
          resolve({ blockHash: (status.isInBlock ? status.asInBlock : status.asFinalized).toHex(), events });
        } else if (status.isInvalid || status.isDropped || status.isUsurped) {
          unsub?.();
          reject(new JobCliError({ code: "JOB_CLI_ERROR_TX", status: status.type }, `Transaction ${status.type}`));
        }
      })
        .then((u) => {
          unsub = u;
        })
        .catch((err: unknown) => reject(err));
    },
  );
}

/**
 * Runs `onHead` for each new best head, one at a time in order (a head waits for the one before), until
 * it returns a value: resolves with that value and unsubscribes. Rejects (and unsubscribes) when
 * `onHead` or the subscription fails.
 */
export function followHeads<T>(
  api: ApiPromise,
  onHead: (hash: string, number: number) => Promise<T | undefined>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let unsub: (() => void) | undefined;
    let done = false;
    let busy = Promise.resolve();
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      unsub?.();
      settle();
    };
    api.rpc.chain
      .subscribeNewHeads((header) => {
        const hash = header.hash.toHex();
        const number = header.number.toNumber();
        busy = busy
          .then(async () => {
            if (done) return;
            const value = await onHead(hash, number);
            if (value !== undefined) finish(() => resolve(value));
          })
          .catch((err: unknown) => finish(() => reject(err)));
      })
      .then((u) => {
        unsub = u;
        if (done) u();
      }, reject);
  });
}

/** Job `id`'s accepted PoUW tickets (`PoUW.Tickets`): trainer, leaf and block, by leaf then trainer. */
export async function readTickets(
  api: ApiPromise,
  id: bigint,
): Promise<{ worker: string; leaf: number; block: number }[]> {
  const entries = await api.query.poUW.tickets.entries(id);
  return entries
    .map(([key, value]) => {
      const [, workerLeaf] = key.args as unknown as [unknown, [{ toU8a(): Uint8Array }, { toNumber(): number }]];
      const { block } = value.toJSON() as { block: number };
      return { worker: toHex(workerLeaf[0].toU8a()), leaf: workerLeaf[1].toNumber(), block };
    })
    .sort((a, b) => a.leaf - b.leaf || a.worker.localeCompare(b.worker));
}
