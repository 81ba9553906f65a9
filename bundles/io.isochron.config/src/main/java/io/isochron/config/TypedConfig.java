package io.isochron.config;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Turns raw configuration properties into an instance of a component's config annotation, checking
 * every value's type up front. DS would convert lazily and throw from the first accessor call that
 * meets a bad value, naming no property; here every problem is one readable phrase.
 *
 * <p>Property names follow the DS rules for simple names: the method name, {@code _} read as
 * {@code .} and {@code __} as {@code _}. Names with a dot that belong to no method (service.pid,
 * component.name, reference targets …) and names starting with {@code :} are framework metadata and
 * ignored; any other unknown name is a problem, so that a typo is not silently a default.
 */
final class TypedConfig {
    private TypedConfig() {}

    /** The converted config, or the problems (one phrase each) when there are any. */
    record Result<A>(A config, List<String> problems) {}

    static <A> Result<A> convert(Class<A> type, Map<String, ?> properties) {
        if (!type.isAnnotation() && !type.isInterface()) {
            throw new IllegalArgumentException(type + " is not a config annotation or interface");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Map<String, Method> byKey = new TreeMap<>();
        for (Method m : type.getDeclaredMethods()) {
            if (m.getParameterCount() == 0 && !m.isDefault() && !java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                byKey.put(key(m.getName()), m);
            }
        }
        for (Map.Entry<String, Method> e : byKey.entrySet()) {
            Method m = e.getValue();
            Object raw = properties.get(e.getKey());
            if (raw == null) {
                Object fallback = m.getDefaultValue();
                if (fallback == null) {
                    problems.add("property '" + e.getKey() + "' is missing (" + describe(m.getReturnType()) + ")");
                }
                values.put(m.getName(), fallback);
                continue;
            }
            try {
                values.put(m.getName(), value(m.getReturnType(), raw));
            } catch (IllegalArgumentException bad) {
                problems.add("property '" + e.getKey() + "' = " + render(raw) + " " + bad.getMessage());
            }
        }
        for (String key : properties.keySet()) {
            if (!byKey.containsKey(key) && !key.contains(".") && !key.startsWith(":")) {
                problems.add("unknown property '" + key + "' (allowed: " + String.join(", ", byKey.keySet()) + ")");
            }
        }
        return new Result<>(problems.isEmpty() ? proxy(type, values) : null, List.copyOf(problems));
    }

    /** The config with every property at its default. */
    static <A> A defaults(Class<A> type) {
        Result<A> r = convert(type, Map.of());
        if (!r.problems().isEmpty()) {
            throw new IllegalStateException(type.getName() + " has no usable defaults: " + r.problems());
        }
        return r.config();
    }

    static String key(String methodName) {
        return methodName.replace("__", "\0").replace('_', '.').replace('\0', '_');
    }

    /** @throws IllegalArgumentException with the end of the phrase "... = value <message>" */
    private static Object value(Class<?> type, Object raw) {
        if (type.isArray()) {
            Object[] items = raw instanceof Collection<?> c ? c.toArray()
                    : raw.getClass().isArray() ? boxed(raw) : new Object[] {raw};
            Object out = Array.newInstance(type.getComponentType(), items.length);
            for (int i = 0; i < items.length; i++) {
                try {
                    Array.set(out, i, scalar(type.getComponentType(), items[i]));
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException("has an element " + render(items[i]) + " that " + bad.getMessage());
                }
            }
            return out;
        }
        if (raw instanceof Collection<?> || raw.getClass().isArray()) {
            Object[] items = raw instanceof Collection<?> c ? c.toArray() : boxed(raw);
            if (items.length != 1) {
                throw new IllegalArgumentException("is a list; expected one " + describe(type));
            }
            return scalar(type, items[0]);
        }
        return scalar(type, raw);
    }

    private static Object scalar(Class<?> type, Object raw) {
        if (raw == null) {
            throw new IllegalArgumentException("is empty; expected " + describe(type));
        }
        if (type == String.class) {
            return raw.toString();
        }
        if (type == boolean.class || type == Boolean.class) {
            if (raw instanceof Boolean b) {
                return b;
            }
            String s = raw.toString().trim();
            if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(s);
            }
            throw new IllegalArgumentException("is not true or false");
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class
                || type == short.class || type == Short.class || type == byte.class || type == Byte.class) {
            long v = whole(raw);
            long min = type == int.class || type == Integer.class ? Integer.MIN_VALUE
                    : type == short.class || type == Short.class ? Short.MIN_VALUE
                    : type == byte.class || type == Byte.class ? Byte.MIN_VALUE : Long.MIN_VALUE;
            long max = type == int.class || type == Integer.class ? Integer.MAX_VALUE
                    : type == short.class || type == Short.class ? Short.MAX_VALUE
                    : type == byte.class || type == Byte.class ? Byte.MAX_VALUE : Long.MAX_VALUE;
            if (v < min || v > max) {
                throw new IllegalArgumentException("is outside " + min + ".." + max);
            }
            return type == int.class || type == Integer.class ? (Object) (int) v
                    : type == short.class || type == Short.class ? (Object) (short) v
                    : type == byte.class || type == Byte.class ? (Object) (byte) v : (Object) v;
        }
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            double v = decimal(raw);
            return type == float.class || type == Float.class ? (Object) (float) v : (Object) v;
        }
        if (type.isEnum()) {
            String s = raw.toString().trim();
            for (Object c : type.getEnumConstants()) {
                if (((Enum<?>) c).name().equalsIgnoreCase(s)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("is not one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> ((Enum<?>) c).name()).collect(Collectors.joining(", ")));
        }
        if (type == char.class || type == Character.class) {
            String s = raw.toString();
            if (s.length() != 1) {
                throw new IllegalArgumentException("is not a single character");
            }
            return s.charAt(0);
        }
        throw new IllegalArgumentException("cannot be read as " + type.getSimpleName());
    }

    private static long whole(Object raw) {
        if (raw instanceof Long || raw instanceof Integer || raw instanceof Short || raw instanceof Byte) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
                return (long) d;
            }
            throw new IllegalArgumentException("is not a whole number");
        }
        try {
            return Long.parseLong(raw.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number");
        }
    }

    private static double decimal(Object raw) {
        double d;
        if (raw instanceof Number n) {
            d = n.doubleValue();
        } else {
            try {
                d = Double.parseDouble(raw.toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a number");
            }
        }
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("is not a finite number");
        }
        return d;
    }

    private static Object[] boxed(Object array) {
        Object[] out = new Object[Array.getLength(array)];
        for (int i = 0; i < out.length; i++) {
            out[i] = Array.get(array, i);
        }
        return out;
    }

    private static String describe(Class<?> type) {
        if (type.isArray()) {
            return "a list of " + describe(type.getComponentType());
        }
        if (type == String.class) {
            return "a text";
        }
        if (type == boolean.class) {
            return "true or false";
        }
        if (type == double.class || type == float.class) {
            return "a number";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants()).map(c -> ((Enum<?>) c).name())
                    .collect(Collectors.joining(", "));
        }
        return "a whole number";
    }

    /** A value as it appears in a message: text quoted, lists bracketed, never longer than a line. */
    static String render(Object raw) {
        String s;
        if (raw instanceof CharSequence) {
            s = "'" + raw + "'";
        } else if (raw instanceof Collection<?> c) {
            s = c.stream().map(TypedConfig::render).collect(Collectors.joining(", ", "[", "]"));
        } else if (raw != null && raw.getClass().isArray()) {
            s = Arrays.stream(boxed(raw)).map(TypedConfig::render).collect(Collectors.joining(", ", "[", "]"));
        } else {
            s = String.valueOf(raw);
        }
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    @SuppressWarnings("unchecked")
    private static <A> A proxy(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
            switch (method.getName()) {
                case "annotationType":
                    return type;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return self == args[0];
                case "toString":
                    // Names only: values may be secrets.
                    return type.getSimpleName() + values.keySet();
                default:
                    Object v = values.get(method.getName());
                    return v != null && v.getClass().isArray() ? cloneArray(v) : v;
            }
        });
    }

    private static Object cloneArray(Object array) {
        int n = Array.getLength(array);
        Object copy = Array.newInstance(array.getClass().getComponentType(), n);
        System.arraycopy(array, 0, copy, 0, n);
        return copy;
    }
}
