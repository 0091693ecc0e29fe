/** Writes a file so that readers see the old file, or the whole new one, never a partial one. */
import { randomBytes } from "node:crypto";
import { rename, unlink, writeFile } from "node:fs/promises";

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
