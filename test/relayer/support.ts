/**
 * A relayer of the tests on the in-process chain: the suite (suiteFixture), a fresh relayer key funded by
 * the deployer, the relayer over real HTTP on 127.0.0.1, and patients' signed actions made by the SDK.
 */
import hre from "hardhat";
import { parseEther, Wallet, type Signer } from "ethers";
import { CareLedger, RelayerClient, type ActionBinding, type SignedAction } from "../../sdk";
import type { Database } from "../../gateway/db";
import { buildRelayer, type Relayer, type RelayerOptions } from "../../relayer/server";
import type { SuiteFixture } from "../support/suiteFixture";

export const YEAR = 365 * 86_400;
export const COMMITMENT = "0x" + "c0".repeat(32);

/** A relayer key of its own, funded with `eth` by the deployer. */
export async function fundedWallet(f: SuiteFixture, eth = "10"): Promise<Wallet> {
  const wallet = Wallet.createRandom().connect(hre.ethers.provider) as unknown as Wallet;
  if (eth !== "0") await (await f.deployer.sendTransaction({ to: wallet.address, value: parseEther(eth) })).wait();
  return wallet;
}

/** A relayer of the tests, listening on 127.0.0.1, its sender started unless `start` is false. */
export async function servedRelayer(
  f: SuiteFixture,
  db: Database,
  options: Partial<RelayerOptions> & { start?: boolean } = {},
): Promise<{ relayer: Relayer; url: string; client: RelayerClient; wallet: Wallet; binding: ActionBinding; close: () => Promise<void> }> {
  const careledger = await CareLedger.connect(hre.ethers.provider, { addressBook: f.book });
  const wallet = options.wallet ?? (await fundedWallet(f));
  const relayer = buildRelayer({ careledger, wallet, db, pollMs: 50, ...options });
  const url = await relayer.app.listen({ host: "127.0.0.1", port: 0 });
  if (options.start !== false) relayer.sender.start();
  const binding = { chainId: careledger.chainId, verifyingContract: careledger.addresses.ConsentRegistry };
  return {
    relayer,
    url,
    client: new RelayerClient(url),
    wallet,
    binding,
    close: async () => {
      await relayer.app.close();
      await relayer.sender.stop();
    },
  };
}

/** The suite as `signer` sees it (the SDK a patient's portal would use). */
export const as = (f: SuiteFixture, signer: Signer) => CareLedger.connect(signer, { addressBook: f.book });

/** The latest block's time. */
export const chainNow = async () => (await hre.ethers.provider.getBlock("latest"))!.timestamp;

/** A grant by `patient` to `grantee` (an organization id or an account), signed for a relayer. */
export async function signedGrant(f: SuiteFixture, patient: Signer, grantee: bigint | string, options: { deadline?: number; patientAccount?: string } = {}): Promise<SignedAction> {
  const now = await chainNow();
  const p = await as(f, patient);
  const signed = await p.consent.signGrant(
    { patient: options.patientAccount, grantee: typeof grantee === "bigint" ? { organization: grantee } : { account: grantee }, classes: ["labs"], purposes: ["TREAT"], validUntil: now + YEAR, commitment: COMMITMENT },
    { deadline: options.deadline ?? now + 3_600 },
  );
  return { kind: "grant", signed };
}

/** POSTs `body` as raw bytes with `type`: for the malformed and oversized bodies the SDK would never send. */
export async function postRaw(url: string, body: string, type = "application/json"): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/actions`, { method: "POST", headers: { "content-type": type }, body });
  return { status: res.status, type: res.headers.get("content-type"), json: (await res.json()) as Record<string, unknown> };
}
