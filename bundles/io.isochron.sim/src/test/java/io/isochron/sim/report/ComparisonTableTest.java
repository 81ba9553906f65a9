package io.isochron.sim.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.TraceFixtures;
import io.isochron.sim.report.ComparisonTable.Row;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ComparisonTableTest {

    private static final SimulationResult AWARE =
            TraceFixtures.result("factory", "interference-aware", 25, 2, 1234.5678, null);
    private static final SimulationResult FIFO = TraceFixtures.result("factory", "fifo", 0, 4, 99.999, null);

    @Test
    void rowsFollowTheDocumentedOrder() {
        List<String> names = ComparisonTable.rows(List.of(AWARE)).stream().map(Row::name).toList();

        assertThat(names.subList(0, 9)).containsExactly("makespan ms", "deadline misses", "jobs",
                "total co-running ms", "stall ms", "waiting mean ms", "waiting p99 ms", "response mean ms",
                "response p99 ms");
        assertThat(names.subList(9, 12)).containsExactly("GPU avg %", "GPU peak %", "GPU >100% ms");
        assertThat(names.subList(24, 27)).containsExactly("STORAGE avg %", "STORAGE peak %", "STORAGE >100% ms");
        assertThat(names.subList(27, names.size())).containsExactly("cpu0 busy ms", "cpu0 stalled ms",
                "cpu0 idle ms", "cpu1 busy ms", "cpu1 stalled ms", "cpu1 idle ms");
    }

    @Test
    void valuesAreFormattedWithTwoDecimals() {
        Map<String, String> v = byName(ComparisonTable.rows(List.of(AWARE)), row -> row.cells().get(0));

        assertThat(v.get("makespan ms")).isEqualTo("1234.57");
        assertThat(v.get("deadline misses")).isEqualTo("3");
        assertThat(v.get("jobs")).isEqualTo("42");
        assertThat(v.get("total co-running ms")).isEqualTo("15.13");
        assertThat(v.get("stall ms")).isEqualTo("7.50");
        assertThat(v.get("waiting mean ms")).isEqualTo("1.23");
        assertThat(v.get("waiting p99 ms")).isEqualTo("9.88");
        assertThat(v.get("response mean ms")).isEqualTo("4.50");
        assertThat(v.get("response p99 ms")).isEqualTo("20.00");
        assertThat(v.get("GPU avg %")).isEqualTo("10.25");
        assertThat(v.get("RAM peak %")).isEqualTo("60.00");
        assertThat(v.get("STORAGE >100% ms")).isEqualTo("7.50");
        assertThat(v.get("cpu1 busy ms")).isEqualTo("101.00");
        assertThat(v.get("cpu1 stalled ms")).isEqualTo("1.50");
        assertThat(v.get("cpu1 idle ms")).isEqualTo("19.00");
    }

    @Test
    void coresMissingFromAResultShowADash() {
        List<Row> rows = ComparisonTable.rows(List.of(AWARE, FIFO));
        Map<String, List<String>> v = byName(rows, Row::cells);

        assertThat(rows).hasSize(9 + 18 + 4 * 3);
        assertThat(v.get("cpu3 idle ms")).containsExactly("-", "17.00");
        assertThat(v.get("cpu0 busy ms")).containsExactly("100.00", "100.00");
        assertThat(v.get("makespan ms")).containsExactly("1234.57", "100.00");
    }

    @Test
    void textTableHasOneRightAlignedColumnPerResult() {
        String text = ComparisonTable.render(List.of(AWARE, FIFO));
        List<String> lines = text.lines().toList();

        String header = lines.get(0);
        assertThat(header).startsWith("metric").contains("interference-aware (O=25%)").endsWith("fifo");
        assertThat(lines.get(1)).matches("-+").hasSize(header.length());
        assertThat(lines).hasSize(2 + 9 + 18 + 12);

        int awareEnd = header.indexOf("interference-aware (O=25%)") + "interference-aware (O=25%)".length();
        int fifoEnd = header.length();
        for (String line : lines.subList(2, lines.size())) {
            String[] parts = line.split(" {2,}");
            assertThat(parts).as(line).hasSize(3);
            assertThat(line).hasSize(fifoEnd);
            assertThat(line.substring(0, awareEnd)).as(line).endsWith(parts[1]);
        }
        assertThat(lines).anySatisfy(l -> assertThat(l.split(" {2,}"))
                .containsExactly("makespan ms", "1234.57", "100.00"));
        assertThat(lines).anySatisfy(l -> assertThat(l.split(" {2,}"))
                .containsExactly("cpu2 busy ms", "-", "102.00"));
    }

    @Test
    void singleResultGivesTwoColumns() {
        List<String> lines = ComparisonTable.render(List.of(FIFO)).lines().toList();

        assertThat(lines.get(0).split(" {2,}")).containsExactly("metric", "fifo");
        assertThat(lines.subList(2, lines.size())).allSatisfy(l -> assertThat(l.split(" {2,}")).hasSize(2));
        assertThat(lines).contains(line("jobs", "42", lines.get(0).length()));
    }

    @Test
    void htmlTableHasTheSameRowsAndEscapesText() {
        SimulationResult odd = TraceFixtures.result("s", "<b>&co", 0, 1, 1, null);
        String html = ComparisonTable.renderHtml(List.of(AWARE, odd));

        assertThat(html).contains("<th scope=\"col\">interference-aware (O=25%)</th>")
                .contains("<th scope=\"col\">&lt;b&gt;&amp;co</th>")
                .doesNotContain("<b>");
        long rows = Arrays.stream(html.split("\n")).filter(l -> l.startsWith("<tr><th scope=\"row\">")).count();
        assertThat(rows).isEqualTo(ComparisonTable.rows(List.of(AWARE, odd)).size());
        assertThat(html).contains("<tr><th scope=\"row\">GPU &gt;100% ms</th><td>0.00</td><td>0.00</td></tr>");
        assertThat(html).contains("<tr><th scope=\"row\">cpu1 busy ms</th><td>101.00</td><td>-</td></tr>");
    }

    private static String line(String name, String value, int width) {
        return name + " ".repeat(width - name.length() - value.length()) + value;
    }

    private static <T> Map<String, T> byName(List<Row> rows, Function<Row, T> f) {
        return rows.stream().collect(Collectors.toMap(Row::name, f));
    }
}
