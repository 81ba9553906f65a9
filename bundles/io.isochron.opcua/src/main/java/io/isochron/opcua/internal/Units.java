package io.isochron.opcua.internal;

import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;

/** Engineering units of the analog items, UNECE Recommendation 20 codes as OPC UA Part 8 maps them. */
final class Units {
    static final String UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact";

    static final EUInformation PERCENT = unit("P1", "%", "percent");
    static final EUInformation MICROSECOND = unit("B98", "µs", "microsecond");

    private Units() {}

    static EUInformation of(io.isochron.api.telemetry.Unit unit) {
        return switch (unit) {
            case PERCENT -> PERCENT;
            case MICROSECOND -> MICROSECOND;
            case NONE -> throw new IllegalArgumentException("no engineering unit for a plain value");
        };
    }

    /**
     * OPC UA Part 8 §5.6.3: the UnitId is the UN/CEFACT common code read as ASCII, one byte a
     * character, most significant first ("P1" = 0x5031).
     */
    static int unitId(String commonCode) {
        if (commonCode.isEmpty() || commonCode.length() > 3) {
            throw new IllegalArgumentException("a common code has 1 to 3 characters: '" + commonCode + "'");
        }
        int id = 0;
        for (int i = 0; i < commonCode.length(); i++) {
            id = id << 8 | commonCode.charAt(i);
        }
        return id;
    }

    private static EUInformation unit(String commonCode, String symbol, String name) {
        return new EUInformation(UNECE_NAMESPACE, unitId(commonCode), LocalizedText.english(symbol),
                LocalizedText.english(name));
    }
}
