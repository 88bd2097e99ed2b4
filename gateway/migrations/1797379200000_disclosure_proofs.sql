-- Receipts' proofs are no longer stored: they are derived from the receipts under the same root. The anchoring
-- worker wrote, with every root, each receipt's proof (ten hashes a receipt for a root of 1,024: some 700 KB of
-- JSON a root) into the database that serves the requests being receipted; it now writes the root and each
-- row's leaf offset only, and the few readers of proofs (a patient's GET /receipts, the publisher's rounds)
-- rebuild a root's tree from its rows, in leaf order, once, and keep it (gateway/receipts.ts, `withProofs`).
-- The stored proofs are dropped with the column: the rows they were computed from are all kept.

-- Up Migration

DROP VIEW receipts;
-- Dropping the column drops the CHECK that named it, ((root IS NULL) = (leaf_offset IS NULL) AND (root IS NULL) =
-- (proofs IS NULL)): its first half, which the rebuilding of proofs relies on, is made again.
ALTER TABLE disclosures DROP COLUMN proofs;
ALTER TABLE disclosures ADD CONSTRAINT disclosures_root_with_leaf_offset CHECK ((root IS NULL) = (leaf_offset IS NULL));
-- One row per receipt, as before, without its proof (rebuilt by the gateway, not stored).
CREATE VIEW receipts AS
SELECT CASE WHEN d.migrated THEN d.seq ELSE d.seq * 65536 + (t.i - 1) END AS seq, d.seq AS disclosure_seq, d.request_digest, d.requester, d.holder_org_id, d.patient,
       t.access_ref, t.access_nonce, t.record_id, t.resource_ref, t.data_class, d.purpose, d.permitted_at_block, d.request, d.signature,
       d.root, d.leaf_offset + (t.i - 1)::integer AS leaf_index, d.created_at
FROM disclosures d
CROSS JOIN LATERAL unnest(d.access_refs, d.access_nonces, d.record_ids, d.resource_refs, d.data_classes)
  WITH ORDINALITY AS t(access_ref, access_nonce, record_id, resource_ref, data_class, i);

-- A response's row (a searchset of 20: some 5.5 KB) is kept whole in its page, neither compressed nor moved to
-- the TOAST table: its hashes do not compress, and past the default 2 KB every insert tried to, then wrote
-- them out of line. Larger rows ($everything of a long record) are still moved out of line.
ALTER TABLE disclosures SET (toast_tuple_target = 8160);

-- Down Migration
ALTER TABLE disclosures RESET (toast_tuple_target);
-- The column comes back empty (SQL cannot hash a tree): a gateway rolled back past this migration serves the
-- receipts bound since without their proofs.
DROP VIEW receipts;
ALTER TABLE disclosures DROP CONSTRAINT disclosures_root_with_leaf_offset;
ALTER TABLE disclosures ADD COLUMN proofs jsonb;
CREATE VIEW receipts AS
SELECT CASE WHEN d.migrated THEN d.seq ELSE d.seq * 65536 + (t.i - 1) END AS seq, d.seq AS disclosure_seq, d.request_digest, d.requester, d.holder_org_id, d.patient,
       t.access_ref, t.access_nonce, t.record_id, t.resource_ref, t.data_class, d.purpose, d.permitted_at_block, d.request, d.signature,
       d.root, d.leaf_offset + (t.i - 1)::integer AS leaf_index, d.proofs -> (t.i - 1)::integer AS proof, d.created_at
FROM disclosures d
CROSS JOIN LATERAL unnest(d.access_refs, d.access_nonces, d.record_ids, d.resource_refs, d.data_classes)
  WITH ORDINALITY AS t(access_ref, access_nonce, record_id, resource_ref, data_class, i);
