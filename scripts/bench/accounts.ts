import { JsonRpcProvider, type ContractTransactionResponse, type Signer } from "ethers";
import { accountGrantee, consentDomain, PasskeySigner, signGrantRequest, type GrantRequest } from "../../sdk";
import {
  AccessManager__factory,
  ConsentRegistry__factory,
  ParticipantRegistry__factory,
  PatientAccountFactory__factory,
  WebAuthnVerifier__factory,
} from "../../typechain-types";
import { freePort, startAnvil } from "../../test/e2e/node";
import { SoftAuthenticator } from "../../test/support/softAuthenticator";
import type { PartBench } from "./context";

/** The budget for a relayed passkey-signed grant on a chain with the P-256 precompile (EIP-7951). */
export const PASSKEY_GRANT_BUDGET = 120_000;

const TREAT_MASK = 1 << 0;
const LABS = 1 << 4;
const COMMITMENT = "0x" + "c0".repeat(32);
/** A chain without the P-256 precompile: Anvil on prague (EIP-7951 arrived with osaka). */
const NO_PRECOMPILE_HARDFORK = "prague";

/**
 * Gas of patients' passkey accounts: creating one through the factory (a new passkey, a relayer pays),
 * and a grant its passkey signed (ERC-7739-nested, checked by ERC-1271), relayed to `grantBySig` — the
 * account's first grant, to a new grantee — on the in-process osaka chain, which verifies P-256 with the
 * EIP-7951 precompile at 0x100, and on Anvil run as prague, where OpenZeppelin's `P256` falls back to
 * its Solidity verifier. Both chains run the same contracts, compiled once.
 */
export const benchAccounts: PartBench = async ({ hre, book, gasOf, fresh }) => {
  const [relayer, doctor] = await fresh(2);
  const withPrecompile = await grantPasskey(relayer, book.contracts.ConsentRegistry, doctor.address, gasOf);

  const port = await freePort();
  const node = await startAnvil(port, { hardfork: NO_PRECOMPILE_HARDFORK });
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, polling: true, pollingInterval: 50 });
  try {
    const deployer = await provider.getSigner(0);
    const manager = await new AccessManager__factory(deployer).deploy(await deployer.getAddress());
    const participants = await new ParticipantRegistry__factory(deployer).deploy(await manager.getAddress());
    const consent = await new ConsentRegistry__factory(deployer).deploy(await manager.getAddress(), await participants.getAddress());
    const measure = async (tx: Promise<ContractTransactionResponse>) => (await (await tx).wait())!.gasUsed;
    const withoutPrecompile = await grantPasskey(await provider.getSigner(1), await consent.getAddress(), await (await provider.getSigner(2)).getAddress(), measure);
    return [
      { key: "accounts.deploy", gas: withPrecompile.deploy },
      { key: "accounts.grantPasskey.precompile", gas: withPrecompile.grant, budget: PASSKEY_GRANT_BUDGET },
      { key: "accounts.grantPasskey.noPrecompile", gas: withoutPrecompile.grant },
    ];
  } finally {
    provider.destroy();
    await node.stop();
  }
};

/**
 * On the chain of `relayer`: the WebAuthn verifier and the factory, a patient's account created by the
 * relayer (its gas), and a grant to `grantee` its passkey signed, relayed by `relayer` (its gas).
 */
async function grantPasskey(
  relayer: Signer,
  consentRegistry: string,
  grantee: string,
  gasOf: (tx: Promise<ContractTransactionResponse>) => Promise<bigint>,
): Promise<{ deploy: bigint; grant: bigint }> {
  const provider = relayer.provider!;
  const verifier = await new WebAuthnVerifier__factory(relayer).deploy();
  const factory = await new PatientAccountFactory__factory(relayer).deploy(await verifier.getAddress(), consentRegistry);
  const phone = new SoftAuthenticator();
  const account = await factory.predictAddress(phone.publicKey.x, phone.publicKey.y, 0n);
  const deploy = await gasOf(factory.createAccount(phone.publicKey.x, phone.publicKey.y, 0n));
  const { chainId } = await provider.getNetwork();
  const signer = new PasskeySigner({ account, passkey: phone.publicKey, verifier: await verifier.getAddress(), assert: phone.assert, chainId }, provider);
  const latest = (await provider.getBlock("latest"))!.timestamp;
  const request: GrantRequest = {
    patient: account, grantee: accountGrantee(grantee), classes: LABS, purposes: TREAT_MASK, validFrom: 0, validUntil: latest + 365 * 86_400, commitment: COMMITMENT, nonce: 0n, epoch: 0n, deadline: BigInt(latest + 3600),
  };
  const signature = await signGrantRequest(signer, consentDomain(chainId, consentRegistry), request);
  const grant = await gasOf(ConsentRegistry__factory.connect(consentRegistry, relayer).grantBySig(request, signature));
  return { deploy, grant };
}
