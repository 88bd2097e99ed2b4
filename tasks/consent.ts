/**
 * Consent tasks:
 *   consent:grant    --grantee <address | org:N> --classes labs,medications --purposes TREAT --until <date | seconds>
 *                    [--start <date | seconds>] [--commitment 0x… | --document consent.json] [--patient <address>]
 *                    With --document, the document's salt is written to <document>.salt.json (mode 0600) BEFORE
 *                    the grant is sent, and a re-run of the same document reuses it: the salt is never lost.
 *   consent:revoke   --grantee <address | org:N> [--patient <address>]
 *   consent:delegate --delegate <address> --until <date | seconds> --classes labs,vitals --purposes TREAT [--representative]
 *                    (the patient appoints a delegate within that scope; --remove to remove it)
 *   consent:check    --patient <address> --accessor <address> --class labs --purpose TREAT
 *   consent:log      --patient <address> --record-id 0x… --salt 0x… --class labs --purpose TREAT  (run as the accessor;
 *                    logs a fresh unlinkable reference and prints its nonce; or --record <reference made elsewhere>)
 *   consent:history  --patient <address> [--access] [--indexer <url>]                              (grants and history, or the access log)
 * Every task takes --from <index | address> to choose the signer (the patient, a delegate, or an accessor).
 */
import * as fs from "node:fs";
import { task, types } from "hardhat/config";
import * as path from "node:path";
import { connectSdk, INDEXER_OPTION, dateOption, openSecret, printJson, readJsonObjectOption, readJsonOption, withAccounts } from "./support";

/** The format tag of the salt file consent:grant writes beside a consent document. */
export const CONSENT_SALT_FORMAT = "careledger-consent-salt-v1";

/**
 * The salt of consent document `file`: the one its salt file (`<file>.salt.json`) holds when that
 * salt still commits the document as it is (a re-run), else a fresh one, written there (mode 0600)
 * before anything is sent. A salt file for another content of the document is never overwritten.
 */
async function documentSalt(file: string): Promise<{ salt: string; commitment: string; saltFile: string }> {
  const { consentDocumentCommitment, newSalt, ValidationError } = await import("../sdk");
  const document = readJsonObjectOption("document", file, "a consent document");
  const saltFile = `${file}.salt.json`;
  if (fs.existsSync(saltFile)) {
    const kept = (readJsonOption("document", saltFile) ?? {}) as { format?: string; salt?: string; commitment?: string };
    if (kept.format !== CONSENT_SALT_FORMAT || typeof kept.salt !== "string") throw new ValidationError("document", `${saltFile} exists and is not a consent salt file: move it away first`);
    const commitment = consentDocumentCommitment(document, kept.salt);
    if (commitment !== kept.commitment) {
      throw new ValidationError("document", `${saltFile} holds the salt of another content of ${path.basename(file)} (a grant may still cite it): move it away first`);
    }
    fs.chmodSync(saltFile, 0o600); // tightened if it was wider
    return { salt: kept.salt, commitment, saltFile };
  }
  const salt = newSalt();
  const commitment = consentDocumentCommitment(document, salt);
  const fd = openSecret(saltFile);
  try {
    fs.writeSync(fd, JSON.stringify({ format: CONSENT_SALT_FORMAT, warning: "This salt is the secret that keeps the consent document private: keep it with the document, never on chain.", document: path.basename(file), commitment, salt }) + "\n");
  } finally {
    fs.closeSync(fd);
  }
  return { salt, commitment, saltFile };
}

/** `org:3` → an organization, anything else → an account (validated by the SDK). */
function parseGrantee(arg: string): { organization: string } | string {
  const m = /^org:(.+)$/i.exec(arg.trim());
  return m ? { organization: m[1] } : arg.trim();
}

/** A time option of the consent tasks: what dateOption takes, and seconds since the epoch. */
const timeOption = (param: string, arg: string): number => dateOption(param, arg, { seconds: true });

const list = (arg: string): string[] => arg.split(",").map((s) => s.trim()).filter(Boolean);

task("consent:grant", "Grants (or replaces) a patient's consent to an account or an organization (the patient or a delegate)")
  .addParam("grantee", "the grantee: an address, an account index, or org:<id>")
  .addParam("classes", "data classes, comma-separated (e.g. labs,medications)")
  .addParam("purposes", "purposes of use, comma-separated (e.g. TREAT,HPAYMT)")
  .addParam("until", "when the grant ends: YYYY-MM-DD (midnight UTC), an ISO 8601 date-time with its zone, or seconds since the epoch")
  .addOptionalParam("start", "when the grant starts, in the forms --until takes (default: now)", undefined, types.string)
  .addOptionalParam("commitment", "the consent document's salted commitment (0x + 32 bytes); required unless --document is given", undefined, types.string)
  .addOptionalParam("document", "a consent document (JSON) to commit with a salt, written to <document>.salt.json (0600) before the grant is sent; required unless --commitment is given", undefined, types.string)
  .addOptionalParam("patient", "the patient (default: the signer); a delegate names the patient it acts for", undefined, types.string)
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (given: { grantee: string; classes: string; purposes: string; until: string; start?: string; commitment?: string; document?: string; patient?: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["grantee", "patient"]);
    const { ValidationError } = await import("../sdk");
    const validFrom = args.start === undefined ? undefined : timeOption("start", args.start);
    const validUntil = timeOption("until", args.until);
    let commitment = args.commitment;
    let salt: string | undefined;
    let saltFile: string | undefined;
    if (args.document) ({ salt, commitment, saltFile } = await documentSalt(args.document));
    if (!commitment) throw new ValidationError("commitment", "give --commitment 0x… or --document <consent.json>");
    const cl = await connectSdk(hre, args.from);
    const handle = await cl.consent.grant({
      patient: args.patient,
      grantee: parseGrantee(args.grantee),
      classes: list(args.classes) as never,
      purposes: list(args.purposes) as never,
      validFrom,
      validUntil,
      commitment,
    });
    const { receipt, ...granted } = await handle.wait();
    printJson({ ...granted, salt, saltFile, tx: receipt.hash, gasUsed: receipt.gasUsed });
  });

task("consent:delegate", "Appoints a delegate to grant for the signer (the patient) within a scope and term, or removes it")
  .addParam("delegate", "the delegate: an address or an account index")
  .addOptionalParam("until", "when the delegation ends: YYYY-MM-DD (midnight UTC), an ISO 8601 date-time with its zone, or seconds since the epoch; required unless --remove", undefined, types.string)
  .addOptionalParam("classes", "the data classes it may grant, comma-separated; required unless --remove", undefined, types.string)
  .addOptionalParam("purposes", "the purposes it may grant, comma-separated; required unless --remove", undefined, types.string)
  .addFlag("representative", "a full representative (a parent of a minor, a legal guardian): may grant sensitive classes and set the break-glass opt-out")
  .addFlag("remove", "remove the delegate instead")
  .addOptionalParam("from", "signer (the patient): an account index or address", undefined, types.string)
  .setAction(async (given: { delegate: string; until?: string; classes?: string; purposes?: string; representative: boolean; remove: boolean; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["delegate"]);
    const { ValidationError } = await import("../sdk");
    if (!args.remove) for (const field of ["until", "classes", "purposes"] as const) if (args[field] === undefined) throw new ValidationError(field, `give --${field} (required unless --remove)`);
    const until = args.remove ? 0 : timeOption("until", args.until!);
    const cl = await connectSdk(hre, args.from);
    if (args.remove) {
      const { receipt, ...removed } = await (await cl.consent.removeDelegate({ delegate: args.delegate })).wait();
      printJson({ ...removed, tx: receipt.hash });
      return;
    }
    const handle = await cl.consent.appointDelegate({
      delegate: args.delegate,
      until,
      classes: list(args.classes!) as never,
      purposes: list(args.purposes!) as never,
      representative: args.representative,
    });
    const { receipt, ...appointed } = await handle.wait();
    printJson({ ...appointed, tx: receipt.hash, gasUsed: receipt.gasUsed });
  });

task("consent:revoke", "Revokes a grant, effective in this block (the patient or a delegate; works while paused)")
  .addParam("grantee", "the grantee: an address, an account index, or org:<id>")
  .addOptionalParam("patient", "the patient (default: the signer)", undefined, types.string)
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (given: { grantee: string; patient?: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["grantee", "patient"]);
    const cl = await connectSdk(hre, args.from);
    const { receipt, ...revoked } = await (await cl.consent.revoke({ patient: args.patient, grantee: parseGrantee(args.grantee) })).wait();
    printJson({ ...revoked, tx: receipt.hash, gasUsed: receipt.gasUsed });
  });

task("consent:check", "Whether an accessor may access a patient's data class for a purpose, now")
  .addParam("patient", "the patient: an address or an account index")
  .addParam("accessor", "the account that would access: an address or an account index")
  .addParam("class", "the data class (e.g. labs)")
  .addParam("purpose", "the purpose of use (e.g. TREAT)")
  .setAction(async (given: { patient: string; accessor: string; class: string; purpose: string }, hre) => {
    const args = await withAccounts(hre, given, ["patient", "accessor"]);
    const cl = await connectSdk(hre);
    const permitted = await cl.consent.isPermitted({ patient: args.patient, accessor: args.accessor, dataClass: args.class as never, purpose: args.purpose as never });
    printJson({ patient: args.patient, accessor: args.accessor, dataClass: args.class, purpose: args.purpose, permitted });
  });

task("consent:log", "Logs an access to a patient's record by the signer under an unlinkable reference; refused when not permitted")
  .addParam("patient", "the patient: an address or an account index")
  .addOptionalParam("recordId", "the record's id: with --salt, a fresh unlinkable reference is derived (its nonce is printed); required unless --record is given", undefined, types.string)
  .addOptionalParam("salt", "the record's salt; required with --record-id", undefined, types.string)
  .addOptionalParam("record", "an access reference made elsewhere (0x + 32 bytes; never a record's id or commitment); required unless --record-id and --salt are given", undefined, types.string)
  .addParam("class", "the data class (e.g. labs)")
  .addParam("purpose", "the purpose of use (e.g. TREAT)")
  .addOptionalParam("from", "signer (the accessor): an account index or address", undefined, types.string)
  .setAction(async (given: { patient: string; recordId?: string; salt?: string; record?: string; class: string; purpose: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["patient"]);
    const { ValidationError } = await import("../sdk");
    if ((args.recordId === undefined) !== (args.salt === undefined)) throw new ValidationError(args.salt === undefined ? "salt" : "recordId", "give both --record-id and --salt");
    if ((args.recordId === undefined) === (args.record === undefined)) throw new ValidationError("record", "give --record-id with --salt, or --record");
    const cl = await connectSdk(hre, args.from);
    const which = args.recordId !== undefined ? { record: { recordId: args.recordId, salt: args.salt! } } : { recordRef: args.record! };
    const { receipt, ...logged } = await (await cl.consent.logAccess({ patient: args.patient, ...which, dataClass: args.class as never, purpose: args.purpose as never })).wait();
    printJson({ ...logged, gasUsed: receipt.gasUsed });
  });

task("consent:history", "A patient's current grants and consent history, or (--access) the accounting of disclosures")
  .addParam("patient", "the patient: an address or an account index")
  .addFlag("access", "print the access log only")
  .addOptionalParam("indexer", INDEXER_OPTION, undefined, types.string)
  .setAction(async (given: { patient: string; access: boolean; indexer?: string }, hre) => {
    const args = await withAccounts(hre, given, ["patient"]);
    const cl = await connectSdk(hre, undefined, { indexer: args.indexer });
    if (args.access) {
      printJson({ patient: args.patient, accessLog: await cl.consent.accessLog(args.patient) });
      return;
    }
    printJson({ patient: args.patient, grants: await cl.consent.grants(args.patient), delegates: await cl.consent.delegates(args.patient), history: await cl.consent.history(args.patient) });
  });
