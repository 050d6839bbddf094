-- What a run found per capability (sizes, scores, bound, moves, outcome) and how long each
-- phase took. It lives in the row, not in the process that ran it, so that any server
-- process can answer GET /v1/schedule-runs/{id}, and the history survives restarts.
ALTER TABLE schedule_runs ADD COLUMN details jsonb;
