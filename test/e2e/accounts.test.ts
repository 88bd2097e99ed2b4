/**
 * A patient's passkey account over JSON-RPC, on each real EVM client a test chain can be (test/e2e/node.ts):
 * the suite deployed with the deploy script, whose address book names the account factory and the WebAuthn
 * verifier; a patient with no ETH signs a grant with a passkey (a software authenticator), the relayer's first
 * action deploys the account, the grant is relayed to grantBySig; then a batch the passkey signed (break-glass
 * opt-out) is relayed. Both clients run osaka, so P-256 is checked by the EIP-7951 precompile on both.
 */
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { accountGrantee, breakGlassOptOutCall, CareLedger, PasskeySigner, readAddressBook, type AddressBook } from "../../sdk";
import { SoftAuthenticator } from "../support/softAuthenticator";
import { CHAIN_CLIENTS, devWallet, hardhat, startTestChain, type TestChain } from "./node";

for (const client of CHAIN_CLIENTS) {
  describe(`[e2e] a patient's passkey account over JSON-RPC (${client})`, function () {
    this.timeout(300_000);
    let chain: TestChain | undefined;
    let provider: JsonRpcProvider;
    let book: AddressBook;

    before(async function () {
      chain = await startTestChain({ client });
      provider = chain.provider;
      const r = hardhat(["run", "scripts/deploy.ts", "--network", "localhost"], chain.env);
      expect(r.status, r.stderr + r.stdout).to.equal(0);
      book = readAddressBook(31337, chain.dir)!;
    });

    after(async function () {
      await chain?.close();
    });

    it("relays a passkey-signed grant whose first relayed action deploys the account, then a signed batch", async function () {
      const relayer = await CareLedger.connect(devWallet(1, provider), { addressBook: book });
      expect(relayer.accounts, "the address book names the passkey accounts' contracts").to.not.equal(undefined);
      const phone = new SoftAuthenticator();
      const account = await relayer.accounts!.factory.predictAddress(phone.publicKey);
      const signer = new PasskeySigner({ account, passkey: phone.publicKey, verifier: relayer.accounts!.verifier, assert: phone.assert }, provider);
      const patient = await CareLedger.connect(signer, { addressBook: book });
      const doctor = devWallet(2, provider).address;
      const now = (await provider.getBlock("latest"))!.timestamp;
      const signed = await patient.consent.signGrant(
        { grantee: accountGrantee(doctor), classes: ["labs"], purposes: ["TREAT"], validUntil: now + 365 * 86_400, commitment: "0x" + "c0".repeat(32) },
        { deadline: now + 3600 },
      );
      const { created } = await relayer.accounts!.factory.deployIfNeeded({ passkey: phone.publicKey });
      expect((await created!.wait()).account).to.equal(account);
      const granted = await (await relayer.consent.submitGrant(signed)).wait();
      expect(granted.receipt.gasUsed).to.be.lessThanOrEqual(120_000n);
      expect(await relayer.consent.contract.isPermitted(account, doctor, 4, 0)).to.equal(true);
      expect(await provider.getBalance(account)).to.equal(0n);

      const batch = await relayer.accounts!.at(account).signExecute(signer, { calls: [breakGlassOptOutCall(book.contracts.ConsentRegistry, account, true)], deadline: now + 3600 });
      await (await relayer.accounts!.at(account).submitExecute(batch)).wait();
      expect(await relayer.accounts!.at(account).nonce()).to.equal(1n);
    });
  });
}
