package io.isochron.config;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The configuration of one component, checked: raw ConfigAdmin properties become the component's
 * config type (every value's type checked, unknown names rejected), then its own validator turns that
 * into settings or rejects it with a message naming the property, the value and what is allowed.
 *
 * <p>A rejected configuration never takes the component down: at activation the documented defaults
 * are used instead, at a later update the last good settings stay in force. Either way one ERROR line
 * says so, and {@link #problems()} carries it for Health (CHECK_FUNCTION) until a good configuration
 * arrives or the guard is closed.
 *
 * @param <A> the metatype-annotated config type (its defaults are the documented defaults)
 * @param <S> the validated settings the component works with
 */
public final class ConfigGuard<A, S> implements AutoCloseable {
    /** Turns a type-checked config into settings; throws naming the property, value and what is allowed. */
    @FunctionalInterface
    public interface Validator<A, S> {
        S validate(A config) throws IllegalArgumentException;
    }

    /** Open guards' current problems by PID; read by Health. */
    private static final Map<String, String> PROBLEMS = new ConcurrentSkipListMap<>();

    private final String pid;
    private final Class<A> type;
    private final Validator<A, S> validator;
    private final System.Logger log;
    private volatile S current;
    private volatile String problem = "";

    private ConfigGuard(String pid, Class<A> type, Validator<A, S> validator) {
        this.pid = Objects.requireNonNull(pid, "pid");
        this.type = Objects.requireNonNull(type, "type");
        this.validator = Objects.requireNonNull(validator, "validator");
        this.log = System.getLogger(pid);
    }

    public static <A, S> ConfigGuard<A, S> of(String pid, Class<A> type, Validator<A, S> validator) {
        return new ConfigGuard<>(pid, type, validator);
    }

    /**
     * The settings of the component's first configuration; the defaults' settings if it is rejected.
     *
     * @throws IllegalStateException if even the defaults are rejected (a bug in the component)
     */
    public S initial(Map<String, ?> properties) {
        Optional<S> accepted = check(properties, "using the defaults instead");
        if (accepted.isPresent()) {
            return accepted.get();
        }
        S defaults;
        try {
            defaults = validator.validate(TypedConfig.defaults(type));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the defaults of " + pid + " are rejected: " + e.getMessage(), e);
        }
        current = defaults;
        return defaults;
    }

    /** The settings of a changed configuration, or empty when it is rejected and the last good ones stay. */
    public Optional<S> update(Map<String, ?> properties) {
        if (current == null) {
            return Optional.of(initial(properties));
        }
        return check(properties, "keeping the last good configuration");
    }

    /**
     * Checks properties without applying them: the problem as one phrase ("property 'x' = ... is
     * ..."), or empty when they would be accepted. For interactive paths that must refuse instead.
     */
    public String problemWith(Map<String, ?> properties) {
        TypedConfig.Result<A> typed = TypedConfig.convert(type, properties);
        if (!typed.problems().isEmpty()) {
            return String.join("; ", typed.problems());
        }
        try {
            validator.validate(typed.config());
            return "";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private Optional<S> check(Map<String, ?> properties, String consequence) {
        TypedConfig.Result<A> typed = TypedConfig.convert(type, properties == null ? Map.of() : properties);
        String why;
        if (typed.problems().isEmpty()) {
            try {
                S settings = validator.validate(typed.config());
                current = settings;
                clearProblem();
                return Optional.of(settings);
            } catch (IllegalArgumentException e) {
                why = e.getMessage();
            }
        } else {
            why = String.join("; ", typed.problems());
        }
        problem = "configuration " + pid + " rejected: " + why + "; " + consequence;
        PROBLEMS.put(pid, problem);
        log.log(Level.ERROR, problem);
        return Optional.empty();
    }

    private void clearProblem() {
        if (!problem.isEmpty()) {
            problem = "";
            PROBLEMS.remove(pid);
        }
    }

    /** The settings in force; null before {@link #initial}. */
    public S current() {
        return current;
    }

    /** Why the last configuration was rejected; empty when it was accepted. */
    public String problem() {
        return problem;
    }

    /** The component is gone: its problem no longer counts. */
    @Override
    public void close() {
        PROBLEMS.remove(pid, problem);
    }

    /** The problems of every open guard, by PID; empty while every configuration is accepted. */
    public static List<String> problems() {
        return List.copyOf(PROBLEMS.values());
    }
}
