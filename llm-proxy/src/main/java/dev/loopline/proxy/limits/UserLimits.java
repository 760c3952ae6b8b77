package dev.loopline.proxy.limits;

/**
 * One user's limits; 0 means unlimited.
 *
 * @param requestsPerHour requests in each clock hour
 * @param tokensPerMinute prompt + completion tokens in each clock minute
 * @param tokenBudget     prompt + completion tokens over the user's lifetime
 */
public record UserLimits(long requestsPerHour, long tokensPerMinute, long tokenBudget) {
}
