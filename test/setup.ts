/** Jest `setupFiles`: links the runtime's pallets before each test file, as the node and the CLI do at startup. */
import { buildRuntime } from "../runtime/index.js";

buildRuntime();
