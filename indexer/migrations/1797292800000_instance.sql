-- Up Migration
-- Which database this is: made once, when the indexer's database is created (or, for one created before,
-- now). A database rebuilt (after a halt, or anew) has another: a gateway that published its receipts to the
-- one before publishes them again (gateway/publish.ts asks GET /status for it).
ALTER TABLE indexer_state ADD COLUMN instance text NOT NULL DEFAULT gen_random_uuid()::text;

-- Down Migration
ALTER TABLE indexer_state DROP COLUMN instance;
