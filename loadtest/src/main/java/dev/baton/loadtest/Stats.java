package dev.baton.loadtest;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/** Percentiles and number formats exactly as the peers harness computes and prints them. */
final class Stats {

    private Stats() {}

    /** The harness's percentile: the element at ceil(p/100 * n) - 1 of the sorted values; NaN when empty. */
    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
        return sorted[i];
    }

    static double[] sorted(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    static double max(double[] sorted) {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    /** Two decimals, or NaN, as the harness's f2. */
    static String f2(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.2f", value) : "NaN";
    }

    /** The 1-minute load average, as the harness's {@code os.loadavg()[0]}. */
    static String loadavg1() {
        return f2(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
