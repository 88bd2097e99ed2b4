-- Up Migration
-- The parts' state, projected from the events (issue 15, part 2): views, not tables written beside the
-- events, so a projection can never disagree with the events it comes from: a rolled-back block takes
-- its rows out of every projection in the same transaction, and nothing is counted twice.

-- Grants over time: every ConsentGranted, with what ended it — the next grant to the same grantee
-- (superseded), or a revocation before that. The grantee key is the event's second topic.
CREATE VIEW grant_history AS
SELECT g.patient, g.topic2 AS grantee, g.args, g.block_number, g.log_index, g.tx_hash, g.block_time,
       n.block_number AS superseded_block, r.block_number AS revoked_block, r.block_time AS revoked_at
FROM events g
LEFT JOIN LATERAL (
  SELECT block_number, log_index FROM events n
  WHERE n.event = 'ConsentGranted' AND n.patient = g.patient AND n.topic2 = g.topic2
    AND (n.block_number, n.log_index) > (g.block_number, g.log_index)
  ORDER BY n.block_number, n.log_index LIMIT 1
) n ON true
LEFT JOIN LATERAL (
  SELECT block_number, block_time FROM events r
  WHERE r.event = 'ConsentRevoked' AND r.patient = g.patient AND r.topic2 = g.topic2
    AND (r.block_number, r.log_index) > (g.block_number, g.log_index)
    AND (n.block_number IS NULL OR (r.block_number, r.log_index) < (n.block_number, n.log_index))
  ORDER BY r.block_number, r.log_index LIMIT 1
) r ON true
WHERE g.contract = 'ConsentRegistry' AND g.event = 'ConsentGranted';

-- A claim's status changes, in the engine's ClaimStatus numbering: pended (1), each adjudication's
-- status, appealed (5), replaced (8: a correction naming it as the claim it replaces), voided (9).
CREATE VIEW claim_status_changes AS
SELECT claim_id AS claim_id, block_number, log_index, block_time,
       CASE event WHEN 'ClaimPended' THEN 1 WHEN 'ClaimAppealed' THEN 5 WHEN 'ClaimVoided' THEN 9 ELSE (args->>'status')::int END AS status
FROM events WHERE contract = 'ClaimsEngine' AND event IN ('ClaimPended', 'ClaimAdjudicated', 'ClaimAppealed', 'ClaimVoided')
UNION ALL
SELECT topic2, block_number, log_index, block_time, 8 FROM events WHERE contract = 'ClaimsEngine' AND event = 'ClaimCorrected';

-- Claims: each submission with its status now (the last change) and since when.
CREATE VIEW claim_states AS
SELECT s.claim_id, s.plan_id, s.patient AS member, (s.args->'submission'->>'providerOrg')::bigint AS provider_org,
       (s.args->'submission'->>'serviceDate')::bigint AS service_date, s.block_number, s.log_index, s.tx_hash,
       s.block_time AS submitted_at, c.status, c.block_time AS status_at
FROM events s
CROSS JOIN LATERAL (
  SELECT status, block_time FROM claim_status_changes c WHERE c.claim_id = s.claim_id
  ORDER BY c.block_number DESC, c.log_index DESC LIMIT 1
) c
WHERE s.contract = 'ClaimsEngine' AND s.event = 'ClaimSubmitted';

-- What the views look up: a grant's successors and revocations by patient and grantee; a correction by
-- the claim it replaces.
CREATE INDEX events_by_grant ON events (patient, topic2, block_number, log_index) WHERE event IN ('ConsentGranted', 'ConsentRevoked');
CREATE INDEX events_by_replaced ON events (topic2) WHERE event = 'ClaimCorrected';

-- Down Migration
DROP INDEX events_by_replaced;
DROP INDEX events_by_grant;
DROP VIEW claim_states;
DROP VIEW claim_status_changes;
DROP VIEW grant_history;
