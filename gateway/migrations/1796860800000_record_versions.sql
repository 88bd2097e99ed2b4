-- Records get versions: the holder's systems send a corrected resource (a PUT of an id stored before), which
-- is kept as a new row, version n + 1, beside the versions before it (nothing is deleted). A version is
-- anchored on chain as an amendment of the record (`RecordRegistry.amend`, after `registerBatchRecord` for a
-- first version anchored in a batch); its `batch_root` is its own commitment (a single anchor, no proof).
-- `superseded` is set on every earlier version once a later one is anchored: searches and reads serve the
-- current version only, `_history` every version. Existing rows are version 1 of their record, current.

-- Up Migration

LOCK TABLE records IN ACCESS EXCLUSIVE MODE;
ALTER TABLE records DROP CONSTRAINT records_resource_type_fhir_id_key;
ALTER TABLE records ADD CONSTRAINT records_resource_type_fhir_id_version_key UNIQUE (resource_type, fhir_id, version);
ALTER TABLE records ADD COLUMN superseded boolean NOT NULL DEFAULT false;
-- 'refused': a version the chain will never take (the record was amended on chain past it, outside this
-- gateway): kept, never served, not retried.
ALTER TABLE records DROP CONSTRAINT records_state_check;
ALTER TABLE records ADD CONSTRAINT records_state_check CHECK (state IN ('pending', 'anchored', 'refused'));
ALTER TABLE records ADD COLUMN refusal text;

-- Down Migration
LOCK TABLE records IN ACCESS EXCLUSIVE MODE;
-- Nothing is deleted: a database holding later versions is not taken back.
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM records WHERE version > 1) THEN
    RAISE EXCEPTION 'records holds later versions of records: this migration is not undone (nothing is deleted)';
  END IF;
END $$;
ALTER TABLE records DROP COLUMN refusal;
ALTER TABLE records DROP CONSTRAINT records_state_check;
ALTER TABLE records ADD CONSTRAINT records_state_check CHECK (state IN ('pending', 'anchored'));
ALTER TABLE records DROP COLUMN superseded;
ALTER TABLE records DROP CONSTRAINT records_resource_type_fhir_id_version_key;
ALTER TABLE records ADD CONSTRAINT records_resource_type_fhir_id_key UNIQUE (resource_type, fhir_id);
