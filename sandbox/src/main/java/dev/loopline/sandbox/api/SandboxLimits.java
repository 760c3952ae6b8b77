package dev.loopline.sandbox.api;

import dev.loopline.common.config.Settings;
import dev.loopline.common.config.SharedSettings;

import java.time.Duration;

/**
 * Defaults for what a caller leaves out, and the server-side maximums no caller can exceed.
 */
public record SandboxLimits(double defaultTimeoutSeconds, double maxTimeoutSeconds, int defaultMemoryMb, int maxMemoryMb,
                            int maxCodeChars, int maxStdinBytes, long maxInputFileBytes, int maxOutputBytes,
                            long maxFetchBytes, long workspaceBytes, long maxFileBytes, int maxProcesses, int maxOpenFiles) {

    public static SandboxLimits from(Settings s) {
        return new SandboxLimits(
                s.duration("LOOPLINE_SANDBOX_DEFAULT_TIMEOUT", "loopline.sandbox.default-timeout", Duration.ofSeconds(10)).toMillis() / 1000.0,
                SharedSettings.sandboxMaxTimeout(s).toMillis() / 1000.0,
                s.integer("LOOPLINE_SANDBOX_DEFAULT_MEMORY_MB", "loopline.sandbox.default-memory-mb", 512),
                s.integer("LOOPLINE_SANDBOX_MAX_MEMORY_MB", "loopline.sandbox.max-memory-mb", 2048),
                s.integer("LOOPLINE_SANDBOX_MAX_CODE_CHARS", "loopline.sandbox.max-code-chars", 1_000_000),
                s.integer("LOOPLINE_SANDBOX_MAX_STDIN_BYTES", "loopline.sandbox.max-stdin-bytes", 4 * 1024 * 1024),
                s.longValue("LOOPLINE_SANDBOX_MAX_INPUT_FILE_BYTES", "loopline.sandbox.max-input-file-bytes", 16L * 1024 * 1024),
                s.integer("LOOPLINE_SANDBOX_MAX_OUTPUT_BYTES", "loopline.sandbox.max-output-bytes", 1024 * 1024),
                s.longValue("LOOPLINE_SANDBOX_MAX_FETCH_BYTES", "loopline.sandbox.max-fetch-bytes", 8L * 1024 * 1024),
                s.longValue("LOOPLINE_SANDBOX_WORKSPACE_BYTES", "loopline.sandbox.workspace-bytes", 128L * 1024 * 1024),
                s.longValue("LOOPLINE_SANDBOX_MAX_FILE_BYTES", "loopline.sandbox.max-file-bytes", 64L * 1024 * 1024),
                s.integer("LOOPLINE_SANDBOX_MAX_PROCESSES", "loopline.sandbox.max-processes", 64),
                s.integer("LOOPLINE_SANDBOX_MAX_OPEN_FILES", "loopline.sandbox.max-open-files", 256));
    }
}
