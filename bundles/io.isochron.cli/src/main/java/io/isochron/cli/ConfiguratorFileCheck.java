package io.isochron.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks an OSGi Configurator JSON file the way the Felix Configurator will read it, before the
 * framework starts: the Configurator drops a whole file it cannot read (one "Invalid JSON" line, and
 * every configuration in it silently falls back — security settings included), so the launcher
 * refuses such a file instead.
 *
 * <p>What is checked: the file is one JSON object (comments allowed, as the Configurator allows
 * them; duplicate keys refused); it names itself ({@code :configurator:symbolic-name},
 * {@code :configurator:version}); every PID is an object; every value fits its type annotation
 * ({@code "port:Integer": "fourty"} is refused, {@code "port:Integer": "4840"} converts). What a
 * component then makes of a value (ranges, allowed names) is the component's to check at run time.
 */
final class ConfiguratorFileCheck {
    private static final String PREFIX = ":configurator:";
    private static final Pattern COLLECTION = Pattern.compile("Collection(<([A-Za-z]+)>)?");
    private static final Pattern SCALAR_OR_ARRAY = Pattern.compile("([A-Za-z]+)(\\[\\])?");
    private static final Map<String, String> PRIMITIVES = Map.of("int", "Integer", "long", "Long", "float", "Float",
            "double", "Double", "byte", "Byte", "short", "Short", "char", "Character", "boolean", "Boolean");
    private static final List<String> SCALARS = List.of("String", "Integer", "Long", "Float", "Double", "Byte", "Short",
            "Character", "Boolean", "binary");
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path file;
    private final List<String> problems = new ArrayList<>();

    private ConfiguratorFileCheck(Path file) {
        this.file = file;
    }

    /** @return one line per problem, each starting with {@code file:line:column:}; empty when the file is fine */
    static List<String> check(Path file) {
        ConfiguratorFileCheck c = new ConfiguratorFileCheck(file);
        try {
            c.run(Files.readString(file));
        } catch (JsonParseException e) {
            c.problems.add(c.at(e.getLocation()) + "malformed JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            c.problems.add(file + ": cannot be read: " + e.getMessage());
        }
        return c.problems;
    }

    private void run(String text) throws IOException {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                problems.add(at(p.currentTokenLocation()) + "must be one JSON object of PIDs");
                return;
            }
            boolean named = false;
            boolean versioned = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                JsonLocation where = p.currentTokenLocation();
                if (key.startsWith(PREFIX)) {
                    named |= key.equals(PREFIX + "symbolic-name") && value == JsonToken.VALUE_STRING;
                    versioned |= key.equals(PREFIX + "version") && value == JsonToken.VALUE_STRING;
                    if (key.equals(PREFIX + "resource-version") && !(value == JsonToken.VALUE_NUMBER_INT && p.getIntValue() == 1)) {
                        problems.add(at(where) + key + " must be 1");
                    }
                    p.skipChildren();
                } else if (value != JsonToken.START_OBJECT) {
                    problems.add(at(where) + "PID " + key + " must be an object of properties");
                    p.skipChildren();
                } else {
                    pid(p, key);
                }
            }
            if (p.nextToken() != null) {
                problems.add(at(p.currentTokenLocation()) + "text after the JSON object");
            }
            if (!named || !versioned) {
                problems.add(file + ": needs \":configurator:symbolic-name\" and \":configurator:version\" (strings) "
                        + "to be read from outside a bundle");
            }
        }
    }

    private void pid(JsonParser p, String pid) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            JsonLocation where = p.currentTokenLocation();
            if (key.equals(PREFIX + "ranking")) {
                expect(p, pid, key, "Integer", where);
            } else if (key.equals(PREFIX + "policy")) {
                if (!(p.currentToken() == JsonToken.VALUE_STRING
                        && List.of("default", "force").contains(p.getText()))) {
                    problems.add(at(where) + pid + "/" + key + " must be \"default\" or \"force\"");
                }
                p.skipChildren();
            } else if (key.startsWith(PREFIX)) {
                problems.add(at(where) + pid + "/" + key + " is not a Configurator setting (allowed: "
                        + PREFIX + "ranking, " + PREFIX + "policy)");
                p.skipChildren();
            } else {
                property(p, pid, key, where);
            }
        }
    }

    private void property(JsonParser p, String pid, String key, JsonLocation where) throws IOException {
        int colon = key.lastIndexOf(':');
        if (colon <= 0) {
            if (p.currentToken() == JsonToken.START_OBJECT) {
                problems.add(at(where) + pid + "/" + key + " is an object; a property value is a string, number, "
                        + "boolean or a list of them");
            }
            p.skipChildren();
            return;
        }
        String typeText = key.substring(colon + 1);
        String element = null;
        boolean list = false;
        Matcher collection = COLLECTION.matcher(typeText);
        Matcher scalarOrArray = SCALAR_OR_ARRAY.matcher(typeText);
        if (collection.matches()) {
            element = collection.group(2) == null ? "String" : collection.group(2);
            list = true;
        } else if (scalarOrArray.matches()) {
            element = PRIMITIVES.getOrDefault(scalarOrArray.group(1), scalarOrArray.group(1));
            list = scalarOrArray.group(2) != null;
        }
        if (element == null || !SCALARS.contains(element)) {
            problems.add(at(where) + pid + "/" + key + ": unknown type '" + typeText
                    + "' (allowed: " + String.join(", ", SCALARS) + ", each also as Type[] or Collection<Type>)");
            p.skipChildren();
            return;
        }
        if (p.currentToken() == JsonToken.START_ARRAY) {
            if (!list && !element.equals("binary")) {
                problems.add(at(where) + pid + "/" + key + " is a list; the type annotation says one " + element);
                p.skipChildren();
                return;
            }
            while (p.nextToken() != JsonToken.END_ARRAY) {
                expect(p, pid, key, element, p.currentTokenLocation());
            }
            return;
        }
        expect(p, pid, key, element, where);
    }

    /** Checks the current (scalar) token against {@code type} as the Configurator converts it. */
    private void expect(JsonParser p, String pid, String key, String type, JsonLocation where) throws IOException {
        JsonToken t = p.currentToken();
        String shown = t == JsonToken.VALUE_STRING ? "\"" + p.getText() + "\"" : p.getText();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY || t == JsonToken.VALUE_NULL) {
            problems.add(at(where) + pid + "/" + key + " must be " + article(type) + ", not "
                    + (t == JsonToken.VALUE_NULL ? "null" : t == JsonToken.START_OBJECT ? "an object" : "a list"));
            p.skipChildren();
            return;
        }
        String text = p.getText().trim();
        boolean ok = switch (type) {
            case "String", "binary" -> true;
            case "Boolean" -> t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE
                    || text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false");
            case "Character" -> t == JsonToken.VALUE_STRING && p.getText().length() == 1;
            case "Float", "Double" -> isDecimal(text);
            default -> isWhole(text, type);
        };
        if (!ok) {
            problems.add(at(where) + pid + "/" + key + " = " + shown + " is not " + article(type)
                    + (type.equals("Integer") || type.equals("Long") || type.equals("Short") || type.equals("Byte")
                            ? " (a whole number" + range(type) + ")" : ""));
        }
    }

    private static boolean isDecimal(String text) {
        try {
            return Double.isFinite(Double.parseDouble(text));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isWhole(String text, String type) {
        try {
            BigInteger v = new java.math.BigDecimal(text).toBigIntegerExact();
            long bits = switch (type) {
                case "Byte" -> 7;
                case "Short" -> 15;
                case "Integer" -> 31;
                default -> 63;
            };
            return v.bitLength() <= bits;
        } catch (NumberFormatException | ArithmeticException e) {
            return false;
        }
    }

    private static String range(String type) {
        return switch (type) {
            case "Byte" -> " from -128 to 127";
            case "Short" -> " from -32768 to 32767";
            case "Integer" -> " from -2147483648 to 2147483647";
            default -> "";
        };
    }

    private static String article(String type) {
        return ("AEIOU".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type;
    }

    private String at(JsonLocation l) {
        return l == null ? file + ": " : file + ":" + l.getLineNr() + ":" + l.getColumnNr() + ": ";
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.strip().split("\\R", 2)[0];
    }
}
