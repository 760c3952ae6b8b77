package dev.loopline.sim.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * vLLM's automatic prefix caching, in whole KV blocks: block i is identified by a hash chained
 * over every token up to its end, so a hit on block i implies hits on all before it. Hits are
 * capped at {@code promptLen - 1} (the last token is always recomputed) and evicted LRU.
 */
public final class PrefixCache {
    private final int blockSize;
    private final int capacityBlocks;
    private final LinkedHashMap<Long, Boolean> blocks;

    public PrefixCache(int blockSize, int capacityBlocks) {
        this.blockSize = blockSize;
        this.capacityBlocks = capacityBlocks;
        this.blocks = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                return size() > PrefixCache.this.capacityBlocks;
            }
        };
    }

    /** Looks the prompt up, then stores its full blocks; returns the cached token count. */
    public synchronized int lookupAndInsert(int[] tokens, String salt) {
        long h = salt == null ? 1469598103934665603L : salt.hashCode() * 1099511628211L;
        int fullBlocks = tokens.length / blockSize;
        int maxHitBlocks = Math.max(0, (tokens.length - 1) / blockSize);
        int hits = 0;
        boolean stillHitting = true;
        for (int b = 0; b < fullBlocks; b++) {
            for (int i = b * blockSize; i < (b + 1) * blockSize; i++) {
                h = (h ^ tokens[i]) * 1099511628211L;
            }
            if (stillHitting && b < maxHitBlocks && blocks.get(h) != null) {
                hits++;
            } else {
                stillHitting = false;
                blocks.put(h, Boolean.TRUE);
            }
        }
        return hits * blockSize;
    }

    public synchronized void clear() {
        blocks.clear();
    }
}
