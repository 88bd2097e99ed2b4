/**
 * Review: records sealed at rest. The sealed payload is bound to its row's type and id only; the columns
 * the release decision reads (the patient's account, the data classes, withheld) are not authenticated,
 * and the gateway decides on them without looking at what it opens. Someone who can write the database
 * but holds no key (a DBA, a restored backup, another service on the same PostgreSQL) must not be able to
 * make the gateway decrypt a record for them. Each test fails on the code reviewed.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { DATA_CLASSES } from "../../sdk/consent/codes";
import { PATIENT_ID } from "./fixtures";
import { grant, HOSPITAL, gatewayPerTest, signedFetch, type Fixture } from "./review-support";

describe("review: the release decision and the sealed record", function () {
  this.timeout(180_000);
  let f: Fixture;
  gatewayPerTest((g) => (f = g));

  it("does not decrypt a record for whoever the unauthenticated patient column names (database write, no key: right of access hijacked)", async function () {
    const attacker = Wallet.createRandom();
    // One UPDATE, no key: the HIV test now "belongs" to the attacker's account.
    await f.db.pool.query("UPDATE records SET patient = $1 WHERE resource_type = 'Observation' AND fhir_id = $2", [attacker.address.toLowerCase(), `${PATIENT_ID}-hiv`]);
    const res = await signedFetch(f, attacker, `/fhir/Observation/${PATIENT_ID}-hiv`);
    expect(res.status, `released to the attacker: ${JSON.stringify(res.body).slice(0, 120)}`).not.to.equal(200);
  });

  it("does not release a sensitive record under the classes an unauthenticated column claims (HIV test relabelled as labs)", async function () {
    await grant(f, HOSPITAL, ["labs"], ["TREAT"]);
    await f.db.pool.query("UPDATE records SET classes = $1 WHERE resource_type = 'Observation' AND fhir_id = $2", [1 << DATA_CLASSES.labs, `${PATIENT_ID}-hiv`]);
    const res = await signedFetch(f, f.doctor, `/fhir/Observation/${PATIENT_ID}-hiv`);
    // Not released: the row no longer opens, and a refusal reads as "not held here, or not for you".
    expect(res.status, "the HIV test was released under a labs-only grant").to.equal(404);
  });
});
