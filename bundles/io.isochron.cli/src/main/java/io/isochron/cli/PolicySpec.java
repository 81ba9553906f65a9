package io.isochron.cli;

import io.isochron.api.scheduling.Placement;
import io.isochron.scheduler.core.Policies;
import java.util.ArrayList;
import java.util.List;

/** Parses {@code name[:overlap]} policy lists such as {@code shortest-queue,interference-aware:25}. */
final class PolicySpec {
    private PolicySpec() {}

    static Placement parse(String item, double defaultOverlap) {
        String name = item.trim();
        double overlap = defaultOverlap;
        int colon = name.indexOf(':');
        if (colon >= 0) {
            String o = name.substring(colon + 1);
            name = name.substring(0, colon);
            try {
                overlap = Double.parseDouble(o);
            } catch (NumberFormatException e) {
                throw new BadInputException("overlap in '" + item + "' must be a number within 0..100");
            }
        }
        return Policies.create(name, overlap);
    }

    static List<Placement> parseList(String list, double defaultOverlap) {
        List<Placement> result = new ArrayList<>();
        for (String item : list.split(",")) {
            if (!item.isBlank()) {
                result.add(parse(item, defaultOverlap));
            }
        }
        if (result.isEmpty()) {
            throw new BadInputException("--policies needs at least one policy (allowed: " + String.join(", ", Policies.NAMES) + ")");
        }
        return result;
    }
}
