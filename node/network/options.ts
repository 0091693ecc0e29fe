import type { P2pOptions } from "../../p2p/index.js";

export interface NetworkOptions {
  p2p: P2pOptions;
}
