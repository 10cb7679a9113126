package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A bump allocator of floats over large off-heap chunks, reset and reused by every
 * {@code renewCg()}: allocating is an add and a compare, where a
 * fresh allocation from a {@link Arena} would cost tens of times more.
 *
 * <p>It never fails for lack of space: when the current chunk is full it adds a chunk at least
 * as large as everything reserved so far (so growth is geometric), and on the next
 * {@link #reset()} replaces several chunks by one of their total size, so a graph that fits
 * once keeps fitting in a single chunk. Every block starts on a 64-byte line.
 *
 * <p>Chunks come from {@link Arena#ofAuto()}: a replaced chunk is freed by the garbage
 * collector once no stale node refers to it, and the chunks of a thread that dies go with its
 * graph, so nothing leaks whatever the user does. Replacements happen only on growth, so the
 * garbage is bounded by the high-water size.
 */
final class FloatArena {

    /** First chunk: 64 K floats (256 KB), enough for a sentence-sized graph of a small model. */
    static final long INITIAL_CHUNK_FLOATS = 1 << 16;

    private MemorySegment[] chunks = new MemorySegment[4];
    /** Floats used in each chunk before the current one (the current one's is {@link #top}). */
    private long[] chunkUsed = new long[4];
    private int chunkCount;
    private MemorySegment current;
    private long top;
    private long capacity;
    private long usedBeforeCurrent;
    private long reservedFloats;

    /**
     * Reserves {@code floats} floats (rounded up to whole lines) and returns their element
     * offset in {@link #segment()}, which must be read after this call.
     */
    long allocate(long floats) {
        long n = OffHeap.roundUpToLine(floats);
        long off = top;
        if (off + n > capacity) {
            return allocateInNewChunk(n);
        }
        top = off + n;
        return off;
    }

    /** The chunk the latest {@link #allocate(long)} returned an offset into. */
    MemorySegment segment() {
        return current;
    }

    private long allocateInNewChunk(long n) {
        long size = Math.max(n, Math.max(INITIAL_CHUNK_FLOATS, reservedFloats));
        MemorySegment chunk = OffHeap.allocateFloats(Arena.ofAuto(), size);
        if (chunkCount == chunks.length) {
            chunks = java.util.Arrays.copyOf(chunks, chunkCount * 2);
            chunkUsed = java.util.Arrays.copyOf(chunkUsed, chunkCount * 2);
        }
        if (chunkCount > 0) {
            chunkUsed[chunkCount - 1] = top;
            usedBeforeCurrent += top;
        }
        chunks[chunkCount++] = chunk;
        reservedFloats += size;
        current = chunk;
        capacity = size;
        top = n;
        return 0;
    }

    /**
     * Forgets every allocation. If the last round needed several chunks, they are replaced
     * by one chunk of their total size.
     */
    void reset() {
        if (chunkCount > 1) {
            MemorySegment merged = OffHeap.allocateFloats(Arena.ofAuto(), reservedFloats);
            java.util.Arrays.fill(chunks, 0, chunkCount, null);
            chunks[0] = merged;
            chunkCount = 1;
            current = merged;
            capacity = reservedFloats;
        }
        top = 0;
        usedBeforeCurrent = 0;
    }

    /** Zeroes every float allocated since the last reset (one fill per chunk in use). */
    void zeroUsed() {
        for (int c = 0; c < chunkCount - 1; c++) {
            chunks[c].asSlice(0, chunkUsed[c] * Float.BYTES).fill((byte) 0);
        }
        if (top > 0) {
            current.asSlice(0, top * Float.BYTES).fill((byte) 0);
        }
    }

    /** Floats allocated since the last reset, including the line padding. */
    long usedFloats() {
        return usedBeforeCurrent + top;
    }

    /** Floats held in chunks. */
    long reservedFloats() {
        return reservedFloats;
    }

    /** Number of chunks currently held. */
    int chunkCount() {
        return chunkCount;
    }
}
