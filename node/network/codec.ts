/** SCALE payloads of the chain's gossip topics and block-range responses. */
import { T } from "../../primitives/scale/types.js";
import { Header } from "../../primitives/types.js";
import { joinExtrinsics, splitExtrinsics } from "../../runtime/index.js";
import type { Block } from "../chain/types.js";

/** A block on the blocks topic: `{header, extrinsics}` with the body as the runtime encodes it. */
const GossipBlock = T.struct({ header: Header, extrinsics: T.bytes });

export function encodeBlock(block: Block): Uint8Array {
  return GossipBlock.enc({ header: block.header, extrinsics: joinExtrinsics(block.extrinsics) });
}

/** Throws on malformed bytes. */
export function decodeBlock(bytes: Uint8Array): Block {
  const v = GossipBlock.dec(bytes);
  return { header: v.header, extrinsics: splitExtrinsics(v.extrinsics).map((x) => x.slice()) };
}
