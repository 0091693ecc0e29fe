/**
 * Inference requests on gossip (`topicName(genesis, "inference")`, DESIGN §11: "requests travel on chain
 * and on a gossip topic, deduplicated", Rakis' redundant channels): one msgpack message
 * `[request id (decimal string), hash of the block that holds the request (32 bytes)]`, published by
 * each provider node that sees a `Requested` event and has not yet seen the request on the topic.
 *
 * The chain stays the authority: a message only tells a provider to look for the request in its own
 * chain state on the coming blocks (so a provider whose follower skipped the request's block, after a
 * long catch-up, still serves it). A handler checks the format only ("reject" when malformed) and
 * deduplicates by request id: the first message for an id is accepted and propagated, later ones
 * ("ignore") are not.
 */
import { Packr } from "msgpackr";

export const INFERENCE_TOPIC = "inference";

export interface InferenceAnnouncement {
  requestId: bigint;
  block: Uint8Array;
}

/** The inference topic on the node's p2p host (absent without a network). */
export interface InferenceGossip {
  publish(data: Uint8Array): Promise<number>;
  /** Joins the topic; `judge` decides each message's fate. */
  join(judge: (data: Uint8Array) => "accept" | "ignore" | "reject"): void;
  leave(): void;
}

const packr = new Packr({ useRecords: false });

export function encodeAnnouncement(m: InferenceAnnouncement): Uint8Array {
  return new Uint8Array(packr.pack([m.requestId.toString(), Buffer.from(m.block)]));
}

/** The announcement, or undefined when it is malformed. */
export function decodeAnnouncement(data: Uint8Array): InferenceAnnouncement | undefined {
  try {
    const v = packr.unpack(data) as unknown[];
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [id, block] = v;
    if (typeof id !== "string" || !/^\d{1,20}$/.test(id) || BigInt(id) >= 2n ** 64n) return undefined;
    if (!(block instanceof Uint8Array) || block.length !== 32) return undefined;
    return { requestId: BigInt(id), block: new Uint8Array(block) };
  } catch {
    return undefined;
  }
}
