import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { expandMetadata } from "@polkadot/types/metadata/decorate";
import { cryptoReady } from "../../../primitives/hashing.js";
import { metadataV14 } from "../../../runtime/metadata.js";
import { SessionKeys } from "../../../runtime/pallets/session.js";
import { Exposure, Staking, ValidatorPrefs } from "../../../runtime/pallets/staking/index.js";
import { dev, devSessionKeys } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

describe("staking and session metadata, as @polkadot/types reads it", () => {
  it("computes the same storage keys (double maps included) and decodes our values", () => {
    const registry = new TypeRegistry();
    const metadata = new Metadata(registry, metadataV14());
    registry.setMetadata(metadata);
    const decorated = expandMetadata(registry, metadata);
    const stash = dev("Alice").publicKey;
    const erasStakers = decorated.query.staking.erasStakers as unknown as (a: number, b: Uint8Array) => Uint8Array;
    const key = erasStakers(7, stash);
    expect(decorated.query.staking.erasStakers.meta.type.asMap.hashers.length).toBe(2);
    // @polkadot/types prefixes keys with their compact length; ours are raw.
    const ours = Staking.storage.ErasStakers.keyFor([7, stash]);
    expect(Buffer.from(key).toString("hex").endsWith(Buffer.from(ours).toString("hex"))).toBe(true);
    const exposure = { total: 30n, own: 10n, others: [{ who: stash, value: 20n }] };
    const decoded = registry.createType(
      registry.createLookupType(decorated.query.staking.erasStakers.meta.type.asMap.value),
      Exposure.enc(exposure),
    ) as unknown as { toJSON(): unknown };
    expect(decoded.toJSON()).toMatchObject({ total: 30, own: 10 });
    const prefsTy = registry.lookup.getSiType(decorated.query.staking.validators.meta.type.asMap.value);
    expect(prefsTy.path.map((p) => p.toString())).toEqual(["pallet_staking", "ValidatorPrefs"]);
    const prefs = registry.createType(
      registry.createLookupType(decorated.query.staking.validators.meta.type.asMap.value),
      ValidatorPrefs.enc({ commission: 50_000_000, blocked: true }),
    );
    expect(prefs.toJSON()).toEqual({ commission: 50_000_000, blocked: true });
    const call = decorated.tx.session.setKeys(SessionKeys.enc(devSessionKeys("Bob")), "0x");
    expect(call.method).toBe("setKeys");
    const bond = decorated.tx.staking.bond(1000, { Account: stash });
    expect(bond.toHex()).toBeDefined();
  });
});
