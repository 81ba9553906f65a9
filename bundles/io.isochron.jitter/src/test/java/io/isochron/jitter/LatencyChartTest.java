package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;

class LatencyChartTest {
    @Test
    void isWellFormedSvgWithLogScaleStepsAndTheOverflowInTheLegend() throws Exception {
        long[] h = new long[101];
        h[3] = 10;
        h[4] = 1000;
        h[5] = 100_000;
        h[40] = 1;
        h[100] = 2;
        String svg = LatencyChart.svg(h, "host <probe>", "1000 µs cycle");
        DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(svg).contains("host &lt;probe&gt;").contains("101013 samples, 2 above 100 µs (not drawn)")
                .contains("10^5").doesNotContain("10^6");

        // y of each bucket's step: log scale from half a decade below 1 (bottom) to 10^5 (top).
        Matcher path = Pattern.compile("class=\"latency\" d=\"([^\"]+)\"").matcher(svg);
        assertThat(path.find()).isTrue();
        String d = path.group(1);
        double plotH = LatencyChart.HEIGHT - LatencyChart.TOP - LatencyChart.BOTTOM;
        double bottom = LatencyChart.TOP + plotH;
        double decade = plotH / 5.5;
        assertThat(d).contains(String.format(java.util.Locale.ROOT, "L%.2f %.2f", LatencyChart.LEFT + 796.0 * 5 / 45, LatencyChart.TOP))
                .contains(String.format(java.util.Locale.ROOT, "%.2f", bottom - decade * 3.5))
                .contains(String.format(java.util.Locale.ROOT, "%.2f", bottom - decade * 1.5));
        // The single sample at 40 µs stands half a decade above the empty buckets on the axis.
        assertThat(d).contains(String.format(java.util.Locale.ROOT, "L%.2f %.2f", LatencyChart.LEFT + 796.0 * 40 / 45, bottom - decade * 0.5))
                .contains(String.format(java.util.Locale.ROOT, "L%.2f %.2f", LatencyChart.LEFT + 796.0 * 39 / 45, bottom));
        assertThat(svg).as("x axis reaches past the last sample, to a round tick").contains(">45</text>").doesNotContain(">50</text>");
    }

    @Test
    void ticksAreRoundNumbers() {
        assertThat(LatencyChart.tickStep(10)).isEqualTo(1);
        assertThat(LatencyChart.tickStep(42)).isEqualTo(5);
        assertThat(LatencyChart.tickStep(1234)).isEqualTo(200);
        assertThat(LatencyChart.niceCeiling(42)).isEqualTo(45);
    }

    @Test
    void refusesBrokenHistograms() {
        assertThatThrownBy(() -> LatencyChart.svg(new long[1], "t", "s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencyChart.svg(new long[] {1, -1, 0}, "t", "s")).hasMessageContaining("negative");
    }
}
