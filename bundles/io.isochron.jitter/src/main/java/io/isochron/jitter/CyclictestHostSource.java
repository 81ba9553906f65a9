package io.isochron.jitter;

/** cyclictest (rt-tests) as the host source, run and restarted by {@link CyclictestProcess}. */
public final class CyclictestHostSource implements HostSource {
    private final CyclictestProcess process;
    private final long cycleMicros;

    public CyclictestHostSource(String executable, long cycleMicros, int priority, int cpu) {
        this.cycleMicros = cycleMicros;
        this.process = new CyclictestProcess(executable, cycleMicros, priority, cpu).start();
    }

    @Override
    public String name() {
        return "cyclictest";
    }

    @Override
    public long cycleMicros() {
        return cycleMicros;
    }

    @Override
    public void drainInto(LatencyWindow window) {
        process.drainInto(window);
    }

    @Override
    public String problem() {
        return process.problem();
    }

    @Override
    public void close() {
        process.close();
    }
}
