-- A background response whose replica dies is taken over by another when that is safe: nothing it
-- did can be repeated by running it again. side_effect names the first tool call with effects
-- outside loopline (code execution, a remote MCP tool not marked read-only) that the run started;
-- a job with one is failed, not re-run, when its owner dies.
ALTER TABLE response_jobs ADD COLUMN side_effect VARCHAR(256);
