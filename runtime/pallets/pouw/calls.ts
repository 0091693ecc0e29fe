/** The PoUW pallet's calls. */
import { T } from "../../../primitives/scale/types.js";
import { ensure, ensureSigned } from "../../frame/dispatch.js";
import { call } from "../../frame/pallet.js";
import { workerInfo } from "../workerRegistry.js";
import { PoUW, w } from "./pallet.js";

type ErrorName = Parameters<typeof PoUW.error>[0];
const err = (name: ErrorName) => () => PoUW.error(name);

PoUW.defineCalls({
  set_work_key: call({
    index: 0,
    args: { key: T.fixedBytes(32) },
    docs: [
      "Registers (or replaces) the origin's sr25519 `work` public key, the key its PoUW tickets are",
      "checked with. The origin must be a registered worker with the trainer role. A replaced key",
      "invalidates tickets signed with the old one that are not yet in a block.",
    ],
    weight: () => w(2n, 1n),
    dispatch(ext, origin, { key }) {
      const who = ensureSigned(origin);
      const info = workerInfo(ext, who);
      ensure(info !== undefined, err("NotRegistered"));
      ensure(info.roles.trainer, err("NotTrainer"));
      ensure(
        key.some((b) => b !== 0),
        err("InvalidWorkKey"),
      );
      PoUW.storage.WorkKeys.insert(ext, who, key);
      PoUW.deposit(ext, { tag: "WorkKeySet", value: { worker: who, key } });
    },
  }),
});
