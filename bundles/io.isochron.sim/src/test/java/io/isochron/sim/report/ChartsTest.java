package io.isochron.sim.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.isochron.api.IoCategory;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Trace;
import io.isochron.sim.engine.TraceFixtures;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ChartsTest {

    private static final long MS = 1_000_000L;

    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
        assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        return doc;
    }

    static List<Element> byClass(Document doc, String tag, String cls) {
        NodeList nodes = doc.getElementsByTagName(tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (cls.equals(e.getAttribute("class"))) {
                out.add(e);
            }
        }
        return out;
    }

    static List<String> texts(Document doc) {
        NodeList nodes = doc.getElementsByTagName("text");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add(nodes.item(i).getTextContent());
        }
        return out;
    }

    static double num(Element e, String attribute) {
        return Double.parseDouble(e.getAttribute(attribute));
    }

    private static SimulationResult sample() {
        Trace trace = TraceFixtures.trace(3)
                .segment(0, 0, 5 * MS, "plc/0", IoCategory.GPU, 1 * MS)
                .segment(1, 2 * MS, 4 * MS, "hmi/1", IoCategory.RAM, 0)
                .segment(2, 1 * MS, 9 * MS, "log/0", IoCategory.STORAGE, 2 * MS)
                .segment(0, 5 * MS, 10 * MS, "idle/0", IoCategory.NONE, 0)
                .segment(1, 4 * MS, 4 * MS + 1000, "x/0", IoCategory.ETHERNET, 0)
                .demand(0, 0, 10)
                .demand(5 * MS, 80, 10)
                .demand(7 * MS, 150, 40, 0, 0, 0, 5)
                .build();
        return TraceFixtures.result("factory <A&B>", "interference-aware", 25, 3, 10, trace);
    }

    @Test
    void paletteIsDistinctWithGreyForNone() {
        List<String> colours = Arrays.stream(IoCategory.values()).map(Charts::colour).toList();

        assertThat(new HashSet<>(colours)).hasSize(IoCategory.values().length);
        assertThat(colours).allMatch(c -> c.matches("#[0-9a-f]{6}"));
        String none = Charts.colour(IoCategory.NONE);
        int r = Integer.parseInt(none.substring(1, 3), 16);
        int g = Integer.parseInt(none.substring(3, 5), 16);
        int b = Integer.parseInt(none.substring(5, 7), 16);
        assertThat(r).isEqualTo(g).isEqualTo(b);
    }

    @Test
    void timelineDrawsOneRectPerSegmentInItsCategoryColour() throws Exception {
        SimulationResult r = sample();
        Document doc = parse(Charts.timeline(r));

        List<Element> segs = byClass(doc, "rect", "seg");
        List<Trace.Segment> expected = r.trace().segments();
        assertThat(segs).hasSize(expected.size());
        for (int i = 0; i < segs.size(); i++) {
            assertThat(segs.get(i).getAttribute("fill")).isEqualTo(Charts.colour(expected.get(i).category()));
        }
        assertThat(segs.stream().map(e -> e.getAttribute("fill")).collect(Collectors.toSet()))
                .hasSize(5);
    }

    @Test
    void timelineGeometryFollowsTimeAndCore() throws Exception {
        Document doc = parse(Charts.timeline(sample()));
        List<Element> segs = byClass(doc, "rect", "seg");

        double left = Charts.LEFT;
        double width = Charts.PLOT_WIDTH;
        Element plc = segs.get(0);
        assertThat(num(plc, "x")).isCloseTo(left, within(0.01));
        assertThat(num(plc, "width")).isCloseTo(width / 2, within(0.01));
        Element log = segs.get(2);
        assertThat(num(log, "x")).isCloseTo(left + width * 0.1, within(0.01));
        assertThat(num(log, "width")).isCloseTo(width * 0.8, within(0.01));
        assertThat(num(log, "y")).isGreaterThan(num(segs.get(1), "y"));
        assertThat(num(segs.get(1), "y")).isGreaterThan(num(plc, "y"));
        assertThat(num(segs.get(3), "y")).isEqualTo(num(plc, "y"));

        assertThat(texts(doc)).contains("CPU 0", "CPU 1", "CPU 2").doesNotContain("CPU 3");
        assertThat(texts(doc)).contains("time [ms]", "0", "10");
        for (IoCategory c : IoCategory.values()) {
            assertThat(texts(doc)).contains(c.name());
        }
    }

    @Test
    void stalledShareIsAHatchedOverlayAtTheEndOfTheSegment() throws Exception {
        Document doc = parse(Charts.timeline(sample()));
        List<Element> segs = byClass(doc, "rect", "seg");
        List<Element> stalls = byClass(doc, "rect", "stall");

        assertThat(stalls).hasSize(2);
        Element plc = segs.get(0);
        Element plcStall = stalls.get(0);
        double segEnd = num(plc, "x") + num(plc, "width");
        assertThat(num(plcStall, "width")).isCloseTo(num(plc, "width") / 5, within(0.02));
        assertThat(num(plcStall, "x") + num(plcStall, "width")).isCloseTo(segEnd, within(0.02));
        assertThat(num(plcStall, "y")).isEqualTo(num(plc, "y"));
        assertThat(num(stalls.get(1), "width")).isCloseTo(num(segs.get(2), "width") / 4, within(0.02));

        String fill = plcStall.getAttribute("fill");
        assertThat(fill).matches("url\\(#[^)]+\\)");
        String id = fill.substring(5, fill.length() - 1);
        NodeList patterns = doc.getElementsByTagName("pattern");
        assertThat(patterns.getLength()).isEqualTo(1);
        assertThat(((Element) patterns.item(0)).getAttribute("id")).isEqualTo(id);
    }

    @Test
    void wideSegmentsAreLabelledNarrowOnesAreNot() throws Exception {
        List<String> texts = texts(parse(Charts.timeline(sample())));

        assertThat(texts).contains("plc/0", "hmi/1", "log/0", "idle/0").doesNotContain("x/0");
    }

    @Test
    void titleIsScenarioAndLabelEscaped() throws Exception {
        String svg = Charts.timeline(sample());
        List<Element> titles = byClass(parse(svg), "text", "title");

        assertThat(titles).hasSize(1);
        assertThat(titles.get(0).getTextContent()).isEqualTo("factory <A&B> \u2014 interference-aware (O=25%)");
        assertThat(byClass(parse(Charts.utilization(sample())), "text", "title").get(0).getTextContent())
                .isEqualTo("factory <A&B> \u2014 interference-aware (O=25%)");
    }

    @Test
    void missingTraceGivesASmallNotice() throws Exception {
        SimulationResult r = TraceFixtures.result("s", "fifo", 0, 2, 10, null);

        for (String svg : List.of(Charts.timeline(r), Charts.utilization(r))) {
            Document doc = parse(svg);
            assertThat(texts(doc)).contains("trace not recorded");
            assertThat(byClass(doc, "rect", "seg")).isEmpty();
            assertThat(svg.length()).isLessThan(1000);
        }
    }

    @Test
    void emptyTraceStillDrawsAxesAndRows() throws Exception {
        SimulationResult r = TraceFixtures.result("s", "fifo", 0, 2, 0, TraceFixtures.trace(2).build());

        Document timeline = parse(Charts.timeline(r));
        assertThat(byClass(timeline, "rect", "seg")).isEmpty();
        assertThat(texts(timeline)).contains("CPU 0", "CPU 1", "no segments recorded");

        Document util = parse(Charts.utilization(r));
        assertThat(byClass(util, "polyline", "demand")).isEmpty();
        assertThat(byClass(util, "line", "capacity")).hasSize(1);
        assertThat(texts(util)).contains("no demand recorded");
    }

    @Test
    void largeTracesAreCutAtTheLimitAndSaySo() throws Exception {
        int n = Charts.MAX_SEGMENTS + 5;
        TraceFixtures.Builder b = TraceFixtures.trace(4);
        for (int i = 0; i < n; i++) {
            b.segment(i % 4, i * 1000L, i * 1000L + 900, "v/" + i, IoCategory.component(i % 6), 100);
        }
        SimulationResult r = TraceFixtures.result("big", "fifo", 0, 4, n / 1000.0, b.build());

        Document doc = parse(Charts.timeline(r));
        assertThat(byClass(doc, "rect", "seg")).hasSize(Charts.MAX_SEGMENTS);
        List<Element> notes = byClass(doc, "text", "truncated");
        assertThat(notes).hasSize(1);
        assertThat(notes.get(0).getTextContent()).contains("20,000").contains("20,005");

        SimulationResult small = sample();
        assertThat(byClass(parse(Charts.timeline(small)), "text", "truncated")).isEmpty();
    }

    @Test
    void capacityLineIsDashedRedAtOneHundredPercent() throws Exception {
        Document doc = parse(Charts.utilization(sample()));
        List<Element> lines = byClass(doc, "line", "capacity");

        assertThat(lines).hasSize(1);
        Element cap = lines.get(0);
        double yMax = 160;
        double expectedY = Charts.TOP + Charts.UTIL_PLOT_HEIGHT * (1 - 100 / yMax);
        assertThat(expectedY).isCloseTo(176, within(1e-9));
        assertThat(num(cap, "y1")).isCloseTo(expectedY, within(0.01));
        assertThat(num(cap, "y2")).isCloseTo(expectedY, within(0.01));
        assertThat(cap.getAttribute("stroke")).isEqualTo(Charts.CAPACITY_COLOUR).isEqualTo("#d62728");
        assertThat(cap.getAttribute("stroke-dasharray")).isNotBlank();
        assertThat(num(cap, "x2") - num(cap, "x1")).isCloseTo(Charts.PLOT_WIDTH, within(0.01));
        assertThat(byClass(doc, "text", "capacity-label").get(0).getTextContent()).isEqualTo("capacity 100 %");
    }

    @Test
    void yRangeIsAtLeast120Percent() throws Exception {
        Trace low = TraceFixtures.trace(1).demand(0, 30, 50).build();
        Document doc = parse(Charts.utilization(TraceFixtures.result("s", "fifo", 0, 1, 10, low)));

        Element cap = byClass(doc, "line", "capacity").get(0);
        assertThat(num(cap, "y1")).isCloseTo(Charts.TOP + Charts.UTIL_PLOT_HEIGHT / 6, within(0.01));
        assertThat(texts(doc)).contains("120").doesNotContain("140");
        assertThat(Charts.yMax(0)).isEqualTo(120);
        assertThat(Charts.yMax(111)).isEqualTo(121);
        assertThat(Charts.yMax(250)).isEqualTo(260);
    }

    @Test
    void demandIsAStepLinePerComponent() throws Exception {
        Document doc = parse(Charts.utilization(sample()));
        List<Element> lines = byClass(doc, "polyline", "demand");

        assertThat(lines).hasSize(IoCategory.COMPONENT_COUNT);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i).getAttribute("stroke")).isEqualTo(Charts.colour(IoCategory.component(i)));
            assertThat(lines.get(i).getAttribute("data-category")).isEqualTo(IoCategory.component(i).name());
        }
        double yMax = 160;
        double x0 = Charts.LEFT;
        double x5 = Charts.LEFT + Charts.PLOT_WIDTH * 0.5;
        double x7 = Charts.LEFT + Charts.PLOT_WIDTH * 0.7;
        double xEnd = Charts.LEFT + Charts.PLOT_WIDTH;
        double[][] gpu = points(lines.get(0));
        double[][] expected = {
            {x0, Charts.utilY(0, yMax)}, {x5, Charts.utilY(0, yMax)}, {x5, Charts.utilY(80, yMax)},
            {x7, Charts.utilY(80, yMax)}, {x7, Charts.utilY(150, yMax)}, {xEnd, Charts.utilY(150, yMax)}};
        assertThat(gpu.length).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(gpu[i][0]).as("x of point " + i).isCloseTo(expected[i][0], within(0.01));
            assertThat(gpu[i][1]).as("y of point " + i).isCloseTo(expected[i][1], within(0.01));
        }
        double[][] cache = points(lines.get(2));
        assertThat(cache).hasNumberOfRows(2);
        assertThat(cache[0][1]).isCloseTo(Charts.utilY(0, yMax), within(0.01));

        for (IoCategory c : List.of(IoCategory.GPU, IoCategory.RAM, IoCategory.STORAGE)) {
            assertThat(texts(doc)).contains(c.name());
        }
    }

    @Test
    void longDemandHistoriesAreThinnedButKeepTheirExtremes() throws Exception {
        TraceFixtures.Builder b = TraceFixtures.trace(1);
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            double v = i == 123_457 ? 190 : (i % 2 == 0 ? 20 : 70);
            b.demand(i * 1000L, v);
        }
        SimulationResult r = TraceFixtures.result("s", "fifo", 0, 1, n / 1000.0, b.build());
        String svg = Charts.utilization(r);
        Document doc = parse(svg);

        double[][] gpu = points(byClass(doc, "polyline", "demand").get(0));
        assertThat(gpu.length).isLessThan((int) (Charts.PLOT_WIDTH * 2 * 4) + 4);
        double yMax = 200;
        double top = Arrays.stream(gpu).mapToDouble(p -> p[1]).min().orElseThrow();
        double bottom = Arrays.stream(gpu).mapToDouble(p -> p[1]).max().orElseThrow();
        assertThat(top).isCloseTo(Charts.utilY(190, yMax), within(0.01));
        assertThat(bottom).isCloseTo(Charts.utilY(20, yMax), within(0.01));
        for (int i = 1; i < gpu.length; i++) {
            assertThat(gpu[i][0]).isGreaterThanOrEqualTo(gpu[i - 1][0]);
        }
        assertThat(svg.length()).isLessThan(400_000);
    }

    private static double[][] points(Element polyline) {
        return Arrays.stream(polyline.getAttribute("points").trim().split("\\s+"))
                .map(p -> Arrays.stream(p.split(",")).mapToDouble(Double::parseDouble).toArray())
                .toArray(double[][]::new);
    }
}
