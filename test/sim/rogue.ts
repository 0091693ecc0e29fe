/**
 * The planted byzantine validator of the chaos suite, as in test/e2e/equivocation.test.ts: a libp2p peer
 * in the harness process that holds a validator's GRANDPA key (dev keys are public) and gossips two
 * different prevotes signed with it for one round. The targets are genesis and block 1, which no honest
 * voter prevotes for any more, so no honest vote is byte-identical to a rogue one. The rogue judges
 * every gossip message "ignore", so it relays nothing and never bridges a partition.
 */
import { encodeGossipVote, signVote } from "../../consensus/grandpa/messages.js";
import { createP2pHost, type P2pHost } from "../../p2p/index.js";
import { withP2pDefaults } from "../../p2p/options.js";
import { type KeyPair, keypairFromSuri } from "../../primitives/crypto/index.js";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";

export interface RogueTarget {
  hash: Uint8Array;
  number: number;
}

export class Rogue {
  readonly grandpaKey: KeyPair;
  /** The validator's stash, BABE and GRANDPA keys (hex): the offenders the checker must allow. */
  readonly keys: string[];

  private constructor(
    readonly validator: string,
    readonly host: P2pHost,
  ) {
    this.grandpaKey = keypairFromSuri(`//${validator}`, "ed25519");
    this.keys = [toHex(keypairFromSuri(`//${validator}`, "sr25519").publicKey), toHex(this.grandpaKey.publicKey)];
  }

  /** Starts a peer that dials `bootnodes` (multiaddrs with /p2p/) of the chain with this genesis. */
  static async start(validator: string, genesis: HexString, bootnodes: string[]): Promise<Rogue> {
    const genesisHash = fromHex(genesis);
    const host = await createP2pHost(
      withP2pDefaults({
        listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
        allowPrivateAddresses: true,
        enableDht: false,
        bootnodes,
      }),
      {
        genesisHash,
        handlers: {
          onStatusRequest: () => ({
            genesisHash,
            best: { number: 0, hash: genesisHash },
            finalized: { number: 0, hash: genesisHash },
            roles: ["full"],
          }),
          onBlocksRequest: () => [],
          onJustificationRequest: () => undefined,
          onGossip: () => "ignore",
        },
      },
    );
    await host.start();
    return new Rogue(validator, host);
  }

  /** Peers on the finality topic's mesh. */
  finalityPeers(): number {
    return this.host.topicPeers(this.host.topics.finality).length;
  }

  /** Gossips two prevotes of `round` in set `setId`, one per target; resolves to the peers each reached. */
  async doublePrevote(setId: bigint, round: bigint, targets: [RogueTarget, RogueTarget]): Promise<number[]> {
    const votes = targets.map((t) => signVote(this.grandpaKey, "Prevote", t, round, setId));
    return Promise.all(votes.map((v) => this.host.publish(this.host.topics.finality, encodeGossipVote(v))));
  }

  async stop(): Promise<void> {
    await this.host.stop();
  }
}
