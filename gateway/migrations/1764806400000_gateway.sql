-- The gateway's store: records (encrypted), the nonces of requests served, disclosure receipts and the
-- roots that anchor them. Managed by node-pg-migrate (gateway/db.ts runs it at start).

-- Up Migration

-- One row per stored FHIR resource (version 1; the gateway serves what it anchored). The resource and its
-- salt are sealed together with AES-256-GCM under a data key per record, wrapped by the organization's
-- master key. Shredding clears the sealed payload and the wrapped key and stamps shredded_at: the row
-- stays (nothing is deleted), the record reads as gone.
CREATE TABLE records (
  seq            bigserial PRIMARY KEY,
  resource_type  text        NOT NULL,
  fhir_id        text        NOT NULL,
  patient_ref    text        NOT NULL,              -- "Patient/<id>" the resource is about
  patient        text        NOT NULL,              -- the patient's account, 0x lower case
  classes        integer     NOT NULL,              -- consent data classes (mask)
  withheld       text,                              -- why it is never released to others (null: released under consent)
  record_id      text        NOT NULL,
  commitment     text        NOT NULL,
  version        integer     NOT NULL,
  batch_root     text        NOT NULL,
  proof          jsonb       NOT NULL,              -- sibling hashes, leaf to root
  state          text        NOT NULL CHECK (state IN ('pending', 'anchored')),
  sealed         bytea,                             -- iv ‖ tag ‖ ciphertext of {resource, salt}
  wrapped_key    bytea,
  key_id         text,
  shredded_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (resource_type, fhir_id)
);
CREATE INDEX records_by_patient ON records (patient_ref, seq);
CREATE INDEX records_by_patient_type ON records (patient_ref, resource_type, seq);
CREATE INDEX records_by_account ON records (patient, seq);
CREATE INDEX records_by_batch ON records (batch_root);

-- Every request served, by its signer and nonce: a request is never served twice. Rows past their expiry
-- are pruned (an expired request is refused before its nonce is looked at).
CREATE TABLE request_nonces (
  requester   text        NOT NULL,
  nonce       text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (requester, nonce)
);
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);

-- One receipt per released resource and data class, written before the response is sent.
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
  request             jsonb       NOT NULL,              -- the signed request's fields
  signature           text        NOT NULL,
  root                text,                              -- set when claimed into a root (never changes after)
  leaf_index          integer,
  proof               jsonb,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_unrooted ON receipts (seq) WHERE root IS NULL;
CREATE INDEX receipts_by_patient ON receipts (patient, seq);
CREATE INDEX receipts_by_root ON receipts (root);

-- Each root over receipts: 'sending' from the moment its receipts are bound to it until the chain holds
-- it, then 'anchored'. A root is only ever re-sent (the same root), never rebuilt, so a receipt is
-- anchored exactly once.
CREATE TABLE disclosure_roots (
  root          text        PRIMARY KEY,
  count         integer     NOT NULL,
  state         text        NOT NULL CHECK (state IN ('sending', 'anchored')),
  tx_hash       text,
  block_number  bigint,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disclosure_roots_sending ON disclosure_roots (updated_at) WHERE state = 'sending';

-- Down Migration
DROP TABLE disclosure_roots;
DROP TABLE receipts;
DROP TABLE request_nonces;
DROP TABLE records;
