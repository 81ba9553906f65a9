package io.isochron.mqtt.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "Isochron MQTT telemetry",
        description = "Publishes the scheduler state to an MQTT broker as Sparkplug B or plain JSON, "
                + "buffering on disk while the broker is unreachable.")
public @interface MqttConfig {
    enum Format {
        SPARKPLUG,
        JSON
    }

    @AttributeDefinition(name = "Broker URI", description = "tcp://host:1883, or ssl://host:8883 for TLS")
    String brokerUri() default "tcp://127.0.0.1:1883";

    @AttributeDefinition(name = "Format", options = {
        @Option(label = "Sparkplug B (spBv1.0/<group>/.../<edge node>)", value = "SPARKPLUG"),
        @Option(label = "Plain JSON (isochron/<edge node>/...)", value = "JSON")})
    Format format() default Format.SPARKPLUG;

    @AttributeDefinition(name = "Sparkplug group id")
    String groupId() default "isochron";

    @AttributeDefinition(name = "Edge node id", description = "Empty: this host's name")
    String edgeNodeId() default "";

    @AttributeDefinition(name = "MQTT client id", description = "Empty: isochron-<edge node id>")
    String clientId() default "";

    @AttributeDefinition(name = "Publishing interval (ms)", description = "Every value at least this often; 100..3600000")
    int publishIntervalMillis() default 1000;

    @AttributeDefinition(name = "Maximum rate on change (Hz)",
            description = "A policy, health, VM or category change is published at once, at most this often; 0.1..10")
    double maxChangeRateHz() default 10;

    @AttributeDefinition(name = "QoS", description = "2: exactly once to the broker across outages; 1: at least once",
            options = {@Option(label = "1", value = "1"), @Option(label = "2", value = "2")})
    int qos() default 2;

    @AttributeDefinition(name = "User name", description = "Empty: connect without credentials")
    String username() default "";

    @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD,
            description = "Kept in ConfigAdmin's store; passwordFile keeps it out of there")
    String password() default "";

    @AttributeDefinition(name = "Password file",
            description = "File whose first line is the password, readable by the service user only; a relative "
                    + "path is read from $CREDENTIALS_DIRECTORY (systemd LoadCredential=). Empty: use 'password'")
    String passwordFile() default "";

    @AttributeDefinition(name = "TLS CA certificate (PEM file)",
            description = "For ssl:// brokers; empty: the JVM's trusted certificates")
    String tlsCaFile() default "";

    @AttributeDefinition(name = "TLS client key store (PKCS#12 file)", description = "Empty: no client certificate")
    String tlsClientKeyStore() default "";

    @AttributeDefinition(name = "TLS client key store password", type = AttributeType.PASSWORD)
    String tlsClientKeyStorePassword() default "";

    @AttributeDefinition(name = "TLS client key store password file",
            description = "As passwordFile, for the key store password. Empty: use 'tlsClientKeyStorePassword'")
    String tlsClientKeyStorePasswordFile() default "";

    @AttributeDefinition(name = "Buffer directory",
            description = "Store-and-forward buffer; empty: <state directory>/mqtt")
    String bufferDirectory() default "";

    @AttributeDefinition(name = "Buffer size (MiB)", description = "When full, the oldest messages are dropped and counted; 1..65536")
    int bufferMegabytes() default 64;

    @AttributeDefinition(name = "Sync every message",
            description = "Force each buffered message to the device (survives power loss, slower)")
    boolean bufferSync() default false;

    @AttributeDefinition(name = "Accept policy commands (NCMD)",
            description = "Let NCMD messages with Scheduler/ActivePolicy (and Scheduler/OverlapPercent) switch the policy")
    boolean commandsEnabled() default false;
}
