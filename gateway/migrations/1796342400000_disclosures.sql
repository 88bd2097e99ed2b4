-- Receipts are written one row per response instead of one row per released resource: a searchset of 20
-- wrote 20 rows, each repeating the signed request and its signature; it now writes one. The receipts
-- themselves (the Merkle leaves) are unchanged: one per released resource and data class, in the row's
-- arrays, in the order they were released. Every existing receipt is kept, as a row of one receipt with its
-- root, leaf index and proof; the `receipts` view reads them all one per receipt, as before.

-- Up Migration

-- One row per response (and patient) served: what the requester signed, and the receipts of what was
-- released, in order. `root` is set when the row is bound to a root (never changes after); its receipts are
-- leaves `leaf_offset`, `leaf_offset + 1`, … of that root, `proofs` their proofs in the same order.
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
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (cardinality(access_refs) BETWEEN 1 AND 65536),
  CHECK (cardinality(access_nonces) = cardinality(access_refs) AND cardinality(record_ids) = cardinality(access_refs)
         AND cardinality(resource_refs) = cardinality(access_refs) AND cardinality(data_classes) = cardinality(access_refs)),
  CHECK ((root IS NULL) = (leaf_offset IS NULL) AND (root IS NULL) = (proofs IS NULL))
);
CREATE INDEX disclosures_unrooted ON disclosures (seq) WHERE root IS NULL;
CREATE INDEX disclosures_by_patient ON disclosures (patient, seq);
CREATE INDEX disclosures_by_root ON disclosures (root);

INSERT INTO disclosures (request_digest, requester, holder_org_id, patient, purpose, permitted_at_block, request, signature,
                         access_refs, access_nonces, record_ids, resource_refs, data_classes, root, leaf_offset, proofs, created_at)
SELECT request_digest, requester, holder_org_id, patient, purpose, permitted_at_block, request, signature,
       ARRAY[access_ref], ARRAY[access_nonce], ARRAY[record_id], ARRAY[resource_ref], ARRAY[data_class],
       root, CASE WHEN root IS NULL THEN NULL ELSE leaf_index END, CASE WHEN root IS NULL THEN NULL ELSE jsonb_build_array(proof) END, created_at
FROM receipts ORDER BY seq;

DROP TABLE receipts;

-- One row per receipt, as the receipts table was. `seq` orders receipts (the row's seq × 65,536 + the
-- receipt's place in it) and is the position a paging cursor holds.
CREATE VIEW receipts AS
SELECT d.seq * 65536 + (t.i - 1) AS seq, d.seq AS disclosure_seq, d.request_digest, d.requester, d.holder_org_id, d.patient,
       t.access_ref, t.access_nonce, t.record_id, t.resource_ref, t.data_class, d.purpose, d.permitted_at_block, d.request, d.signature,
       d.root, d.leaf_offset + (t.i - 1)::integer AS leaf_index, d.proofs -> (t.i - 1)::integer AS proof, d.created_at
FROM disclosures d
CROSS JOIN LATERAL unnest(d.access_refs, d.access_nonces, d.record_ids, d.resource_refs, d.data_classes)
  WITH ORDINALITY AS t(access_ref, access_nonce, record_id, resource_ref, data_class, i);

-- Down Migration
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
