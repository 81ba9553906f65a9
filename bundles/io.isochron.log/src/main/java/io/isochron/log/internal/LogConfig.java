package io.isochron.log.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "Isochron log",
        description = "Every log record of the appliance (Isochron, the framework, SCR, the Configurator, Milo, "
                + "Paho) is written to standard error in one format: time, level, source, message. Levels apply "
                + "to Java logging and to the OSGi Log Service alike.")
@interface LogConfig {
    @AttributeDefinition(name = "Level", description = "Records below this level are not written",
            options = {@Option(label = "ERROR", value = "ERROR"), @Option(label = "WARN", value = "WARN"),
                @Option(label = "INFO", value = "INFO"), @Option(label = "DEBUG", value = "DEBUG"),
                @Option(label = "TRACE", value = "TRACE")})
    String level() default "INFO";

    @AttributeDefinition(name = "Levels by source",
            description = "SOURCE=LEVEL entries for a logger name and everything below it, e.g. "
                    + "org.eclipse.milo=DEBUG; Events.Bundle=INFO shows every bundle event")
    String[] levels() default {"Events=WARN", "org.eclipse.milo=WARN", "io.netty=WARN", "org.eclipse.paho=WARN",
        "org.apache.felix.configurator=WARN", "org.apache.felix.scr=WARN"};
}
