/**
 * The passkey accounts' fixture: the consent fixture (the suite through Ignition, a hospital with a
 * doctor, and the suite's WebAuthn verifier and account factory), a patient's phone (a software authenticator)
 * and the account it created through a relayer — the patient holds no ETH — plus a laptop passkey
 * not yet added, and helpers that sign and relay batches.
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { BigNumberish } from "ethers";
import {
  CareLedger,
  encodeMultiSignature,
  encodeWebAuthnSignature,
  executeDigest,
  PasskeySigner,
  passkeySigner,
  PatientAccountClient,
  PatientAccountFactoryClient,
  type AccountCall,
  type SignedExecution,
} from "../../sdk";
import { PatientAccount__factory, PatientAccountFactory__factory, WebAuthnVerifier__factory } from "../../typechain-types";
import { consentFixture } from "../consent/fixtures";
import { SoftAuthenticator, type Tamper } from "../support/softAuthenticator";

export const DAY = 86_400;

export async function accountsFixture() {
  const f = await consentFixture();
  // The suite's own verifier and factory, as deployed by the Ignition module and named in the address book.
  const verifierAddress = f.book.accounts!.WebAuthnVerifier;
  const verifier = WebAuthnVerifier__factory.connect(verifierAddress, f.deployer);
  const factory = PatientAccountFactory__factory.connect(f.book.accounts!.PatientAccountFactory, f.deployer);
  const factoryClient = new PatientAccountFactoryClient(factory.connect(f.relayer));
  const phone = new SoftAuthenticator();
  const laptop = new SoftAuthenticator();
  const { account: address } = await factoryClient.deployIfNeeded({ passkey: phone.publicKey });
  const account = PatientAccount__factory.connect(address, f.relayer);
  const client = new PatientAccountClient(account);
  const { chainId } = await hre.ethers.provider.getNetwork();
  /** The signer of `auth`'s passkey for the account at `at` (default the patient's). */
  const signerOf = (auth: SoftAuthenticator, at: string = address, options: { chainId?: bigint } = {}) =>
    new PasskeySigner({ account: at, passkey: auth.publicKey, verifier: verifierAddress, assert: auth.assert, ...options }, hre.ethers.provider);
  const phoneSigner = signerOf(phone);
  /** The patient's view of the suite, signing with the phone. */
  const patientLedger = await CareLedger.connect(phoneSigner, { addressBook: f.book });
  const relayerLedger = await CareLedger.connect(f.relayer, { addressBook: f.book });
  const deadline = async (seconds = 3600) => BigInt((await time.latest()) + seconds);
  /** `calls` signed by `auth` (default the phone) for the patient's account, with the next nonce, an hour to go. */
  const sign = async (calls: AccountCall[], auth: SoftAuthenticator = phone, over: { nonce?: bigint; deadline?: bigint } = {}): Promise<SignedExecution> =>
    client.signExecute(signerOf(auth), { calls, deadline: over.deadline ?? (await deadline()), ...(over.nonce === undefined ? {} : { nonce: over.nonce }) });
  /** `calls` signed, then relayed and mined. */
  const run = async (calls: AccountCall[], auth: SoftAuthenticator = phone) => (await client.submitExecute(await sign(calls, auth))).wait();
  /** A batch with a tampered assertion, encoded without the SDK's checks (the contract must refuse it). */
  const tampered = async (calls: AccountCall[], tamper: Tamper, nonce: BigNumberish = 0n) => {
    const request = { calls, nonce: BigInt(nonce), deadline: await deadline() };
    phone.tamper = tamper;
    const assertion = await phone.assert(hre.ethers.getBytes(executeDigest(chainId, address, request)));
    return { ...request, signature: encodeMultiSignature(passkeySigner(verifierAddress, phone.publicKey), encodeWebAuthnSignature(assertion)) };
  };
  return { ...f, verifier, verifierAddress, factory, factoryClient, phone, laptop, address, account, client, chainId, signerOf, phoneSigner, patientLedger, relayerLedger, deadline, sign, run, tampered };
}
