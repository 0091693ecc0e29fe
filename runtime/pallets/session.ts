/**
 * # Session pallet
 *
 * ## Overview
 * The validator set in sessions of a fixed number of blocks (`SESSION_LENGTH`), and the session keys
 * each validator registers: an sr25519 key for block production (BABE) and an ed25519 key for
 * finality (GRANDPA). The node's consensus uses "epoch = session": the authorities of session `s`
 * produce and finalize the blocks `s * SESSION_LENGTH ..= (s + 1) * SESSION_LENGTH - 1`.
 *
 * ## Terminology
 * - Session: `SESSION_LENGTH` blocks. Block `n` belongs to session `floor(n / SESSION_LENGTH)`; the
 *   rotation runs in `onInitialize` of the first block of a session.
 * - Queued set: the authorities of the next session, fixed one whole session ahead (BABE's "next
 *   epoch"). A key change (`set_keys`) therefore takes effect two sessions later, as in FRAME.
 * - Session manager: who decides the next validator set (staking's era election). It is bound when the
 *   runtime is assembled (`bindSessionManager`); this pallet does not depend on staking.
 * - Authority set id: GRANDPA's set id; it grows by one each time the finality keys of the current set
 *   change, and such a change is signalled in the header with a `Consensus(b"FRNK", ScheduledChange)`
 *   digest item with delay 0.
 * - History: the authorities of the last `HISTORICAL_SESSIONS` ended sessions, and the last session
 *   of each ended set id, kept so that the offences pallet can check equivocation evidence against
 *   the keys that were live when it was signed (FRAME's `pallet_session::historical`, without proofs).
 *
 * - Disabled validators: authority indices in `DisabledValidators`, set by an offence
 *   (`disableValidator`) for the rest of the set (cleared when a rotation changes the validators), at
 *   most a third of the set (`disablingLimit`, as FRAME's `UpToLimitDisablingStrategy`). A
 *   disabled validator may not author blocks: the BABE pallet rejects a block whose pre-digest names
 *   one, the node's BABE header check rejects its headers and its own node claims no slots
 *   (`disabledValidatorsAt`). Its GRANDPA votes still count until the next set, as in Substrate, whose
 *   GRANDPA client ignores `ConsensusLog::OnDisabled`: finality never depends on how many voters were
 *   disabled, and the set's weights stay those every voter agreed on when the set started.
 *
 * ## Assumptions
 * `set_keys` accepts any `proof` (ownership proofs are not checked, as in FRAME's default). A key can
 * be registered by one account only (`KeyOwner`). Elected validators without keys are left out of the
 * session set; an empty planned set never replaces a non-empty one.
 */
import { compareBytes } from "../../primitives/hex.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, type DigestItemValue } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../constants.js";
import { ensure, ensureSigned, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageMap, storageValue } from "../frame/storage.js";
import { accountExists, System } from "./system.js";

/** Blocks per session (and per BABE epoch); the same on every chain running this runtime. */
export const SESSION_LENGTH = 10;
/**
 * How many ended sessions keep their authorities in `HistoricalAuthorities`: enough to cover the
 * bonding period (`(BONDING_DURATION + 1) * SESSIONS_PER_ERA` sessions), so that equivocation evidence
 * can be checked for as long as its offence can still be slashed.
 */
export const HISTORICAL_SESSIONS = 12;

export const BABE_ENGINE_ID = new TextEncoder().encode("BABE");
export const GRANDPA_ENGINE_ID = new TextEncoder().encode("FRNK");
/** `KeyTypeId`s of the two session keys, as in Substrate. */
export const BABE_KEY_TYPE = new TextEncoder().encode("babe");
export const GRANDPA_KEY_TYPE = new TextEncoder().encode("gran");

export const BabeId = T.fixedBytes(32, { path: ["sp_consensus_babe", "app", "Public"] });
export const GrandpaId = T.fixedBytes(32, { path: ["sp_consensus_grandpa", "app", "Public"] });
export const KeyTypeId = T.fixedBytes(4, { path: ["sp_core", "crypto", "KeyTypeId"] });

/** The session keys, in this order (the SCALE encoding `author_rotateKeys` returns is babe ++ grandpa). */
export const SessionKeys = T.struct(
  { babe: BabeId, grandpa: GrandpaId },
  { path: ["tensorchain_runtime", "SessionKeys"], docs: ["The session keys of a validator."] },
);
export type SessionKeysValue = TyValue<typeof SessionKeys>;

/** One authority of a session as the node's consensus sees it. `weight` is its backing stake. */
export const AuthorityRecord = T.struct(
  { account: AccountId, babe: BabeId, grandpa: GrandpaId, weight: Balance },
  { path: ["pallet_session", "AuthorityRecord"] },
);
export type Authority = TyValue<typeof AuthorityRecord>;

/** `sp_consensus_grandpa::ScheduledChange`: GRANDPA weights are 1 per authority (one vote each). */
export const ScheduledChange = T.struct(
  { next_authorities: T.vec(T.tuple(GrandpaId, T.u64)), delay: T.u32 },
  { path: ["sp_consensus_grandpa", "ScheduledChange"], params: [{ name: "N", type: T.u32 }] },
);
export type ScheduledChangeValue = TyValue<typeof ScheduledChange>;
/** `sp_consensus_grandpa::ConsensusLog` (the payload of a `FRNK` consensus digest item). */
export const GrandpaConsensusLog = T.enumeration(
  {
    ScheduledChange: { index: 1, fields: ScheduledChange },
    ForcedChange: { index: 2, fields: T.tuple(T.u32, ScheduledChange) },
    OnDisabled: { index: 3, fields: T.u64 },
  },
  { path: ["sp_consensus_grandpa", "ConsensusLog"], params: [{ name: "N", type: T.u32 }] },
);

export const Session = pallet({
  name: "Session",
  index: 6,
  module: "pallet_session",
  docs: ["Validator sets in sessions of a fixed length, and the validators' session keys."],
  storage: {
    Validators: storageValue(T.vec(AccountId), { default: [], docs: [" The current set of validators."] }),
    CurrentIndex: storageValue(T.u32, { default: 0, docs: [" Current index of the session."] }),
    QueuedChanged: storageValue(T.bool, {
      default: false,
      docs: [
        " True if the underlying economic identities or weighting behind the validators",
        " has changed in the queued validator set.",
      ],
    }),
    QueuedKeys: storageValue(T.vec(T.tuple(AccountId, SessionKeys)), {
      default: [],
      docs: [
        " The queued keys for the next session. When the next session begins, these keys",
        " will be used to determine the validator's session keys.",
      ],
    }),
    DisabledValidators: storageValue(T.vec(T.u32), {
      default: [],
      docs: [" Indices of disabled validators (positions in `Validators`), sorted; cleared when the set changes."],
    }),
    NextKeys: storageMap("Twox64Concat", AccountId, SessionKeys, {
      docs: [" The next session keys for a validator."],
    }),
    KeyOwner: storageMap("Twox64Concat", T.tuple(KeyTypeId, T.bytes), AccountId, {
      docs: [" The owner of a key. The key is the `KeyTypeId` + the encoded key."],
    }),
    Authorities: storageValue(T.vec(AuthorityRecord), {
      default: [],
      docs: [" The current session's authorities with their keys and backing stake (the consensus view)."],
    }),
    NextAuthorities: storageValue(T.vec(AuthorityRecord), {
      default: [],
      docs: [" The next session's authorities, fixed one session ahead (BABE's next epoch)."],
    }),
    CurrentSetId: storageValue(T.u64, {
      default: 0n,
      docs: [" GRANDPA's authority set id: incremented each time the finality keys of the set change."],
    }),
    HistoricalAuthorities: storageMap("Twox64Concat", T.u32, T.vec(AuthorityRecord), {
      docs: [
        " The authorities of each ended session, for the last `HISTORICAL_SESSIONS` sessions (the",
        " current one's are `Authorities`): what equivocation evidence is checked against.",
      ],
    }),
    SetIdSession: storageMap("Twox64Concat", T.u64, T.u32, {
      docs: [
        " The last session of each ended GRANDPA set id (the current set's is `CurrentIndex`), as in",
        " `pallet_grandpa`: it names the authorities that signed that set's votes.",
      ],
    }),
    PendingChange: storageValue(ScheduledChange, {
      docs: [" A GRANDPA set change scheduled in this block; moved into the header digest in `on_finalize`."],
    }),
  },
  constants: {
    SessionLength: { type: T.u32, value: SESSION_LENGTH, docs: [" The number of blocks in a session (epoch)."] },
  },
  events: {
    NewSession: {
      index: 0,
      fields: { session_index: T.u32 },
      docs: [
        "New session has happened. Note that the argument is the session index, not the",
        "block number as the type might suggest.",
      ],
    },
    ValidatorDisabled: {
      index: 2,
      fields: { validator: AccountId },
      docs: ["Validator has been disabled (for the rest of its current set)."],
    },
    KeysSet: { index: 4, fields: { who: AccountId }, docs: ["Session keys were registered for an account."] },
    KeysPurged: { index: 5, fields: { who: AccountId }, docs: ["An account removed its session keys."] },
  },
  errors: {
    InvalidProof: { index: 0, docs: "Invalid ownership proof." },
    NoAssociatedValidatorId: { index: 1, docs: "No associated validator ID for account (it is not a bonded stash)." },
    DuplicatedKey: { index: 2, docs: "Registered duplicate key." },
    NoKeys: { index: 3, docs: "No keys are associated with this account." },
    NoAccount: { index: 4, docs: "Key setting account is not live, so it's impossible to associate keys." },
  },
});

/** The next validator set with weights, as planned by the session manager. */
export interface PlannedValidator {
  account: Uint8Array;
  weight: bigint;
}

/** What the session pallet asks of the pallet that elects validators (FRAME's `SessionManager`). */
export interface SessionManager {
  /** The validators of session `newIndex`, or `undefined` to keep the current ones. */
  newSession(ext: Ext, newIndex: number, isGenesis: boolean): PlannedValidator[] | undefined;
  startSession(ext: Ext, index: number): void;
  endSession(ext: Ext, index: number): void;
  /** Whether `who` may register session keys (FRAME's `ValidatorIdOf`: a bonded stash). */
  isValidatorId(ext: Ext, who: Uint8Array): boolean;
}

const noManager: SessionManager = {
  newSession: () => undefined,
  startSession: () => {},
  endSession: () => {},
  isValidatorId: () => false,
};
let manager: SessionManager = noManager;

/** Called by `buildRuntime()`. */
export function bindSessionManager(m: SessionManager): void {
  manager = m;
}

const keyTypes = [
  [BABE_KEY_TYPE, (k: SessionKeysValue) => k.babe],
  [GRANDPA_KEY_TYPE, (k: SessionKeysValue) => k.grandpa],
] as const;

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

const same = (a: Uint8Array, b: Uint8Array): boolean => compareBytes(a, b) === 0;

/** `who` registers `keys`; fails without writing if a key belongs to another account. */
export function doSetKeys(ext: Ext, who: Uint8Array, keys: SessionKeysValue): void {
  ensure(manager.isValidatorId(ext, who), () => Session.error("NoAssociatedValidatorId"));
  ensure(accountExists(ext, who), () => Session.error("NoAccount"));
  for (const [id, pick] of keyTypes) {
    const owner = Session.storage.KeyOwner.get(ext, [id, pick(keys)]);
    ensure(owner === undefined || same(owner, who), () => Session.error("DuplicatedKey"));
  }
  // No errors allowed after this point.
  const old = Session.storage.NextKeys.get(ext, who);
  if (old) for (const [id, pick] of keyTypes) Session.storage.KeyOwner.remove(ext, [id, pick(old)]);
  for (const [id, pick] of keyTypes) Session.storage.KeyOwner.insert(ext, [id, pick(keys)], who);
  Session.storage.NextKeys.insert(ext, who, keys);
  Session.deposit(ext, { tag: "KeysSet", value: { who } });
}

export function doPurgeKeys(ext: Ext, who: Uint8Array): void {
  const old = Session.storage.NextKeys.get(ext, who);
  ensure(old !== undefined, () => Session.error("NoKeys"));
  for (const [id, pick] of keyTypes) Session.storage.KeyOwner.remove(ext, [id, pick(old)]);
  Session.storage.NextKeys.remove(ext, who);
  Session.deposit(ext, { tag: "KeysPurged", value: { who } });
}

Session.defineCalls({
  set_keys: call({
    index: 0,
    args: { keys: SessionKeys, proof: T.bytes },
    docs: [
      "Sets the session key(s) of the function caller to `keys`.",
      "Allows an account to set its session key prior to becoming a validator.",
      "This doesn't take effect until the next session.",
      "",
      "The dispatch origin of this function must be signed, by a bonded stash.",
    ],
    weight: () => weight(DB_READ_WEIGHT * 4n + DB_WRITE_WEIGHT * 5n),
    dispatch: (ext, origin, { keys }) => doSetKeys(ext, ensureSigned(origin), keys),
  }),
  purge_keys: call({
    index: 1,
    args: {},
    docs: [
      "Removes any session key(s) of the function caller.",
      "",
      "The dispatch origin of this function must be Signed.",
    ],
    weight: () => weight(DB_READ_WEIGHT + DB_WRITE_WEIGHT * 3n),
    dispatch: (ext, origin) => doPurgeKeys(ext, ensureSigned(origin)),
  }),
});

/** The next set with each validator's registered keys; validators without keys are left out. */
function withKeys(ext: Ext, planned: PlannedValidator[]): Authority[] {
  const out: Authority[] = [];
  for (const v of planned) {
    const keys = Session.storage.NextKeys.get(ext, v.account);
    if (keys) out.push({ account: v.account, babe: keys.babe, grandpa: keys.grandpa, weight: v.weight });
  }
  return out;
}

function sameAuthorities(a: Authority[], b: Authority[], field: "account" | "grandpa"): boolean {
  return a.length === b.length && a.every((x, i) => same(x[field], b[i][field]));
}

function sameQueue(a: Authority[], b: Authority[]): boolean {
  return (
    sameAuthorities(a, b, "account") &&
    a.every((x, i) => same(x.babe, b[i].babe) && same(x.grandpa, b[i].grandpa) && x.weight === b[i].weight)
  );
}

function queue(ext: Ext, planned: PlannedValidator[] | undefined): void {
  const current = Session.storage.Authorities.getOrDefault(ext);
  let next = withKeys(ext, planned ?? current);
  // Never queue an empty set over a live one: the chain would have nobody to author or finalize.
  if (next.length === 0 && current.length > 0) next = current;
  Session.storage.NextAuthorities.put(ext, next);
  Session.storage.QueuedKeys.put(
    ext,
    next.map((a) => [a.account, { babe: a.babe, grandpa: a.grandpa }]),
  );
  Session.storage.QueuedChanged.put(ext, !sameQueue(next, current));
}

/** Ends the current session and starts the next (FRAME's `rotate_session`). */
export function rotateSession(ext: Ext): void {
  const ending = Session.storage.CurrentIndex.getOrDefault(ext);
  manager.endSession(ext, ending);
  const previous = Session.storage.Authorities.getOrDefault(ext);
  const incoming = Session.storage.NextAuthorities.getOrDefault(ext);
  Session.storage.Authorities.put(ext, incoming);
  Session.storage.Validators.put(
    ext,
    incoming.map((a) => a.account),
  );
  if (!sameAuthorities(previous, incoming, "account")) Session.storage.DisabledValidators.kill(ext);
  Session.storage.HistoricalAuthorities.insert(ext, ending, previous);
  if (ending >= HISTORICAL_SESSIONS) Session.storage.HistoricalAuthorities.remove(ext, ending - HISTORICAL_SESSIONS);
  const index = ending + 1;
  Session.storage.CurrentIndex.put(ext, index);
  manager.startSession(ext, index);
  queue(ext, manager.newSession(ext, index + 1, false));
  if (!sameAuthorities(previous, incoming, "grandpa")) {
    const setId = Session.storage.CurrentSetId.getOrDefault(ext);
    Session.storage.SetIdSession.insert(ext, setId, ending);
    Session.storage.CurrentSetId.put(ext, setId + 1n);
    Session.storage.PendingChange.put(ext, {
      next_authorities: incoming.map((a) => [a.grandpa, 1n] as [Uint8Array, bigint]),
      delay: 0,
    });
  }
  Session.deposit(ext, { tag: "NewSession", value: { session_index: index } });
}

Session.defineHooks({
  onInitialize(ext, n) {
    if (n > 0 && n % SESSION_LENGTH === 0) {
      rotateSession(ext);
      return weight(DB_READ_WEIGHT * 20n + DB_WRITE_WEIGHT * 20n);
    }
    return weight(0n);
  },
  onFinalize(ext) {
    const items = pendingConsensusDigests(ext);
    if (items.length === 0) return;
    const digest = System.storage.Digest.getOrDefault(ext);
    digest.logs.push(...items);
    System.storage.Digest.put(ext, digest);
    Session.storage.PendingChange.kill(ext);
  },
});

/**
 * Genesis (FRAME's session `GenesisBuild`): registers the given keys, asks the manager for the sets of
 * sessions 0 and 1, and starts session 0. Throws if a key is registered twice.
 */
export function buildSessionGenesis(ext: Ext, keys: [Uint8Array, SessionKeysValue][]): void {
  const seen = new Set<string>();
  for (const [who, k] of keys) {
    for (const [id, pick] of keyTypes) {
      const tag = `${hex(id)}:${hex(pick(k))}`;
      if (seen.has(tag)) throw new Error(`Genesis: session key 0x${hex(pick(k))} is registered twice`);
      seen.add(tag);
    }
    if (!accountExists(ext, who))
      throw new Error(`Genesis: session keys for 0x${hex(who)}, an account that does not exist`);
    for (const [id, pick] of keyTypes) Session.storage.KeyOwner.insert(ext, [id, pick(k)], who);
    Session.storage.NextKeys.insert(ext, who, k);
  }
  const initial = withKeys(ext, manager.newSession(ext, 0, true) ?? []);
  Session.storage.Authorities.put(ext, initial);
  Session.storage.Validators.put(
    ext,
    initial.map((a) => a.account),
  );
  const planned = manager.newSession(ext, 1, true);
  queue(ext, planned);
  manager.startSession(ext, 0);
}

// ---- What the node's consensus reads (all pure reads of the state `ext` wraps) ----

/** The session index of the state's block. */
export function sessionIndex(ext: Ext): number {
  return Session.storage.CurrentIndex.getOrDefault(ext);
}

/** The session (epoch) that block `blockNumber` belongs to. */
export function sessionIndexAt(blockNumber: number): number {
  return Math.floor(blockNumber / SESSION_LENGTH);
}

/**
 * The authorities of the current session, in authority-index order. To check block `n` on a parent
 * state P: use `currentAuthorities(P)` if `sessionIndexAt(n) === sessionIndex(P)`, else (the first block
 * of the next session) `nextAuthorities(P)`.
 */
export function currentAuthorities(ext: Ext): Authority[] {
  return Session.storage.Authorities.getOrDefault(ext);
}

/** The authorities of the next session (known one whole session ahead). */
export function nextAuthorities(ext: Ext): Authority[] {
  return Session.storage.NextAuthorities.getOrDefault(ext);
}

/** GRANDPA's current authority set id. */
export function authoritySetId(ext: Ext): bigint {
  return Session.storage.CurrentSetId.getOrDefault(ext);
}

/**
 * The authorities of session `index` (in authority-index order): the current session's, or an ended
 * one's from `HistoricalAuthorities`; undefined for a future session or one no longer kept.
 */
export function authoritiesOfSession(ext: Ext, index: number): Authority[] | undefined {
  const current = sessionIndex(ext);
  if (index === current) return currentAuthorities(ext);
  return index < current ? Session.storage.HistoricalAuthorities.get(ext, index) : undefined;
}

/**
 * The latest session in which GRANDPA set `setId` voted: the current session for the current set,
 * `SetIdSession` for an ended one; undefined for a future set.
 */
export function sessionOfSetId(ext: Ext, setId: bigint): number | undefined {
  const current = authoritySetId(ext);
  if (setId === current) return sessionIndex(ext);
  return setId < current ? Session.storage.SetIdSession.get(ext, setId) : undefined;
}

/** Authority indices disabled (by an offence) in the current set. */
export function disabledValidators(ext: Ext): number[] {
  return Session.storage.DisabledValidators.getOrDefault(ext);
}

/**
 * The authority indices that may not author block `blockNumber` built on this state (its child, or a
 * later block of the same session): the state's `DisabledValidators` while the block is in the state's
 * session, and also at the next session's first block if the rotation keeps the same validators
 * (`rotateSession` clears the list only when the set changes); none otherwise.
 */
export function disabledValidatorsAt(ext: Ext, blockNumber: number): number[] {
  if (sessionIndexAt(blockNumber) === sessionIndex(ext)) return disabledValidators(ext);
  return sameAuthorities(currentAuthorities(ext), nextAuthorities(ext), "account") ? disabledValidators(ext) : [];
}

/** The account that registered `key` under `keyType` ("babe" or "gran"), for turning evidence into an offender. */
export function keyOwner(ext: Ext, keyType: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  return Session.storage.KeyOwner.get(ext, [keyType, key]);
}

/**
 * Digest items the runtime appends to this block's header: a `Consensus(FRNK, ScheduledChange)` when
 * the finality keys of the set changed at this block's session rotation. Valid between
 * `initializeBlock` and `finalizeBlock`; `onFinalize` moves them into `System.Digest`.
 */
export function pendingConsensusDigests(ext: Ext): DigestItemValue[] {
  const change = Session.storage.PendingChange.get(ext);
  if (!change) return [];
  return [
    {
      tag: "Consensus",
      value: [GRANDPA_ENGINE_ID, GrandpaConsensusLog.enc({ tag: "ScheduledChange", value: change })],
    },
  ];
}

/**
 * The author of the block being executed, from a BABE pre-runtime digest (Substrate's `PreDigest`:
 * a variant byte 1, 2 or 3, then the authority index as a u32) mapped through the current authorities.
 */
export function findAuthor(ext: Ext): Uint8Array | undefined {
  for (const item of System.storage.Digest.getOrDefault(ext).logs) {
    if (item.tag !== "PreRuntime" || !same(item.value[0], BABE_ENGINE_ID)) continue;
    const pre = item.value[1];
    if (pre.length < 5 || pre[0] < 1 || pre[0] > 3) return undefined;
    const index = new DataView(pre.buffer, pre.byteOffset, pre.byteLength).getUint32(1, true);
    return currentAuthorities(ext)[index]?.account;
  }
  return undefined;
}

/**
 * At most `(validators - 1) / DISABLING_LIMIT_FACTOR` validators of a set are disabled (FRAME's
 * `UpToLimitDisablingStrategy`, factor 3: the byzantine threshold): offenders beyond the limit are
 * slashed but keep authoring, so that offences never leave a set without enough authors. A set of
 * three or fewer validators disables nobody.
 */
export const DISABLING_LIMIT_FACTOR = 3;

/** How many validators of a set of `validators` may be disabled at once. */
export function disablingLimit(validators: number): number {
  return Math.floor(Math.max(validators - 1, 0) / DISABLING_LIMIT_FACTOR);
}

/**
 * Disables `who` for the rest of the current set, if it is in it and the set's disabling limit
 * (`disablingLimit`) is not reached.
 */
export function disableValidator(ext: Ext, who: Uint8Array): void {
  const validators = Session.storage.Validators.getOrDefault(ext);
  const index = validators.findIndex((v) => same(v, who));
  if (index < 0) return;
  const disabled = Session.storage.DisabledValidators.getOrDefault(ext);
  if (disabled.includes(index) || disabled.length >= disablingLimit(validators.length)) return;
  disabled.push(index);
  disabled.sort((a, b) => a - b);
  Session.storage.DisabledValidators.put(ext, disabled);
  Session.deposit(ext, { tag: "ValidatorDisabled", value: { validator: who } });
}

export function hasSessionKeys(ext: Ext, who: Uint8Array): boolean {
  return Session.storage.NextKeys.contains(ext, who);
}
