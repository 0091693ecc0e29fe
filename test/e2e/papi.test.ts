/**
 * A dev node in its own process, driven by the clients of the new JSON-RPC interface: polkadot-api
 * (PAPI) over a plain WebSocket with no middleware, so every call it makes is a chainHead_v1 /
 * chainSpec_v1 / transaction_v1 call; the same through PAPI's legacy adapter, which rebuilds those
 * from the legacy methods; and dedot's DedotClient, which picks the new interface when it is there.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { withLegacy } from "@polkadot-api/ws-middleware";
import { getWsProvider } from "@polkadot-api/ws-provider";
import { DedotClient, WsProvider } from "dedot";
import { createClient, type JsonRpcProvider, type PolkadotClient } from "polkadot-api";
import { getPolkadotSigner } from "polkadot-api/signer";
import { getWsRawProvider, type SocketLoggerFn } from "polkadot-api/ws";
import { type RunningNode, rpc, startNode } from "../helpers/node.js";

const UNIT = 10n ** 12n;

let node: RunningNode;
let alice: KeyringPair;
let keyring: Keyring;

beforeAll(async () => {
  await cryptoWaitReady();
  keyring = new Keyring({ type: "sr25519" });
  alice = keyring.addFromUri("//Alice");
  node = await startNode(["--dev", "--tmp", "--dev-block-time", "1000"]);
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

type AccountInfo = { nonce: number; data: { free: bigint } };
type TxEvent = { type: string; value: { type: string; value: Record<string, unknown> } };
type Finalized = { ok: boolean; events: TxEvent[]; block: { hash: string; number: number; index: number } };

/** Fails after `ms` instead of hanging the suite. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The JSON-RPC methods a provider sends, by watching its socket. */
function methodLogger(sent: Set<string>): SocketLoggerFn {
  return (e) => {
    if (e.type !== "OUT") return;
    try {
      const msg = JSON.parse(e.msg) as { method?: string } | { method?: string }[];
      for (const m of Array.isArray(msg) ? msg : [msg]) if (m.method) sent.add(m.method);
    } catch {}
  };
}

interface ClientCase {
  recipient: string;
  provider: (url: string, sent: Set<string>) => JsonRpcProvider;
  /** Whether the client may send this method. */
  allowed: (method: string) => boolean;
  /** Methods it must have sent by the end. */
  used: string[];
}

const clients: [string, ClientCase][] = [
  [
    "the new JSON-RPC interface (plain WebSocket, no middleware)",
    {
      recipient: "//Bob",
      provider: (url, sent) => getWsRawProvider(url, { logger: methodLogger(sent) }),
      allowed: (m) => /^(chainHead_v1|chainSpec_v1|transaction_v1)_/.test(m),
      used: [
        "chainHead_v1_follow",
        "chainHead_v1_header",
        "chainHead_v1_body",
        "chainHead_v1_call",
        "chainHead_v1_storage",
        "chainHead_v1_unpin",
        "chainSpec_v1_chainName",
        "transaction_v1_broadcast",
      ],
    },
  ],
  [
    "PAPI's legacy adapter",
    {
      recipient: "//Charlie",
      provider: (url, sent) => getWsProvider(url, { middleware: withLegacy, logger: methodLogger(sent) }),
      allowed: (m) => !m.includes("_v1_"),
      used: ["state_call", "state_getStorage", "state_getStorageHash", "author_submitExtrinsic"],
    },
  ],
];

describe.each(clients)("polkadot-api through %s", (name, { recipient: recipientUri, provider, allowed, used }) => {
  const legacy = name.includes("legacy");
  let client: PolkadotClient;
  const sent = new Set<string>();

  beforeAll(() => {
    client = createClient(provider(node.url, sent));
  });

  afterAll(() => {
    client?.destroy();
  });

  it("connects: finalized block and chain spec data", async () => {
    const finalized = await within(client.getFinalizedBlock(), 20_000, "getFinalizedBlock");
    expect(finalized.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await rpc<string>(node, "chain_getBlockHash", [finalized.number])).toBe(finalized.hash);
    const spec = await within(client.getChainSpecData(), 20_000, "getChainSpecData");
    // PAPI's legacy adapter takes the chain name from system_name (the node's name), not system_chain.
    expect(spec.name).toBe(legacy ? await rpc<string>(node, "system_name") : "Development");
    expect(spec.genesisHash).toBe(await rpc<string>(node, "chain_getBlockHash", [0]));
    expect(spec.properties).toMatchObject({ tokenDecimals: 12, ss58Format: 42, tokenSymbol: "TRAIN" });
  });

  it("reads System.Account through the metadata", async () => {
    const api = client.getUnsafeApi();
    const account = (await within(
      api.query.System.Account.getValue(alice.address),
      20_000,
      "System.Account",
    )) as AccountInfo;
    expect(account.data.free).toBeGreaterThan(0n);
    expect(typeof account.nonce).toBe("number");
  });

  it("signs and submits Balances.transfer_keep_alive, follows it to finalized; the recipient gains exactly the amount", async () => {
    const api = client.getUnsafeApi();
    const recipient = keyring.addFromUri(recipientUri);
    const amount = 1_234n * UNIT;
    const free = async (at: string) =>
      ((await api.query.System.Account.getValue(recipient.address, { at })) as AccountInfo).data.free;
    const before = await free("finalized");
    const signer = getPolkadotSigner(alice.publicKey, "Sr25519", (input) => alice.sign(input));
    const tx = api.tx.Balances.transfer_keep_alive({ dest: { type: "Id", value: recipient.address }, value: amount });
    const seen: string[] = [];
    const finalized = await within(
      new Promise<Finalized>((resolve, reject) => {
        tx.signSubmitAndWatch(signer).subscribe({
          next: (e: { type: string }) => {
            seen.push(e.type);
            if (e.type === "finalized") resolve(e as unknown as Finalized);
          },
          error: reject,
        });
      }),
      45_000,
      "transfer finalized",
    );
    expect(seen[0]).toBe("signed");
    expect(seen).toContain("txBestBlocksState");
    expect(finalized.ok).toBe(true);
    const transfer = finalized.events.find((e) => e.type === "Balances" && e.value.type === "Transfer");
    expect(transfer?.value.value).toEqual({ from: alice.address, to: recipient.address, amount });
    expect(finalized.events.some((e) => e.type === "System" && e.value.type === "ExtrinsicSuccess")).toBe(true);
    const after = await free(finalized.block.hash);
    expect(after - before).toBe(amount);
  });

  it("delivers consecutive finalized blocks on finalizedBlock$", async () => {
    const numbers: number[] = [];
    await within(
      new Promise<void>((resolve, reject) => {
        const sub = client.finalizedBlock$.subscribe({
          next: (b) => {
            numbers.push(b.number);
            if (numbers.length === 3) {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      }),
      30_000,
      "three finalized blocks",
    );
    expect(numbers[1]).toBe(numbers[0] + 1);
    expect(numbers[2]).toBe(numbers[1] + 1);
  });

  it("used the methods of its interface, and only those", () => {
    expect([...sent].filter((m) => !allowed(m))).toEqual([]);
    for (const m of used) expect(sent).toContain(m);
  });
});

describe("dedot", () => {
  it("connects over the new interface, reads the chain name and an account, and follows new heads", async () => {
    const client = await within(DedotClient.new(new WsProvider(node.url)), 30_000, "DedotClient.new");
    try {
      expect(client.rpcVersion).toBe("v2");
      expect(await client.chainSpec.chainName()).toBe("Development");
      const account = await client.query.system.account(alice.address);
      expect(account.data.free).toBeGreaterThan(0n);
      const heads: number[] = [];
      await within(
        new Promise<void>((resolve) => {
          const unsub = client.block.best((b) => {
            heads.push(b.number);
            if (heads.length === 3) {
              unsub();
              resolve();
            }
          });
        }),
        30_000,
        "three new heads",
      );
      expect(heads[1]).toBeGreaterThan(heads[0]);
      expect(heads[2]).toBeGreaterThan(heads[1]);
    } finally {
      await client.disconnect();
    }
  });
});
