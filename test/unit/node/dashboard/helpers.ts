/** A `RuntimeChain` with `bestRuntime`, and job-market fixtures, for the dashboard's unit tests. */
import { blockRef } from "../../../../node/chain/chain.js";
import { RuntimeView } from "../../../../node/chain/runtimeView.js";
import { defaultSignatureChecker } from "../../../../primitives/crypto/index.js";
import type { CallValue } from "../../../../runtime/index.js";
import { dev } from "../../../helpers/runtime.js";
import { RuntimeChain } from "../jobs/helpers.js";

export class ViewChain extends RuntimeChain {
  get bestRuntime(): RuntimeView {
    return new RuntimeView(blockRef(this.rt.header, this.rt.hash), this.rt.state, {
      signatures: defaultSignatureChecker,
      genesisHash: this.genesisHash,
    });
  }
}

/** `call` signed by dev account //`name` with its next nonce. */
export const signed = (chain: RuntimeChain, name: string, call: CallValue) =>
  chain.rt.sign(call, dev(name), chain.rt.nonceOf(dev(name)));
