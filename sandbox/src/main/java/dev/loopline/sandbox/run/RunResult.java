package dev.loopline.sandbox.run;

import java.util.Map;

/** The outcome of one run, in SandboxFusion's terms. */
public record RunResult(String status, String message, String runStatus, double executionTime, Integer returnCode,
                        String stdout, String stderr, Map<String, String> files, Map<String, String> fileErrors) {
}
