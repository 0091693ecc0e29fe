/**
 * # Sudo pallet
 *
 * One key may dispatch any call as root. Only the `dev` chain spec sets a key at genesis, and only a
 * chain with a key runs a runtime that contains this pallet (`RuntimeOptions.sudo`, `construct.ts`): on
 * `local`, `devnet` and any chain without a key, Root is reached through referenda alone.
 */
import { T } from "../../primitives/scale/types.js";
import { AccountId, DispatchErrorTy, MultiAddress } from "../../primitives/types.js";
import { callWeight, dispatchCall, RuntimeCallRef } from "../frame/calls.js";
import { DispatchError, ensureSigned, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageValue } from "../frame/storage.js";
import { lookupAddress } from "./balances.js";

const SudoResult = T.enumeration(
  { Ok: { index: 0, fields: T.unit }, Err: { index: 1, fields: DispatchErrorTy } },
  {
    path: ["Result"],
    params: [
      { name: "T", type: T.unit },
      { name: "E", type: DispatchErrorTy },
    ],
  },
);

export const Sudo = pallet({
  name: "Sudo",
  index: 5,
  module: "pallet_sudo",
  docs: ["A single key that may dispatch calls as root (dev chains only)."],
  storage: {
    Key: storageValue(AccountId, { docs: [" The `AccountId` of the sudo key."] }),
  },
  events: {
    Sudid: { index: 0, fields: { sudo_result: SudoResult }, docs: ["A sudo call just took place."] },
    KeyChanged: {
      index: 1,
      fields: { old: T.option(AccountId), new: AccountId },
      docs: ["The sudo key has been updated."],
    },
  },
  errors: {
    RequireSudo: { index: 0, docs: "Sender must be the Sudo account." },
  },
});

function ensureSudo(ext: Ext, who: Uint8Array): void {
  const key = Sudo.storage.Key.get(ext);
  if (!key?.every((b, i) => b === who[i])) throw Sudo.error("RequireSudo");
}

Sudo.defineCalls({
  sudo: call({
    index: 0,
    args: { call: RuntimeCallRef },
    docs: ["Authenticates the sudo key and dispatches a function call with `Root` origin."],
    weight: ({ call: inner }) => {
      const w = callWeight(inner);
      return weight(w.ref_time + 10_000_000n, w.proof_size);
    },
    dispatch: (ext, origin, { call: inner }) => {
      ensureSudo(ext, ensureSigned(origin));
      let result:
        | { tag: "Ok"; value: undefined }
        | { tag: "Err"; value: import("../../primitives/types.js").DispatchErrorValue };
      try {
        ext.transactional(() => dispatchCall(ext, { kind: "root" }, inner));
        result = { tag: "Ok", value: undefined };
      } catch (err) {
        if (!(err instanceof DispatchError)) throw err;
        result = { tag: "Err", value: err.value };
      }
      Sudo.deposit(ext, { tag: "Sudid", value: { sudo_result: result } });
    },
  }),
  set_key: call({
    index: 2,
    args: { new: MultiAddress },
    docs: ["Authenticates the current sudo key and sets the given AccountId (`new`) as the new sudo key."],
    weight: () => weight(10_000_000n),
    dispatch: (ext, origin, { new: next }) => {
      const who = ensureSigned(origin);
      ensureSudo(ext, who);
      const account = lookupAddress(next);
      Sudo.storage.Key.put(ext, account);
      Sudo.deposit(ext, { tag: "KeyChanged", value: { old: who, new: account } });
    },
  }),
});
