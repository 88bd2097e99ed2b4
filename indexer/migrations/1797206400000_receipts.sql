-- Up Migration
-- The gateways' disclosure receipts (issue 15: a patient reads all of theirs from one place), posted by each
-- holder's gateway (POST /receipts, indexer/receipts.ts) once their root is anchored, and the indexer's own
-- nonce book for the signed requests it serves. Neither name is the gateway's (`receipts` is a view there,
-- `request_nonces` its nonce book): an indexer and a gateway may share one database.

-- One row per receipt: the holder's word as posted (`entry`, checked: its fields, its leaf under its root by
-- its proof, the root anchored by the holder in the stored events), and what the reads filter and order by.
-- A receipt is answered only while its root's DisclosuresAnchored event (by the holder) is in `events`: the
-- anchoring is joined at every read, never copied here, so a rolled-back block hides its receipts until the
-- anchoring is indexed again.
CREATE TABLE indexed_receipts (
  root          text COLLATE "C" NOT NULL,   -- the anchored Merkle root, lower-case hex
  leaf          text COLLATE "C" NOT NULL,   -- the receipt's leaf (receiptLeaf), lower-case hex: the order within a root
  holder_org_id bigint      NOT NULL,        -- the organization that released and anchored it
  patient       text        NOT NULL,        -- lower-case address
  data_class    smallint    NOT NULL,        -- a DATA_CLASSES bit position, or 255 (unclassified)
  entry         jsonb       NOT NULL,        -- the entry as posted (the gateway's GET /receipts element without `anchored`)
  posted_by     text        NOT NULL,        -- the holder's member who posted it (lower-case address)
  stored_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (root, leaf)
);
-- A patient's receipts (the reads), and a root's anchoring looked up in `events` by its contract, event and
-- root (events_by_topic2).
CREATE INDEX indexed_receipts_by_patient ON indexed_receipts (patient, holder_org_id, root);

-- The nonces of the signed requests the indexer served (gateway/auth.ts NonceBook, pruneNonces).
CREATE TABLE indexer_request_nonces (
  requester   text        NOT NULL,
  nonce       text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (requester, nonce)
);
CREATE INDEX indexer_request_nonces_expiry ON indexer_request_nonces (expires_at);

-- Down Migration
DROP TABLE indexer_request_nonces;
DROP TABLE indexed_receipts;
