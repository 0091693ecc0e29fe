import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { EXISTENTIAL_DEPOSIT } from "../../../runtime/constants.js";
import { DispatchError } from "../../../runtime/frame/dispatch.js";
import {
  freeBalance,
  repatriateReserved,
  reserve,
  reservedBalance,
  totalIssuance,
} from "../../../runtime/pallets/balances.js";
import { accountExists } from "../../../runtime/pallets/system.js";
import { dev, TestRuntime, UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const pk = (n: string) => dev(n).publicKey;

describe("Balances.repatriateReserved", () => {
  it("moves reserved funds to another account's free or reserved balance; issuance unchanged", () => {
    const rt = TestRuntime.withBalances([
      ["Alice", 100n * UNIT],
      ["Bob", 10n * UNIT],
    ]);
    const ext = rt.ext();
    const issuance = totalIssuance(ext);
    reserve(ext, pk("Alice"), 50n * UNIT);
    expect(repatriateReserved(ext, pk("Alice"), pk("Bob"), 20n * UNIT)).toBe(0n);
    expect([freeBalance(ext, pk("Bob")), reservedBalance(ext, pk("Alice"))]).toEqual([30n * UNIT, 30n * UNIT]);
    expect(repatriateReserved(ext, pk("Alice"), pk("Bob"), 10n * UNIT, "Reserved")).toBe(0n);
    expect(reservedBalance(ext, pk("Bob"))).toBe(10n * UNIT);
    // Only what is reserved moves; the rest is returned.
    expect(repatriateReserved(ext, pk("Alice"), pk("Bob"), 25n * UNIT)).toBe(5n * UNIT);
    expect(reservedBalance(ext, pk("Alice"))).toBe(0n);
    expect(totalIssuance(ext)).toBe(issuance);
    const last = ext.events.at(-1)!.event as { tag: string; value: { tag: string; value: unknown } };
    expect(last).toEqual({
      tag: "Balances",
      value: {
        tag: "ReserveRepatriated",
        value: { from: pk("Alice"), to: pk("Bob"), amount: 20n * UNIT, destination_status: { tag: "Free" } },
      },
    });
  });

  it("to oneself unreserves; to a dead account fails with DeadAccount; a drained source is reaped", () => {
    const rt = TestRuntime.withBalances([
      ["Alice", 100n * UNIT],
      ["Bob", 10n * UNIT],
    ]);
    const ext = rt.ext();
    reserve(ext, pk("Alice"), 50n * UNIT);
    expect(repatriateReserved(ext, pk("Alice"), pk("Alice"), 10n * UNIT)).toBe(0n);
    expect(reservedBalance(ext, pk("Alice"))).toBe(40n * UNIT);
    expect(() => repatriateReserved(ext, pk("Alice"), pk("Nobody"), UNIT)).toThrow(DispatchError);
    const issuance = totalIssuance(ext);
    reserve(ext, pk("Bob"), 10n * UNIT);
    expect(repatriateReserved(ext, pk("Bob"), pk("Alice"), 10n * UNIT - EXISTENTIAL_DEPOSIT / 2n)).toBe(0n);
    expect(accountExists(ext, pk("Bob"))).toBe(false);
    expect(totalIssuance(ext)).toBe(issuance - EXISTENTIAL_DEPOSIT / 2n);
  });
});
