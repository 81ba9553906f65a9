package io.isochron.cli;

import io.isochron.sim.generate.ScenarioGenerator;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.ScenarioException;
import io.isochron.sim.scenario.ScenarioLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Resolves the SCENARIO argument: a YAML file, or {@code random[:key=value,...]} for a generated
 * scenario (keys: pcpus, vms, vcpus, load, jobs, periodic) seeded by {@code --seed}.
 */
final class ScenarioSource {
    static final String RANDOM_HELP = "random[:pcpus=N,vms=N,vcpus=N,load=0..1,jobs=N,periodic=true|false]";

    private ScenarioSource() {}

    static Scenario resolve(String spec, long seed) {
        if (spec.equals("random") || spec.startsWith("random:")) {
            return ScenarioGenerator.generate(randomParameters(spec, seed));
        }
        Path path = Path.of(spec);
        if (!Files.isRegularFile(path)) {
            throw new BadInputException("scenario file not found: " + spec + " (a YAML file or " + RANDOM_HELP + ")");
        }
        try {
            return ScenarioLoader.load(path);
        } catch (ScenarioException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    static ScenarioGenerator.Parameters randomParameters(String spec, long seed) {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("pcpus", "4");
        kv.put("vms", "4");
        kv.put("vcpus", "2");
        kv.put("load", "0.7");
        kv.put("jobs", "20");
        kv.put("periodic", "false");
        if (spec.startsWith("random:")) {
            for (String item : spec.substring("random:".length()).split(",")) {
                String[] pair = item.split("=", 2);
                if (pair.length != 2 || !kv.containsKey(pair[0].trim())) {
                    throw new BadInputException("bad random scenario parameter '" + item + "' (allowed: " + RANDOM_HELP + ")");
                }
                kv.put(pair[0].trim(), pair[1].trim());
            }
        }
        try {
            String periodic = kv.get("periodic");
            if (!periodic.equals("true") && !periodic.equals("false")) {
                throw new BadInputException("periodic must be true or false, got '" + periodic + "'");
            }
            return new ScenarioGenerator.Parameters(seed, Integer.parseInt(kv.get("pcpus")),
                    Integer.parseInt(kv.get("vms")), Integer.parseInt(kv.get("vcpus")),
                    Double.parseDouble(kv.get("load")), Integer.parseInt(kv.get("jobs")), Boolean.parseBoolean(periodic));
        } catch (NumberFormatException e) {
            throw new BadInputException("random scenario parameters must be numbers: " + spec + " (allowed: " + RANDOM_HELP + ")");
        }
    }
}
