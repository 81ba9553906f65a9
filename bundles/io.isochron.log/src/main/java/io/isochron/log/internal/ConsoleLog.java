package io.isochron.log.internal;

import io.isochron.config.ConfigGuard;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The configuration of the appliance's log (PID {@value #PID}): the levels the {@link LogSink} opened
 * by {@link LogActivator} applies to Java logging and to the OSGi Log Service.
 */
@Designate(ocd = LogConfig.class)
@Component(configurationPid = ConsoleLog.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        service = {})
public class ConsoleLog {
    static final String PID = "io.isochron.log";

    private final ConfigGuard<LogConfig, LogLevels> guard = ConfigGuard.of(PID, LogConfig.class, LogLevels::from);

    @Activate
    void activate(Map<String, Object> properties) {
        apply(guard.initial(properties));
    }

    @Modified
    void modified(Map<String, Object> properties) {
        guard.update(properties).ifPresent(ConsoleLog::apply);
    }

    @Deactivate
    void deactivate() {
        guard.close();
        apply(LogActivator.defaults());
    }

    private static void apply(LogLevels levels) {
        LogSink sink = LogActivator.sink();
        if (sink != null) {
            sink.apply(levels);
        }
    }
}
