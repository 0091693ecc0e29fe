/** `key generate` and `key inspect`, in the shape of Substrate's subkey. */
import { type Command, Option } from "commander";
import { generateMnemonic, keypairFromSuri, type SignatureScheme, ss58Encode } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";

function describe(suri: string, scheme: SignatureScheme, network: number, json: boolean): string {
  const pair = keypairFromSuri(suri, scheme);
  const info = {
    secretPhrase: suri,
    networkId: network === 42 ? "substrate" : String(network),
    publicKey: toHex(pair.publicKey),
    accountId: toHex(pair.publicKey),
    ss58PublicKey: ss58Encode(pair.publicKey, network),
    ss58Address: ss58Encode(pair.publicKey, network),
    scheme,
  };
  if (json) return `${JSON.stringify(info, null, 2)}\n`;
  return [
    `Secret phrase:       ${info.secretPhrase}`,
    `  Network ID:        ${info.networkId}`,
    `  Scheme:            ${scheme}`,
    `  Public key (hex):  ${info.publicKey}`,
    `  Account ID:        ${info.accountId}`,
    `  Public key (SS58): ${info.ss58PublicKey}`,
    `  SS58 Address:      ${info.ss58Address}`,
    "",
  ].join("\n");
}

export function registerKeyCommands(program: Command): void {
  const key = program.command("key").description("Generate and inspect keys");
  const scheme = () =>
    new Option("--scheme <scheme>", "Signature scheme").choices(["sr25519", "ed25519"]).default("sr25519");
  key
    .command("generate")
    .description("Generate a random key (a 12-word mnemonic)")
    .addOption(scheme())
    .option("--words <n>", "Words in the mnemonic (12, 15, 18, 21 or 24)", "12")
    .option("--network <prefix>", "SS58 prefix", "42")
    .option("--output-type <type>", "text or json", "text")
    .action(async (opts: { scheme: SignatureScheme; words: string; network: string; outputType: string }) => {
      await cryptoReady();
      const words = Number(opts.words) as 12;
      if (![12, 15, 18, 21, 24].includes(words))
        throw new Error(`--words must be 12, 15, 18, 21 or 24, not ${opts.words}`);
      process.stdout.write(
        describe(generateMnemonic(words), opts.scheme, Number(opts.network), opts.outputType === "json"),
      );
    });
  key
    .command("inspect")
    .description("Show the public key and address of a secret URI (mnemonic, //Alice, …)")
    .argument("<suri>", "Secret URI")
    .addOption(scheme())
    .option("--network <prefix>", "SS58 prefix", "42")
    .option("--output-type <type>", "text or json", "text")
    .action(async (suri: string, opts: { scheme: SignatureScheme; network: string; outputType: string }) => {
      await cryptoReady();
      process.stdout.write(describe(suri, opts.scheme, Number(opts.network), opts.outputType === "json"));
    });
}
