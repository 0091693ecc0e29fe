/**
 * The GRANDPA driver: runs the pure `Voter` (consensus/grandpa) against the node.
 *
 * - Chain view (`VoterChain`): ancestry and descent by walking in-memory headers; the best chain from
 *   the fork-choice tree.
 * - The set: from the finalized block's state (`currentAuthorities(..).grandpa`, one vote each, and
 *   `authoritySetId`); the round from the voter state stored in the database when the set matches.
 * - Inputs: votes and commits from the finality topic (`onGossip`, sc-consensus-grandpa's
 *   `GossipMessage`; a vote by a non-member or with a bad signature, or a commit that does not prove its
 *   target final, is rejected and its sender reported), imported blocks, finalized blocks (from
 *   justifications), timers at `voter.nextWakeAt()`.
 * - Outputs: votes are gossiped (the voter stored them first, fsync'd, in `LevelVoteStore`); finalized
 *   blocks go to `chain.finalize(hash, justification)`; a voter that finalized in its round gossips the
 *   commit (target and precommits), which a node that missed the precommits checks like a
 *   justification and finalizes from; equivocation evidence goes to `reportEquivocation` (the node's
 *   offence reporter); set changes are logged.
 * - Disabled validators (slashed by an offence) keep their vote until the set changes, as in
 *   Substrate: only block authoring stops for them (see the session pallet).
 * - Blocks a vote or commit names that the chain lacks (a fork block authored during a partition) are
 *   requested from the sender through sync (`requestBlock`), as Substrate's `set_sync_fork_request`:
 *   until imported such a vote supports nothing, and a small set may never reach its threshold.
 * - Catch-up: gossip never repeats a vote, so a voter that restarts (or stalls) asks peers for their
 *   recent votes over request-response — once per new peer, and whenever the voter reports `stalled` —
 *   and answers such requests from its own rounds. A peer whose answer holds an invalid vote is reported.
 * Only a `--validator` with a `gran` key in the set votes; every node runs the voter as an observer
 * and so follows finality from the votes, and from justifications through sync.
 */
import type { EquivocationEvidenceValue } from "../../consensus/equivocation.js";
import {
  type AuthoritySet,
  type BlockId,
  CatchUpRequest,
  decodeCatchUp,
  decodeFinalityGossip,
  defaultVoterOptions,
  encodeCatchUp,
  encodeGossipCommit,
  encodeGossipVote,
  type FinalityGossip,
  GrandpaError,
  keyPairSigner,
  Voter,
  type VoterChain,
  type VoterOptions,
  type VoterOutput,
  type VoterSigner,
  verifyJustification,
} from "../../consensus/grandpa/index.js";
import type { GossipResult, PeerReport } from "../../p2p/index.js";
import type { KeyPair } from "../../primitives/crypto/index.js";
import { bytesEqual, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { Chain } from "../chain/chain.js";
import type { BlockRef, ImportedBlock } from "../chain/types.js";
import type { ChainDb } from "../db/chainDb.js";
import type { Keystore } from "../keystore.js";
import { LevelVoteStore } from "./voteStore.js";

export { LevelVoteStore } from "./voteStore.js";

export interface FinalityOptions {
  voter: VoterOptions;
  /** Vote (with a `gran` key of the set) or only observe. */
  validator: boolean;
}

export const defaultFinalityOptions: FinalityOptions = { voter: defaultVoterOptions, validator: false };

export interface FinalityModules {
  chain: Chain;
  db: ChainDb;
  keystore: Keystore;
  logger: Logger;
  /** Gossips an encoded message (a vote or a commit) on the finality topic. */
  publish(data: Uint8Array): Promise<void>;
  /** Peers that completed the handshake (catch-up asks some of them). */
  peers(): string[];
  /** Sends a catch-up request to a peer; its answer, or undefined when it has none. */
  requestCatchUp(peer: string, request: Uint8Array): Promise<Uint8Array | undefined>;
  reportPeer(peer: string, report: PeerReport): void;
  now(): number;
  /** Receives the evidence of each vote equivocation (the node's offence reporter). */
  reportEquivocation?(evidence: EquivocationEvidenceValue): void;
  /**
   * Asks sync for a block that a vote or commit from `peer` names and the chain lacks (with its missing
   * ancestors): a vote for a fork block authored during a partition counts only once it is imported.
   */
  requestBlock?(peer: string, block: BlockId): void;
  /** Whether sync is far behind the peers' best (the voter holds its prevote meanwhile). */
  syncing?(): boolean;
}

/** Peers asked at once when the voter stalls. */
const CATCH_UP_FANOUT = 3;

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The keystore's `gran` key that is in `set`, else its first one (then the voter only observes). */
function signerFor(keystore: Keystore, set: AuthoritySet): VoterSigner | undefined {
  const keys = keystore
    .publicKeys("gran")
    .map((pk) => keystore.get("gran", pk))
    .filter((k): k is KeyPair => k !== undefined);
  const key = keys.find((k) => set.authorities.some((a) => bytesEqual(a.id, k.publicKey))) ?? keys[0];
  return key && keyPairSigner(key);
}

/** The voter's view of the chain. */
export function voterChain(chain: Chain): VoterChain {
  const ancestry = (base: Uint8Array, block: Uint8Array): Uint8Array[] | undefined => {
    const baseHeader = chain.headerInMemory(base);
    if (!baseHeader) return undefined;
    const out: Uint8Array[] = [];
    let hash = block;
    let header = chain.headerInMemory(hash);
    while (header && header.number > baseHeader.number) {
      out.push(hash);
      hash = header.parentHash;
      header = chain.headerInMemory(hash);
    }
    return header && bytesEqual(hash, base) ? out : undefined;
  };
  return {
    ancestry,
    isDescendant: (a, d) => ancestry(a, d) !== undefined,
    bestChainContaining: (base) => {
      const tree = chain.blockTree;
      if (tree.has(base)) return tree.bestContaining(base);
      return ancestry(base, tree.finalized().hash) !== undefined ? tree.best() : undefined;
    },
    header: (hash) => chain.headerInMemory(hash),
  };
}

export class FinalityService {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private catchingUp = false;
  private stalls = 0;
  private readonly greeted = new Set<string>();
  private readonly unsubscribers: (() => void)[] = [];

  private constructor(
    private readonly modules: FinalityModules,
    private readonly store: LevelVoteStore,
    readonly voter: Voter,
    private readonly validator: boolean,
  ) {}

  static async create(opts: FinalityOptions, modules: FinalityModules): Promise<FinalityService> {
    const { chain, keystore, logger } = modules;
    const store = new LevelVoteStore(modules.db);
    const finalized = chain.finalized;
    const set: AuthoritySet = (await chain.runtimeAt(finalized.hash)).grandpaSet();
    const stored = await store.loadState();
    const round = stored && stored.setId === set.setId ? stored.round : 0n;
    const signer = opts.validator ? signerFor(keystore, set) : undefined;
    const voter = new Voter(
      opts.voter,
      { chain: voterChain(chain), store, signer, behind: modules.syncing && (() => modules.syncing!()) },
      { set, finalized: { hash: finalized.hash, number: finalized.number }, round },
    );
    logger.info("GRANDPA voter", {
      setId: set.setId.toString(),
      round: round.toString(),
      authorities: set.authorities.length,
      voting: signer !== undefined && set.authorities.some((a) => bytesEqual(a.id, signer!.publicKey)),
    });
    return new FinalityService(modules, store, voter, opts.validator);
  }

  async start(): Promise<void> {
    const { chain } = this.modules;
    this.running = true;
    const onBlock = (block: ImportedBlock) => {
      void this.step(this.voter.onBlockImported({ hash: block.hash, number: block.number }, this.modules.now()));
    };
    const onFinalized = (block: BlockRef) => {
      void this.step(this.voter.onFinalized({ hash: block.hash, number: block.number }, this.modules.now()));
    };
    chain.on("block", onBlock);
    chain.on("finalized", onFinalized);
    this.unsubscribers.push(
      () => chain.off("block", onBlock),
      () => chain.off("finalized", onFinalized),
    );
    await this.step(this.voter.start(this.modules.now()));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unsubscribers.splice(0)) u();
    await this.saveState();
  }

  /**
   * A message on the finality topic: a vote, or a commit. A commit is passed on (accepted) only when it
   * finalized its target here; one that is stale or waits for its blocks is ignored.
   */
  async onGossip(data: Uint8Array, from: string): Promise<GossipResult> {
    let message: FinalityGossip;
    try {
      message = decodeFinalityGossip(data);
    } catch (err) {
      return {
        verdict: "reject",
        report: { kind: "invalidMessage", reason: `undecodable finality message: ${errMessage(err)}` },
      };
    }
    try {
      if (message.kind === "vote") {
        await this.step(this.voter.onVote(message.vote, this.modules.now()), true);
        this.requestUnknown(from, [message.vote.target]);
        return "accept";
      }
      const { target } = message.commit;
      const outputs = this.voter.onCommit(message.commit, this.modules.now());
      await this.step(outputs, true);
      this.requestUnknown(from, [target, ...message.commit.precommits.map((p) => p.target)]);
      const finalized = (await outputs).some((o) => o.type === "finalized" && bytesEqual(o.block.hash, target.hash));
      return finalized ? "accept" : "ignore";
    } catch (err) {
      if (err instanceof GrandpaError) {
        this.modules.logger.debug("Rejected finality message", {
          peerId: from,
          kind: message.kind,
          reason: err.type.code,
        });
        return { verdict: "reject", report: { kind: "invalidMessage", reason: err.type.code } };
      }
      return "ignore";
    }
  }

  /** A peer's catch-up request: our votes from its round on (same set), or undefined when we have none. */
  answerCatchUp(request: Uint8Array): Uint8Array | undefined {
    const { round, set_id } = CatchUpRequest.dec(request);
    const votes = this.voter.votesSince(set_id, round);
    return votes.length > 0 ? encodeCatchUp(set_id, votes) : undefined;
  }

  /** A peer completed its handshake: the first time, ask it for our round's votes in case we are behind. */
  onPeerStatus(peer: string): void {
    if (!this.running || this.greeted.has(peer)) return;
    this.greeted.add(peer);
    void this.catchUp([peer]);
  }

  onPeerDisconnected(peer: string): void {
    this.greeted.delete(peer);
  }

  /** Asks `peers` for their votes since our round and feeds every answer to the voter. */
  private async catchUp(peers: string[]): Promise<void> {
    if (this.catchingUp || peers.length === 0) return;
    this.catchingUp = true;
    const { logger } = this.modules;
    const setId = this.voter.authoritySet.setId;
    const request = CatchUpRequest.enc({ round: this.voter.round, set_id: setId });
    try {
      await Promise.all(
        peers.map(async (peer) => {
          let answer: ReturnType<typeof decodeCatchUp>;
          try {
            const bytes = await this.modules.requestCatchUp(peer, request);
            if (!bytes) return;
            answer = decodeCatchUp(bytes);
          } catch (err) {
            logger.debug("Catch-up request failed", { peerId: peer, error: errMessage(err) });
            return;
          }
          if (answer.setId !== setId) return;
          try {
            await this.step(this.voter.onCatchUp(answer.votes, this.modules.now()), true);
            this.requestUnknown(
              peer,
              answer.votes.map((v) => v.target),
            );
          } catch (err) {
            const reason = err instanceof GrandpaError ? err.type.code : errMessage(err);
            this.modules.reportPeer(peer, { kind: "invalidMessage", reason: `catch-up: ${reason}` });
          }
        }),
      );
    } finally {
      this.catchingUp = false;
    }
  }

  /** Asks for the targets above the finalized block that the chain lacks (each once per call). */
  private requestUnknown(peer: string, targets: BlockId[]): void {
    const { chain, requestBlock } = this.modules;
    if (!requestBlock) return;
    const asked = new Set<string>();
    for (const t of targets) {
      const key = toHex(t.hash);
      if (t.number <= chain.finalized.number || asked.has(key) || chain.headerInMemory(t.hash)) continue;
      asked.add(key);
      requestBlock(peer, t);
    }
  }

  /**
   * Checks that `justification` finalizes `block` with the authority set in effect at the block (the
   * set of its parent's state; a change with delay 0 takes effect after its signalling block).
   */
  async verifyJustification(
    block: { hash: Uint8Array; number: number; parentHash: Uint8Array },
    justification: Uint8Array,
  ): Promise<void> {
    const parentRuntime = await this.modules.chain.runtimeAt(block.parentHash);
    verifyJustification(justification, parentRuntime.grandpaSet(), {
      hash: block.hash,
      number: block.number,
    });
  }

  /** Finalizes a block we have from a justification (after checking it). */
  async importJustification(block: BlockId, justification: Uint8Array): Promise<void> {
    const { chain } = this.modules;
    const header = await chain.header(block.hash);
    if (!header || block.number <= chain.finalized.number) return;
    await this.verifyJustification({ ...block, parentHash: header.parentHash }, justification);
    await chain.finalize(block.hash, justification);
  }

  private async step(outputs: Promise<VoterOutput[]>, rethrow = false): Promise<void> {
    let out: VoterOutput[];
    try {
      out = await outputs;
    } catch (err) {
      if (rethrow) throw err;
      this.modules.logger.error("GRANDPA voter step failed", {}, err);
      return;
    }
    await this.handle(out);
    this.schedule();
  }

  private async handle(outputs: VoterOutput[]): Promise<void> {
    const { chain, logger } = this.modules;
    let stateChanged = false;
    for (const o of outputs) {
      switch (o.type) {
        case "vote":
          this.modules
            .publish(encodeGossipVote(o.vote))
            .catch((err: unknown) => logger.debug("Vote gossip failed", { error: errMessage(err) }));
          stateChanged = true;
          break;
        case "commit":
          this.modules
            .publish(encodeGossipCommit(o.commit))
            .catch((err: unknown) => logger.debug("Commit gossip failed", { error: errMessage(err) }));
          break;
        case "finalized":
          try {
            await chain.finalize(o.block.hash, o.encoded);
            logger.debug("Finalized by GRANDPA", {
              number: o.block.number,
              hash: toHex(o.block.hash),
              round: o.round.toString(),
            });
          } catch (err) {
            logger.warn("Finalizing a GRANDPA-final block failed", { number: o.block.number, error: errMessage(err) });
          }
          break;
        case "equivocation":
          logger.warn("GRANDPA equivocation detected", {
            offender: toHex(o.first.id),
            round: o.first.round.toString(),
            kind: o.first.kind,
          });
          this.modules.reportEquivocation?.({ tag: "Grandpa", value: o.proof });
          break;
        case "stalled": {
          // A different few peers each time, so one silent peer cannot keep us stuck.
          const peers = this.modules.peers();
          const start = peers.length > 0 ? this.stalls++ % peers.length : 0;
          const picked = [...peers.slice(start), ...peers.slice(0, start)].slice(0, CATCH_UP_FANOUT);
          logger.debug("GRANDPA round stalled; asking peers to catch up", {
            round: o.round.toString(),
            peers: picked.length,
          });
          void this.catchUp(picked);
          break;
        }
        case "setChanged":
          logger.info("GRANDPA authority set changed", {
            setId: o.set.setId.toString(),
            authorities: o.set.authorities.length,
            at: o.at.number,
          });
          // Keys rotate: a validator that set new session keys votes once its key is in the set.
          if (this.validator) this.voter.setSigner(signerFor(this.modules.keystore, o.set));
          stateChanged = true;
          break;
      }
    }
    if (stateChanged) await this.saveState();
  }

  private async saveState(): Promise<void> {
    try {
      await this.store.saveState({ setId: this.voter.authoritySet.setId, round: this.voter.round });
    } catch (err) {
      this.modules.logger.debug("Saving voter state failed", { error: errMessage(err) });
    }
  }

  private schedule(): void {
    if (!this.running) return;
    const at = this.voter.nextWakeAt();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined) return;
    const delay = Math.max(0, at - this.modules.now()) + 5;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.step(this.voter.onTimer(this.modules.now()));
    }, delay);
  }
}
