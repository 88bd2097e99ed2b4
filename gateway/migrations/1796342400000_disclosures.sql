-- Receipts are written one row per response instead of one row per released resource: a searchset of 20
-- wrote 20 rows, each repeating the signed request and its signature; it now writes one. The receipts
-- themselves (the Merkle leaves) are unchanged: one per released resource and data class, in the row's
-- arrays, in the order they were released. Every existing receipt is kept, as a row of one receipt with its
-- root, leaf index and proof; the `receipts` view reads them all one per receipt, as before.

-- Up Migration

-- Instances of the previous version may share the database: their receipt writes and anchoring rounds wait
-- here until the move is done (then fail, closed: the table is gone), so none is lost or bound twice.
LOCK TABLE receipts IN ACCESS EXCLUSIVE MODE;

-- One row per response (and patient) served: what the requester signed, and the receipts of what was
-- released, in order. `root` is set when the row is bound to a root (never changes after); its receipts are
-- leaves `leaf_offset`, `leaf_offset + 1`, … of that root, `proofs` their proofs in the same order.
-- `migrated`: a receipt written one row each before this migration, kept under its old seq, which stays its
-- position (so a paging cursor handed out before the upgrade goes on where it was).
CREATE TABLE disclosures (
  seq                 bigserial   PRIMARY KEY,
  request_digest      text        NOT NULL,
  requester           text        NOT NULL,
  holder_org_id       bigint      NOT NULL,
  patient             text        NOT NULL,
  purpose             integer     NOT NULL,
  permitted_at_block  bigint      NOT NULL,
  request             jsonb       NOT NULL,              -- the signed request's fields
  signature           text        NOT NULL,
  access_refs         text[]      NOT NULL,
  access_nonces       text[]      NOT NULL,
  record_ids          text[]      NOT NULL,
  resource_refs       text[]      NOT NULL,
  data_classes        integer[]   NOT NULL,
  root                text,
  leaf_offset         integer,
  proofs              jsonb,
  migrated            boolean     NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (cardinality(access_refs) BETWEEN 1 AND 65536),
  CONSTRAINT disclosures_no_null_receipt_field CHECK (array_position(access_refs, NULL) IS NULL AND array_position(access_nonces, NULL) IS NULL AND array_position(record_ids, NULL) IS NULL
         AND array_position(resource_refs, NULL) IS NULL AND array_position(data_classes, NULL) IS NULL),
  CHECK (NOT migrated OR cardinality(access_refs) = 1),
  CHECK (cardinality(access_nonces) = cardinality(access_refs) AND cardinality(record_ids) = cardinality(access_refs)
         AND cardinality(resource_refs) = cardinality(access_refs) AND cardinality(data_classes) = cardinality(access_refs)),
  CHECK ((root IS NULL) = (leaf_offset IS NULL) AND (root IS NULL) = (proofs IS NULL))
);
CREATE INDEX disclosures_unrooted ON disclosures (seq) WHERE root IS NULL;
CREATE INDEX disclosures_by_patient ON disclosures (patient, seq);
CREATE INDEX disclosures_by_root ON disclosures (root);

CREATE INDEX disclosures_migrated ON disclosures (seq) WHERE migrated;

INSERT INTO disclosures (seq, request_digest, requester, holder_org_id, patient, purpose, permitted_at_block, request, signature,
                         access_refs, access_nonces, record_ids, resource_refs, data_classes, root, leaf_offset, proofs, migrated, created_at)
SELECT seq, request_digest, requester, holder_org_id, patient, purpose, permitted_at_block, request, signature,
       ARRAY[access_ref], ARRAY[access_nonce], ARRAY[record_id], ARRAY[resource_ref], ARRAY[data_class],
       root, CASE WHEN root IS NULL THEN NULL ELSE leaf_index END, CASE WHEN root IS NULL THEN NULL ELSE jsonb_build_array(proof) END, true, created_at
FROM receipts ORDER BY seq;
-- New rows come after every migrated one: their positions (seq × 65,536 + index) exceed every old seq.
SELECT setval(pg_get_serial_sequence('disclosures', 'seq'), greatest(coalesce((SELECT max(seq) FROM receipts), 1), 1), (SELECT max(seq) FROM receipts) IS NOT NULL);

DROP TABLE receipts;

-- One row per receipt, as the receipts table was. `seq` orders receipts and is the position a paging cursor
-- holds: the row's seq × 65,536 + the receipt's place in it, or a migrated receipt's old seq.
CREATE VIEW receipts AS
SELECT CASE WHEN d.migrated THEN d.seq ELSE d.seq * 65536 + (t.i - 1) END AS seq, d.seq AS disclosure_seq, d.request_digest, d.requester, d.holder_org_id, d.patient,
       t.access_ref, t.access_nonce, t.record_id, t.resource_ref, t.data_class, d.purpose, d.permitted_at_block, d.request, d.signature,
       d.root, d.leaf_offset + (t.i - 1)::integer AS leaf_index, d.proofs -> (t.i - 1)::integer AS proof, d.created_at
FROM disclosures d
CROSS JOIN LATERAL unnest(d.access_refs, d.access_nonces, d.record_ids, d.resource_refs, d.data_classes)
  WITH ORDINALITY AS t(access_ref, access_nonce, record_id, resource_ref, data_class, i);

-- Down Migration
LOCK TABLE disclosures IN ACCESS EXCLUSIVE MODE;
DROP VIEW receipts;
CREATE TABLE receipts (
  seq                 bigserial PRIMARY KEY,
  request_digest      text        NOT NULL,
  requester           text        NOT NULL,
  holder_org_id       bigint      NOT NULL,
  patient             text        NOT NULL,
  access_ref          text        NOT NULL,
  access_nonce        text        NOT NULL,
  record_id           text        NOT NULL,
  resource_ref        text        NOT NULL,
  data_class          integer     NOT NULL,
  purpose             integer     NOT NULL,
  permitted_at_block  bigint      NOT NULL,
  request             jsonb       NOT NULL,
  signature           text        NOT NULL,
  root                text,
  leaf_index          integer,
  proof               jsonb,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_unrooted ON receipts (seq) WHERE root IS NULL;
CREATE INDEX receipts_by_patient ON receipts (patient, seq);
CREATE INDEX receipts_by_root ON receipts (root);
INSERT INTO receipts (request_digest, requester, holder_org_id, patient, access_ref, access_nonce, record_id, resource_ref, data_class, purpose,
                      permitted_at_block, request, signature, root, leaf_index, proof, created_at)
SELECT d.request_digest, d.requester, d.holder_org_id, d.patient, t.access_ref, t.access_nonce, t.record_id, t.resource_ref, t.data_class, d.purpose,
       d.permitted_at_block, d.request, d.signature, d.root, d.leaf_offset + (t.i - 1)::integer, d.proofs -> (t.i - 1)::integer, d.created_at
FROM disclosures d
CROSS JOIN LATERAL unnest(d.access_refs, d.access_nonces, d.record_ids, d.resource_refs, d.data_classes)
  WITH ORDINALITY AS t(access_ref, access_nonce, record_id, resource_ref, data_class, i)
ORDER BY d.seq, t.i;
DROP TABLE disclosures;
