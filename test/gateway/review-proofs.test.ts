/**
 * Outside review of the gateway's proofs-not-stored change (migration 1797379200000_disclosure_proofs):
 * what the database still guarantees about a row's root and leaf offset, from which proofs are rebuilt.
 */
import { expect } from "chai";
import { openDatabase, type Database } from "../../gateway/db";

const row = (seq: number) => [
  seq,
  "0x" + "11".repeat(32),
  "0x" + "22".repeat(20),
  1,
  "0x" + "33".repeat(20),
  1,
  1,
  "{}",
  "0x",
  ["0x" + "44".repeat(32)],
  ["0x" + "55".repeat(32)],
  ["0x" + "66".repeat(32)],
  ["Observation/1"],
  [4],
];
const INSERT = `INSERT INTO disclosures (seq, request_digest, requester, holder_org_id, patient, purpose, permitted_at_block, request, signature,
  access_refs, access_nonces, record_ids, resource_refs, data_classes) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`;

describe("review: gateway proofs rebuilt from rows", function () {
  this.timeout(60_000);
  let db: Database;
  beforeEach(async function () {
    db = await openDatabase({ vacuumIntervalMs: 0 });
  });
  afterEach(async function () {
    await db.close();
  });

  it("FIXED: dropping the proofs column dropped the CHECK that a row's root and leaf offset are set together (made again by the migration): a rooted row without a leaf offset is refused", async function () {
    await db.pool.query(INSERT, row(1));
    const checks = (await db.pool.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'disclosures'::regclass AND contype = 'c'")).rows.map((r) => r.def);
    const refused = await db.pool
      .query("UPDATE disclosures SET root = $1 WHERE seq = 1", ["0x" + "77".repeat(32)])
      .then(() => false, () => true);
    expect(
      { refused, anyCheckOnLeafOffset: checks.some((d) => d.includes("leaf_offset")) },
      "withProofs and the anchoring worker rely on (root IS NULL) = (leaf_offset IS NULL); the migration lost it",
    ).to.deep.equal({ refused: true, anyCheckOnLeafOffset: true });
  });
});
