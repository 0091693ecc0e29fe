/**
 * A mock-runtime builder for runtime tests, in the manner of FRAME's `ExtBuilder`: a genesis with chosen
 * balances, blocks built and finalized in memory, and `assertNoop` that checks a failing extrinsic left
 * the state root exactly as it was.
 */

import { genesisHeader, trieBackend } from "../../node/chain/chain.js";
import { signExtrinsic } from "../../node/extrinsicBuilder.js";
import { defaultSignatureChecker, type KeyPair, keypairFromSuri } from "../../primitives/crypto/index.js";
import { blake2_256 } from "../../primitives/hashing.js";
import { Trie } from "../../primitives/trie/index.js";
import { type DigestItemValue, type DispatchErrorValue, Header, type HeaderValue } from "../../primitives/types.js";
import { buildRuntime, palletByName } from "../../runtime/construct.js";
import { callDecl } from "../../runtime/frame/calls.js";
import { DispatchError, type Origin } from "../../runtime/frame/dispatch.js";
import type { EventRecord } from "../../runtime/frame/ext.js";
import {
  type ApplyResult,
  applyExtrinsic,
  buildGenesisStorage,
  type CallValue,
  Ext,
  finalizeBlock,
  type GenesisConfig,
  initializeBlock,
  System,
  type TransactionSource,
  timestampInherent,
  validateTransaction,
} from "../../runtime/index.js";
import { BABE_ENGINE_ID } from "../../runtime/pallets/session.js";

/** One TRAIN in planck, as the runtime defines it; the runtime tests call it UNIT. */
export { UNITS as UNIT } from "../../runtime/constants.js";

/** Derived dev keys by name: deriving one (a PBKDF2 of the dev phrase, then the path) takes milliseconds. */
const devKeys = new Map<string, KeyPair>();

/** //`name`'s sr25519 dev key pair (derived once per name). */
export function dev(name: string): KeyPair {
  let pair = devKeys.get(name);
  if (pair === undefined) {
    pair = keypairFromSuri(`//${name}`);
    devKeys.set(name, pair);
  }
  return pair;
}

export class TestRuntime {
  state: Trie;
  header: HeaderValue;
  hash: Uint8Array;
  readonly genesisHash: Uint8Array;
  private nextTimestamp = 1_000_000n;

  constructor(config: GenesisConfig) {
    // As a node does: a chain with a sudo key runs the dev runtime (with Sudo). The first runtime a
    // test file builds is the one it keeps; a later sudo genesis in a file that built the runtime
    // without Sudo throws.
    if (config.sudoKey) buildRuntime({ sudo: true });
    this.state = Trie.fromEntries(buildGenesisStorage(config));
    this.header = genesisHeader(this.state.root);
    this.hash = blake2_256(Header.enc(this.header));
    this.genesisHash = this.hash;
  }

  static withBalances(balances: [string, bigint][], sudo?: string): TestRuntime {
    return new TestRuntime({
      balances: balances.map(([n, b]) => [dev(n).publicKey, b]),
      sudoKey: sudo ? dev(sudo).publicKey : undefined,
    });
  }

  ext(): Ext {
    return new Ext(trieBackend(this.state), defaultSignatureChecker);
  }

  sign(call: CallValue, signer: KeyPair, nonce: number, opts: { tip?: bigint; mortal?: number } = {}): Uint8Array {
    return signExtrinsic(call, signer, {
      nonce,
      tip: opts.tip,
      genesisHash: this.genesisHash,
      mortality: opts.mortal ? { period: opts.mortal, current: this.header.number, blockHash: this.hash } : undefined,
    });
  }

  /** Builds, finalizes and "imports" a block holding `txs`; returns each extrinsic's result and the events. */
  block(txs: Uint8Array[], opts: { digest?: DigestItemValue[] } = {}): { results: ApplyResult[]; ext: Ext } {
    const ext = this.ext();
    initializeBlock(ext, { parentHash: this.hash, number: this.header.number + 1, digest: opts.digest ?? [] });
    const inherent = timestampInherent(this.nextTimestamp);
    this.nextTimestamp += 2000n;
    const r = applyExtrinsic(ext, inherent, this.genesisHash);
    if (!r.ok) throw new Error("inherent failed");
    const results = txs.map((tx) => applyExtrinsic(ext, tx, this.genesisHash));
    const included = [inherent, ...txs.filter((_, i) => results[i].ok)];
    const { extrinsicsRoot } = finalizeBlock(ext, included);
    // The header carries the digest the block ended with: the author's items plus the runtime's.
    const digest = System.storage.Digest.getOrDefault(ext);
    this.state = this.state.update(ext.overlay.drain());
    this.header = {
      parentHash: this.hash,
      number: this.header.number + 1,
      stateRoot: this.state.root,
      extrinsicsRoot,
      digest,
    };
    this.hash = blake2_256(Header.enc(this.header));
    this.lastEvents = ext.events as EventRecord<RuntimeEventValue>[];
    return { results, ext };
  }

  validate(tx: Uint8Array, source: TransactionSource = "external") {
    return validateTransaction(
      this.ext(),
      source,
      tx,
      { hash: this.hash, number: this.header.number },
      this.genesisHash,
    );
  }

  read<T>(f: (ext: Ext) => T): T {
    return f(this.ext());
  }

  /** The events of the last block built. */
  lastEvents: EventRecord<RuntimeEventValue>[] = [];

  /** The next nonce of `who`, from the state. */
  nonceOf(who: KeyPair): number {
    return this.read((e) => System.storage.Account.getOrDefault(e, who.publicKey).nonce);
  }

  /** Signs `call` with the signer's next nonce and puts it alone in a new block; returns its result. */
  submit(signer: KeyPair, call: CallValue, opts: { digest?: DigestItemValue[] } = {}): ApplyResult {
    const { results } = this.block([this.sign(call, signer, this.nonceOf(signer))], opts);
    return results[0];
  }

  /** Submits `call` wrapped in `Sudo.sudo` signed by `sudoKey`. */
  sudo(sudoKey: KeyPair, call: CallValue): ApplyResult {
    return this.submit(sudoKey, { tag: "Sudo", value: { tag: "sudo", value: { call } } });
  }

  /** Empty blocks until the head is block `n`; `digest(n)` gives each block's author digest. */
  runTo(n: number, digest?: (number: number) => DigestItemValue[]): void {
    while (this.header.number < n) this.block([], { digest: digest?.(this.header.number + 1) });
  }

  /**
   * FRAME's `assert_noop!`: dispatches `call` directly (no storage transaction to hide early writes)
   * on the head state, expects it to fail with `expected` (e.g. `"Staking.NotController"`), and checks
   * that it deposited no event and left the state root exactly as it was. Returns the error.
   */
  assertNoop(origin: Origin, call: CallValue, expected: string): DispatchError {
    const ext = this.ext();
    let error: DispatchError | undefined;
    try {
      callDecl(call).dispatch(ext, origin, call.value.value);
    } catch (err) {
      if (!(err instanceof DispatchError)) throw err;
      error = err;
    }
    if (!error) throw new Error(`assertNoop: ${call.tag}.${call.value.tag} succeeded; expected ${expected}`);
    if (error.label !== expected) throw new Error(`assertNoop: got ${error.label}; expected ${expected}`);
    if (ext.events.length > 0) throw new Error(`assertNoop: ${ext.events.length} event(s) deposited`);
    const after = this.state.update(ext.overlay.drain());
    if (!bytesEq(after.root, this.state.root)) throw new Error("assertNoop: the call changed storage");
    return error;
  }

  /** Events of the last block whose pallet is `pallet` (and variant `name`, if given). */
  eventsOf(pallet: string, name?: string): { tag: string; value: Record<string, unknown> }[] {
    return this.lastEvents
      .map((r) => r.event)
      .filter((e) => e.tag === pallet && (name === undefined || e.value.tag === name))
      .map((e) => e.value as { tag: string; value: Record<string, unknown> });
  }

  /**
   * FRAME's `assert_last_event`: the last event of the last block other than the extrinsic's own
   * `System.ExtrinsicSuccess` and the fee events.
   */
  lastEvent(): RuntimeEventValue | undefined {
    const skip = (e: RuntimeEventValue) =>
      (e.tag === "System" && e.value.tag === "ExtrinsicSuccess") ||
      e.tag === "TransactionPayment" ||
      (e.tag === "Balances" && e.value.tag === "Deposit");
    return this.lastEvents
      .map((r) => r.event)
      .filter((e) => !skip(e))
      .at(-1);
  }

  /** The dispatch error of the last block's `System.ExtrinsicFailed`, or of a failed `Sudo.sudo`. */
  lastDispatchError(): DispatchErrorValue | undefined {
    for (const { event } of [...this.lastEvents].reverse()) {
      const v = event.value as { tag: string; value: Record<string, unknown> };
      if (event.tag === "System" && v.tag === "ExtrinsicFailed") return v.value.dispatch_error as DispatchErrorValue;
      if (event.tag === "Sudo" && v.tag === "Sudid") {
        const r = v.value.sudo_result as { tag: string; value?: DispatchErrorValue };
        return r.tag === "Err" ? r.value : undefined;
      }
    }
    return undefined;
  }
}

export interface RuntimeEventValue {
  tag: string;
  value: { tag: string; value?: unknown };
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The `Module` dispatch error of `pallet`'s error `name`, as it appears in `ExtrinsicFailed`. */
export function moduleError(pallet: string, name: string): DispatchErrorValue {
  const p = palletByName(pallet);
  const decl = p?.errorDecls[name];
  if (!p || !decl) throw new Error(`Unknown error ${pallet}.${name}`);
  return { tag: "Module", value: { index: p.index, error: new Uint8Array([decl.index, 0, 0, 0]) } };
}

/** The BABE session keys of a dev account: its sr25519 key for BABE and its ed25519 key for GRANDPA. */
export function devSessionKeys(name: string): { babe: Uint8Array; grandpa: Uint8Array } {
  let grandpa = devGrandpaKeys.get(name);
  if (grandpa === undefined) {
    grandpa = keypairFromSuri(`//${name}`, "ed25519").publicKey;
    devGrandpaKeys.set(name, grandpa);
  }
  return { babe: dev(name).publicKey, grandpa };
}
const devGrandpaKeys = new Map<string, Uint8Array>();

/** `Staking.bond` of `value` from the origin, rewards to `payee` (default: restaked). */
export function bondCall(value: bigint, payee: unknown = { tag: "Staked" }): CallValue {
  return { tag: "Staking", value: { tag: "bond", value: { value, payee } } };
}

/** `Session.set_keys` with //`name`'s dev session keys. */
export function setKeysCall(name: string): CallValue {
  return { tag: "Session", value: { tag: "set_keys", value: { keys: devSessionKeys(name), proof: new Uint8Array() } } };
}

/** `Staking.validate` with these preferences. */
export function validateCall(commission = 0, blocked = false): CallValue {
  return { tag: "Staking", value: { tag: "validate", value: { prefs: { commission, blocked } } } };
}

/** //`name` bonds `stake`, sets its dev session keys and validates: elected from the next era. */
export function joinAsValidator(rt: TestRuntime, name: string, stake: bigint): void {
  const who = dev(name);
  for (const call of [bondCall(stake), setKeysCall(name), validateCall()]) rt.submit(who, call);
}

/** A BABE secondary-plain pre-runtime digest (Substrate's `PreDigest::SecondaryPlain`). */
export function babePreDigest(authorityIndex: number, slot: bigint): DigestItemValue {
  const pre = new Uint8Array(13);
  const dv = new DataView(pre.buffer);
  pre[0] = 2;
  dv.setUint32(1, authorityIndex, true);
  dv.setBigUint64(5, slot, true);
  return { tag: "PreRuntime", value: [BABE_ENGINE_ID, pre] };
}

/**
 * A BABE pre-runtime digest with a VRF signature: `Primary` (variant 1) or `SecondaryVRF` (variant 3),
 * with the given pre-output and a zero proof (the runtime does not check proofs; the node does).
 */
export function babeVrfPreDigest(
  authorityIndex: number,
  slot: bigint,
  preOutput: Uint8Array,
  kind: "Primary" | "SecondaryVRF" = "Primary",
): DigestItemValue {
  if (preOutput.length !== 32) throw new Error("pre-output must be 32 bytes");
  const pre = new Uint8Array(13 + 32 + 64);
  const dv = new DataView(pre.buffer);
  pre[0] = kind === "Primary" ? 1 : 3;
  dv.setUint32(1, authorityIndex, true);
  dv.setBigUint64(5, slot, true);
  pre.set(preOutput, 13);
  return { tag: "PreRuntime", value: [BABE_ENGINE_ID, pre] };
}

export interface StakingSetup {
  balances: [string, bigint][];
  validators: [string, bigint][];
  nominators?: [string, bigint, string[]][];
  validatorCount?: number;
  minValidatorBond?: bigint;
  slashFraction?: number;
  commission?: Record<string, number>;
  sudo?: string;
}

/** A runtime whose genesis bonds dev validators (with their dev session keys) and nominators. */
export function withStaking(s: StakingSetup): TestRuntime {
  return new TestRuntime({
    balances: s.balances.map(([n, b]) => [dev(n).publicKey, b]),
    sudoKey: s.sudo ? dev(s.sudo).publicKey : undefined,
    staking: {
      validatorCount: s.validatorCount ?? s.validators.length,
      minValidatorBond: s.minValidatorBond,
      slashFraction: s.slashFraction,
      validators: s.validators.map(([n, stake]) => ({
        stash: dev(n).publicKey,
        stake,
        keys: devSessionKeys(n),
        commission: s.commission?.[n],
      })),
      nominators: (s.nominators ?? []).map(([n, stake, targets]) => ({
        stash: dev(n).publicKey,
        stake,
        targets: targets.map((t) => dev(t).publicKey),
      })),
    },
  });
}

export function transferKeepAlive(to: KeyPair, value: bigint): CallValue {
  return {
    tag: "Balances",
    value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: to.publicKey }, value } },
  };
}

export function transferAllowDeath(to: KeyPair, value: bigint): CallValue {
  return {
    tag: "Balances",
    value: { tag: "transfer_allow_death", value: { dest: { tag: "Id", value: to.publicKey }, value } },
  };
}
